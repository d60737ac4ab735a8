// corpus/sentence_splitter.cpp — see sentence_splitter.h for the rules.
#include "corpus/sentence_splitter.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "common/error.h"
#include "corpus/corpus_reader.h"
#include "text/utf8.h"

namespace bertforge {

namespace {

struct Range {
  char32_t lo, hi;
};

// Sorted, non-overlapping. Marks and digits inside some Indic blocks are included; that is fine for
// "does this line contain words".
constexpr std::array<Range, 48> kLetterRanges{{
    {0x0041, 0x005A}, {0x0061, 0x007A}, {0x00AA, 0x00AA}, {0x00B5, 0x00B5}, {0x00BA, 0x00BA},
    {0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x02AF}, {0x0370, 0x0373}, {0x0376, 0x037D},
    {0x037F, 0x037F}, {0x0386, 0x0386}, {0x0388, 0x03FF}, {0x0400, 0x0481}, {0x048A, 0x052F},
    {0x0531, 0x0556}, {0x0561, 0x0587}, {0x05D0, 0x05F2}, {0x0620, 0x064A}, {0x066E, 0x06D3},
    {0x06FA, 0x06FF}, {0x0710, 0x07B1}, {0x0900, 0x0DFF}, {0x0E01, 0x0E3A}, {0x0E40, 0x0E4E},
    {0x0E81, 0x0EDF}, {0x0F00, 0x0F00}, {0x0F40, 0x0FBC}, {0x1000, 0x102A}, {0x10A0, 0x10FF},
    {0x1100, 0x11FF}, {0x1200, 0x137C}, {0x13A0, 0x13FD}, {0x1780, 0x17B3}, {0x1E00, 0x1FFF},
    {0x3041, 0x3096}, {0x309D, 0x309F}, {0x30A1, 0x30FA}, {0x30FC, 0x30FF}, {0x3105, 0x318E},
    {0x31A0, 0x31BF}, {0x31F0, 0x31FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA960, 0xA97C},
    {0xAC00, 0xD7FB}, {0xF900, 0xFAFF}, {0xFF21, 0xFFDC},
}};

bool is_ascii_lower(char32_t cp) {
  return cp >= 'a' && cp <= 'z';
}

bool is_terminal(char32_t cp) {
  return cp == '.' || cp == '?' || cp == '!' || cp == 0x2026;
}
bool is_cjk_terminal(char32_t cp) {
  return cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
}
bool is_closer(char32_t cp) {
  switch (cp) {
    case '"':
    case '\'':
    case ')':
    case ']':
    case '}':
    case 0x2019:
    case 0x201D:
    case 0x00BB:
    case 0x300D:
    case 0x300F:
    case 0x300B:
    case 0x3009:
    case 0xFF09:
    case 0xFF3D:
      return true;
    default:
      return false;
  }
}
bool is_opener(char32_t cp) {
  switch (cp) {
    case '"':
    case '\'':
    case '(':
    case '[':
    case '{':
    case 0x2018:
    case 0x201C:
    case 0x00AB:
    case 0x300C:
    case 0x300E:
    case 0x300A:
    case 0x3008:
    case 0xFF08:
    case 0xFF3B:
      return true;
    default:
      return false;
  }
}

bool is_abbreviation(std::string_view word) {
  static constexpr std::string_view kAbbrev[] = {"Mr", "Mrs", "Ms",  "Dr", "Prof", "St",     "Jr", "Sr",
                                                 "No", "Fig", "fig", "vs", "cf",   "approx", "ca"};
  for (auto a : kAbbrev)
    if (word == a) return true;
  // One letter per dot-separated part: e.g / i.e / U.S / a.m, and single initials "J".
  bool alternating = !word.empty();
  for (size_t i = 0; i < word.size(); ++i) {
    bool letter = (word[i] >= 'a' && word[i] <= 'z') || (word[i] >= 'A' && word[i] <= 'Z');
    if ((i % 2 == 0 && !letter) || (i % 2 == 1 && word[i] != '.')) alternating = false;
  }
  if (alternating && word.size() >= 3) return true;
  return word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z';
}

bool is_list_number(std::string_view word) {
  return !word.empty() && word.size() <= 2 &&
         std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool is_letter(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  if (cp >= 0x20000 && cp <= 0x3134F) return true;  // CJK extensions B..G and compatibility supplement
  auto it = std::upper_bound(kLetterRanges.begin(), kLetterRanges.end(), cp,
                             [](char32_t c, const Range& r) { return c < r.lo; });
  if (it == kLetterRanges.begin()) return false;
  --it;
  return cp <= it->hi;
}

bool has_letter(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    if (text::utf8_next(text, i, cp) && is_letter(cp)) return true;
  }
  return false;
}

namespace {
struct ScriptInfo {
  const char* name;
  Script script;
  std::array<Range, 5> ranges;  // unused slots are {0, 0}
};
constexpr ScriptInfo kScripts[] = {
    {"hangul",
     Script::kHangul,
     {{{0x1100, 0x11FF}, {0x3131, 0x318E}, {0xA960, 0xA97C}, {0xAC00, 0xD7FB}, {0xFFA0, 0xFFDC}}}},
    {"latin",
     Script::kLatin,
     {{{'A', 'Z'}, {'a', 'z'}, {0x00C0, 0x024F}, {0x1E00, 0x1EFF}, {0xFF21, 0xFF5A}}}},
    {"han",
     Script::kHan,
     {{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x3134F}, {0, 0}}}},
    {"kana",
     Script::kKana,
     {{{0x3041, 0x3096}, {0x309D, 0x30FF}, {0x31F0, 0x31FF}, {0xFF66, 0xFF9D}, {0, 0}}}},
    {"cyrillic", Script::kCyrillic, {{{0x0400, 0x0481}, {0x048A, 0x052F}, {0, 0}, {0, 0}, {0, 0}}}},
    {"greek", Script::kGreek, {{{0x0370, 0x03FF}, {0x1F00, 0x1FFF}, {0, 0}, {0, 0}, {0, 0}}}},
    {"arabic", Script::kArabic, {{{0x0620, 0x064A}, {0x066E, 0x06D3}, {0x06FA, 0x06FF}, {0, 0}, {0, 0}}}},
    {"hebrew", Script::kHebrew, {{{0x05D0, 0x05F2}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}}},
    {"thai", Script::kThai, {{{0x0E01, 0x0E3A}, {0x0E40, 0x0E4E}, {0, 0}, {0, 0}, {0, 0}}}},
    {"devanagari", Script::kDevanagari, {{{0x0900, 0x097F}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}}},
};
}  // namespace

Script parse_script(const std::string& name) {
  if (name == "any") return Script::kAny;
  for (const auto& s : kScripts)
    if (name == s.name) return s.script;
  throw config_error("require_script",
                     fmt::format("unknown script '{}', expected one of {}", name, script_names()));
}

const char* script_names() {
  return "any|hangul|latin|han|kana|cyrillic|greek|arabic|hebrew|thai|devanagari";
}

bool is_letter_of(char32_t cp, Script script) {
  if (script == Script::kAny) return is_letter(cp);
  for (const auto& s : kScripts) {
    if (s.script != script) continue;
    for (const auto& r : s.ranges)
      if (r.hi != 0 && cp >= r.lo && cp <= r.hi) return is_letter(cp);
  }
  return false;
}

bool has_letter_of(std::string_view text, Script script) {
  if (script == Script::kAny) return has_letter(text);
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    if (text::utf8_next(text, i, cp) && is_letter_of(cp, script)) return true;
  }
  return false;
}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    char32_t cp;
    if (!text::utf8_next(text, i, cp)) {
      // Callers pass valid UTF-8; keep a stray byte's replacement visible rather than guessing.
      cp = 0xFFFD;
    }
    if (is_python_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFEFF) continue;
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (cp == 0xFFFD && i - start == 1)
      text::utf8_append(out, cp);
    else
      out.append(text.data() + start, i - start);
  }
  return out;
}

std::vector<std::string_view> split_sentences(std::string_view line) {
  std::vector<std::string_view> out;
  const size_t n = line.size();
  size_t sentence_start = 0;
  auto emit = [&](size_t end) {
    std::string_view s = strip_whitespace(line.substr(sentence_start, end - sentence_start));
    if (!s.empty()) out.push_back(s);
  };
  size_t i = 0;
  while (i < n) {
    size_t at = i;
    char32_t cp;
    if (!text::utf8_next(line, i, cp)) continue;
    bool cjk = is_cjk_terminal(cp);
    if (!cjk && !is_terminal(cp)) continue;

    // The whole run of terminal punctuation ("?!", "...", "。」").
    size_t run_begin = at, run_end = i;
    int run_length = 1;
    while (run_end < n) {
      size_t j = run_end;
      char32_t c2;
      if (!text::utf8_next(line, j, c2) || !(is_terminal(c2) || is_cjk_terminal(c2))) break;
      cjk = cjk || is_cjk_terminal(c2);
      run_end = j;
      ++run_length;
    }
    size_t end = run_end;
    while (end < n) {
      size_t j = end;
      char32_t c2;
      if (!text::utf8_next(line, j, c2) || !is_closer(c2)) break;
      end = j;
    }
    i = end;
    if (end >= n) break;  // end of line ends the sentence anyway

    size_t j = end;
    char32_t next_cp;
    text::utf8_next(line, j, next_cp);
    bool space_follows = is_python_space(next_cp);
    if (!space_follows && !cjk) continue;

    // First character of the next word.
    size_t k = end;
    char32_t word_cp = 0;
    while (k < n) {
      size_t kk = k;
      if (!text::utf8_next(line, kk, word_cp)) break;
      if (!is_python_space(word_cp) && !is_opener(word_cp)) break;
      k = kk;
    }
    if (is_ascii_lower(word_cp)) continue;

    if (!cjk && run_length == 1 && line[run_begin] == '.') {
      // The word the period ends, without opening quotes/brackets.
      size_t w = run_begin;
      while (w > sentence_start && line[w - 1] != ' ') --w;
      std::string_view word = line.substr(w, run_begin - w);
      while (!word.empty() &&
             (word.front() == '(' || word.front() == '"' || word.front() == '\'' || word.front() == '['))
        word.remove_prefix(1);
      if (is_abbreviation(word)) continue;
      if (w == sentence_start && is_list_number(word)) continue;
    }
    emit(end);
    sentence_start = end;
    while (sentence_start < n && line[sentence_start] == ' ') ++sentence_start;
  }
  emit(n);
  return out;
}

}  // namespace bertforge
