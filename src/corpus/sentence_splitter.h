// corpus/sentence_splitter.h — the text side of `corpus prepare`: whitespace clean-up, the "has a letter"
// test that drops lines of pure numbers/punctuation, and a small rule-based sentence splitter.
//
// Splitting rules (deliberately simple and predictable):
//   * A sentence ends after a run of '.', '?', '!' or '…' (plus any closing quotes/brackets right after it)
//     that is followed by whitespace:  "파일을 엽니다. 저장하세요? 네!" -> "파일을 엽니다." | "저장하세요?" |
//     "네!" This covers Korean endings such as 다. 요. and Latin-script text alike.
//   * CJK full stops 。！？ end a sentence even without a following space (those scripts do not use one).
//   * No split when the next word starts with a lowercase ASCII letter ("e.g. the", "Yahoo! is").
//   * No split after a single '.' that ends
//       - a known abbreviation: Mr Mrs Ms Dr Prof St Jr Sr No Fig fig vs cf approx ca (case as listed;
//         "etc." and "et al." followed by a lowercase word are kept together by the rule above),
//       - letters joined by dots, one letter each: "e.g." "i.e." "U.S." "a.m.",
//       - a single uppercase Latin letter (an initial: "J. Smith"),
//       - a 1-2 digit number that starts the sentence (a list marker: "1. 파일을 엽니다.").
//   * Decimals ("3.5"), versions ("7.4.1") and file names ("a.txt") never split: no whitespace follows the
//   dot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bertforge {

// True when `cp` is a letter of some script: Latin (incl. extended and fullwidth), Greek, Cyrillic,
// Armenian, Hebrew, Arabic, Indic/Southeast Asian scripts, Georgian, Ethiopic, Hangul (syllables and jamo),
// Kana, CJK ideographs (BMP and supplementary planes). An approximation of Unicode's alphabetic property
// that is independent of the C locale (iswalpha depends on it).
bool is_letter(char32_t cp);
// True when the UTF-8 text holds at least one letter (invalid bytes are ignored).
bool has_letter(std::string_view text);

// Scripts for `corpus prepare --require-script`: a sentence is kept only when it holds a letter of it.
// "any" accepts any letter (is_letter). Others: hangul, latin, han (CJK ideographs), kana, cyrillic,
// greek, arabic, hebrew, thai, devanagari. Throws config_error for other names.
enum class Script {
  kAny,
  kHangul,
  kLatin,
  kHan,
  kKana,
  kCyrillic,
  kGreek,
  kArabic,
  kHebrew,
  kThai,
  kDevanagari
};
Script parse_script(const std::string& name);
const char* script_names();  // "any|hangul|latin|..." for help texts
bool is_letter_of(char32_t cp, Script script);
// True when the UTF-8 text holds at least one letter of `script`.
bool has_letter_of(std::string_view text, Script script);

// Collapses each run of whitespace (Python's str.isspace() set) into one ASCII space, trims both ends, and
// drops C0/C1 control characters and U+FEFF: "  a\t\u00a0 b \x07" -> "a b".
std::string collapse_whitespace(std::string_view text);

// Splits one line of running text (whitespace already collapsed) into sentences, by the rules above.
// The views point into `line`; none is empty.
std::vector<std::string_view> split_sentences(std::string_view line);

}  // namespace bertforge
