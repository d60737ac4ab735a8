// privacy/scrub_detect.cpp — PII detection for `bertforge scrub` (see scrub.h).
//
// How a scan goes: one RE2 made of every enabled rule's pattern as an alternation finds the leftmost place
// where any rule could match (RE2's DFA, linear time, no backtracking). At that place each rule is tried
// anchored, in priority order, and its C++ validator decides (octets <= 255, Luhn, RRN date and check
// digit, separators consistent, not part of a longer number, not a version string...). The first rule that
// validates wins and the scan continues after it; if none does, the scan continues one byte further.
// Patterns never cross '\n', so a chunk of many lines scans like each line on its own.
#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "common/error.h"
#include "privacy/scrub.h"

namespace bertforge::privacy {

namespace {

constexpr const char* kTypeNames[kNumPiiTypes] = {"email", "phone", "rrn", "frn",
                                                  "card",  "ip",    "url", "terms"};
constexpr const char* kTypeTags[kNumPiiTypes] = {"[EMAIL]", "[PHONE]", "[RRN]", "[FRN]",
                                                 "[CARD]",  "[IP]",    "[URL]", "[NAME]"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Byte before/after a span, or 0 at the text's edges.
char before(std::string_view t, size_t b) {
  return b > 0 ? t[b - 1] : '\0';
}
char after(std::string_view t, size_t e) {
  return e < t.size() ? t[e] : '\0';
}

// A number glued to a longer number ("1-010-1234-5678", "010-1234-5678-9") is not the PII it looks like.
bool numeric_context_ok(std::string_view t, size_t b, size_t e) {
  char p = before(t, b);
  if (is_alnum(p)) return false;
  if ((p == '-' || p == '.' || p == '/') && b >= 2 && is_digit(t[b - 2])) return false;
  char n = after(t, e);
  if (is_alnum(n)) return false;
  if ((n == '-' || n == '.' || n == '/') && e + 1 < t.size() && is_digit(t[e + 1])) return false;
  return true;
}

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (is_digit(c)) d.push_back(c);
  return d;
}

// Groups of digits and the separators between them: "1234-5678 90" -> {1234,5678,90}, {'-',' '}.
void split_groups(std::string_view s, std::vector<std::string_view>& groups, std::string& seps) {
  groups.clear();
  seps.clear();
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    groups.push_back(s.substr(i, j - i));
    if (j < s.size()) seps.push_back(s[j]), ++j;
    i = j;
  }
}

// ---- Unicode helpers for term boundaries ----

// Code point ending just before byte b (0 at the start; U+FFFD for junk).
char32_t prev_cp(std::string_view t, size_t b) {
  if (b == 0) return 0;
  size_t i = b - 1;
  int back = 0;
  while (i > 0 && back < 3 && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) --i, ++back;
  unsigned char c = static_cast<unsigned char>(t[i]);
  size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (i + len != b) return 0xFFFD;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(t[i + k]) & 0x3F);
  return cp;
}
char32_t next_cp(std::string_view t, size_t e, size_t* len_out = nullptr) {
  if (e >= t.size()) return 0;
  unsigned char c = static_cast<unsigned char>(t[e]);
  size_t len = c < 0x80 ? 1 : c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (e + len > t.size()) len = 1;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(t[e + k]) & 0x3F);
  if (len_out) *len_out = len;
  return cp;
}

// Letters and digits of any script continue a token; spaces, punctuation and symbols end it.
bool is_word_cp(char32_t cp) {
  if (cp == 0) return false;
  if (cp < 0x80) return is_alnum(static_cast<char>(cp)) || cp == '_';
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return false;  // Latin-1 punctuation and signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;           // general punctuation, currency, arrows, symbols
  if (cp >= 0x3000 && cp <= 0x303F) return false;           // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if ((cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
      (cp >= 0xFF5B && cp <= 0xFF65))
    return false;                                   // fullwidth punctuation
  if (cp == 0xFFFD || cp >= 0x1F000) return false;  // replacement char, emoji
  return true;
}

// Korean particles and honorifics that may follow a name ("홍길동은", "길동씨에게", "김교수님의").
const std::vector<std::string>& korean_suffixes() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> v = {"에게서", "선생님", "교수님", "이라고", "입니다", "이에요", "에게", "께서",
                                  "한테",   "으로",   "에서",   "까지",   "부터",   "보다",   "처럼", "이랑",
                                  "하고",   "라고",   "이다",   "예요",   "이고",   "이며",   "이나", "은",
                                  "는",     "이",     "가",     "을",     "를",     "의",     "에",   "께",
                                  "도",     "만",     "과",     "와",     "랑",     "로",     "아",   "야",
                                  "씨",     "님",     "군",     "양",     "다"};
    std::stable_sort(v.begin(), v.end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return v;
  }();
  return list;
}

// ---- Validators: each returns the accepted span (possibly trimmed) or nothing ----

struct Span {
  size_t begin, end;
  PiiType type;
  bool unverified = false;
};
using Validator = std::function<std::optional<Span>(std::string_view text, size_t b, size_t e)>;

std::optional<Span> validate_email(std::string_view t, size_t b, size_t e) {
  auto local_char = [](char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  };
  if (local_char(before(t, b))) return std::nullopt;  // the local part is longer than 64: not an address
  while (b < e && (t[b] == '.' || t[b] == '-' || t[b] == '+')) ++b;
  size_t at = t.find('@', b);
  if (at == std::string_view::npos || at >= e || at == b) return std::nullopt;
  std::string_view local = t.substr(b, at - b);
  if (local.back() == '.' || local.find("..") != std::string_view::npos) return std::nullopt;
  // Domain labels; drop trailing labels that cannot end an address ("a@b.com.123" -> "a@b.com").
  std::string_view domain = t.substr(at + 1, e - at - 1);
  std::vector<std::string_view> labels;
  size_t i = 0;
  while (i <= domain.size()) {
    size_t j = domain.find('.', i);
    if (j == std::string_view::npos) j = domain.size();
    labels.push_back(domain.substr(i, j - i));
    i = j + 1;
  }
  auto alpha_label = [](std::string_view l) {
    return l.size() >= 2 && std::all_of(l.begin(), l.end(), [](char c) { return is_alpha(c); });
  };
  while (!labels.empty() && !alpha_label(labels.back())) labels.pop_back();
  if (labels.size() < 2) return std::nullopt;
  for (auto l : labels)
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return std::nullopt;
  size_t end = static_cast<size_t>(labels.back().data() + labels.back().size() - t.data());
  return Span{b, end, PiiType::kEmail};
}

std::optional<Span> validate_url(std::string_view t, size_t b, size_t e) {
  if (is_alnum(before(t, b)) || before(t, b) == '@') return std::nullopt;
  // Trailing punctuation belongs to the sentence, an unbalanced closing bracket to the text around it.
  while (e > b) {
    char c = t[e - 1];
    if (std::strchr(".,;:!?'\"*", c)) {
      --e;
      continue;
    }
    if (c == ')' || c == ']') {
      char open = c == ')' ? '(' : '[';
      std::string_view s = t.substr(b, e - b);
      if (std::count(s.begin(), s.end(), open) < std::count(s.begin(), s.end(), c)) {
        --e;
        continue;
      }
    }
    break;
  }
  std::string_view s = t.substr(b, e - b);
  size_t host = s.find("://");
  host = host == std::string_view::npos ? 0 : host + 3;
  if (host >= s.size() || !is_alnum(s[host])) return std::nullopt;
  return Span{b, e, PiiType::kUrl};
}

std::optional<Span> validate_rrn(std::string_view t, size_t b, size_t e, bool want_rrn, bool want_frn) {
  if (!numeric_context_ok(t, b, e)) return std::nullopt;
  std::string_view s = t.substr(b, e - b);
  std::string d = digits_of(s);
  if (d.size() != 13) return std::nullopt;
  bool separated = s.size() == 14;
  int yy = (d[0] - '0') * 10 + (d[1] - '0'), mm = (d[2] - '0') * 10 + (d[3] - '0');
  int dd = (d[4] - '0') * 10 + (d[5] - '0'), g = d[6] - '0';
  if (g < 1 || g > 8 || !plausible_birth_date(yy, mm, dd, g)) return std::nullopt;
  bool foreigner = g >= 5;
  if (foreigner ? !want_frn : !want_rrn) return std::nullopt;
  bool check_ok = rrn_check_digit(std::string_view(d).substr(0, 12), foreigner) == d[12] - '0';
  // Numbers issued since October 2020 carry no check digit, so a written-out "YYMMDD-GNNNNNN" with a real
  // date and gender digit is masked even when the digit fails. Thirteen bare digits are too often other
  // identifiers: there the check digit must hold.
  if (!separated && !check_ok) return std::nullopt;
  return Span{b, e, foreigner ? PiiType::kFrn : PiiType::kRrn, !check_ok};
}

std::optional<Span> validate_card(std::string_view t, size_t b, size_t e) {
  std::vector<std::string_view> groups;
  std::string seps;
  split_groups(t.substr(b, e - b), groups, seps);
  // The pattern is greedy and may swallow a following number ("... 3456 123"): try shorter prefixes too.
  for (size_t k = groups.size(); k >= 1; --k) {
    size_t ndig = 0;
    for (size_t i = 0; i < k; ++i) ndig += groups[i].size();
    if (ndig < 13 || ndig > 19) continue;
    bool ok = true;
    if (k > 1) {
      for (size_t i = 1; i + 1 < k; ++i) ok &= seps[i] == seps[0];
      ok &= groups[0].size() == 4;
      for (size_t i = 1; i < k; ++i) ok &= groups[i].size() >= 3 && groups[i].size() <= 6;
    }
    if (!ok) continue;
    size_t end = static_cast<size_t>(groups[k - 1].data() + groups[k - 1].size() - t.data());
    if (!numeric_context_ok(t, b, end)) continue;
    std::string d;
    for (size_t i = 0; i < k; ++i) d.append(groups[i]);
    if (!luhn_valid(d)) continue;
    return Span{b, end, PiiType::kCard};
  }
  return std::nullopt;
}

// 010-1234-5678, 010 1234 5678, 010.1234.5678, 01012345678 (both separators or none).
std::optional<Span> validate_mobile(std::string_view t, size_t b, size_t e) {
  if (!numeric_context_ok(t, b, e)) return std::nullopt;
  std::vector<std::string_view> groups;
  std::string seps;
  split_groups(t.substr(b, e - b), groups, seps);
  if (groups.size() == 1) {
    size_t n = groups[0].size();
    if (n != 10 && n != 11) return std::nullopt;
  } else if (groups.size() != 3) {
    return std::nullopt;
  }
  return Span{b, e, PiiType::kPhone};
}

// A number that starts with '+' or '(' : the byte before must not glue it to a word or another number.
bool bracketed_context_ok(std::string_view t, size_t b, size_t e) {
  char p = before(t, b);
  if (is_alnum(p) || p == '+') return false;
  char n = after(t, e);
  if (is_alnum(n)) return false;
  if ((n == '-' || n == '.' || n == '/') && e + 1 < t.size() && is_digit(t[e + 1])) return false;
  return true;
}

// +82-10-1234-5678, +82 10 1234 5678, +82 (0)2 123 4567, +1 415 555 0100, +44 20 7946 0958.
std::optional<Span> validate_plus_phone(std::string_view t, size_t b, size_t e) {
  if (!bracketed_context_ok(t, b, e)) return std::nullopt;
  std::string_view s = t.substr(b, e - b);
  if (std::count(s.begin(), s.end(), '(') != std::count(s.begin(), s.end(), ')')) return std::nullopt;
  size_t n = digits_of(s).size();
  if (n < 8 || n > 15) return std::nullopt;  // E.164: at most 15 digits
  return Span{b, e, PiiType::kPhone};
}

// 02-123-4567, 031-123-4567, (02) 1234-5678, 02)1234-5678: landlines need separators.
std::optional<Span> validate_landline(std::string_view t, size_t b, size_t e) {
  std::string_view s = t.substr(b, e - b);
  bool open = s.front() == '(';
  bool close = s.find(')') != std::string_view::npos;
  if (open && !close) return std::nullopt;
  if (open ? !bracketed_context_ok(t, b, e) : !numeric_context_ok(t, b, e)) return std::nullopt;
  std::vector<std::string_view> groups;
  std::string seps;
  split_groups(s.substr(open ? 1 : 0), groups, seps);
  // groups: area, exchange, subscriber; separators may be ")", ") ", "-", " ", "."
  std::vector<std::string_view> digit_groups;
  for (auto g : groups)
    if (!g.empty()) digit_groups.push_back(g);
  if (digit_groups.size() != 3) return std::nullopt;
  return Span{b, e, PiiType::kPhone};
}

// (415) 555-0100
std::optional<Span> validate_nanp(std::string_view t, size_t b, size_t e) {
  if (!bracketed_context_ok(t, b, e)) return std::nullopt;
  if (t[b + 1] < '2' || t[b + 1] > '9') return std::nullopt;
  return Span{b, e, PiiType::kPhone};
}

// "버전 6.4.7.2", "version: 1.2.3.4", "v 10.0.0.1" are versions, not addresses.
bool preceded_by_version_word(std::string_view t, size_t b) {
  size_t i = b;
  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == ':' || t[i - 1] == '.' || t[i - 1] == '(' ||
                   t[i - 1] == '-' || t[i - 1] == '='))
    --i;
  std::string_view head = t.substr(0, i);
  // An optional particle after a Korean version word: "버전은 6.4.7.2".
  for (const char* particle : {"은", "는", "이", "가", "을", "를", "도", "의"}) {
    std::string_view p(particle);
    if (head.size() >= p.size() + 6 && head.substr(head.size() - p.size()) == p) {
      std::string_view rest = head.substr(0, head.size() - p.size());
      for (const char* w : {"버전", "버젼", "빌드", "릴리스", "릴리즈", "펌웨어", "업데이트", "패치"})
        if (rest.size() >= std::strlen(w) && rest.substr(rest.size() - std::strlen(w)) == w) return true;
    }
  }
  for (const char* w : {"버전", "버젼", "빌드", "릴리스", "릴리즈", "펌웨어", "업데이트", "패치"})
    if (head.size() >= std::strlen(w) && head.substr(head.size() - std::strlen(w)) == w) return true;
  for (const char* w : {"version", "ver", "v", "build", "release", "rev", "revision", "firmware", "update",
                        "patch", "release"}) {
    size_t n = std::strlen(w);
    if (head.size() < n) continue;
    bool eq = true;
    for (size_t k = 0; k < n && eq; ++k) eq = lower(head[head.size() - n + k]) == w[k];
    if (eq && !is_alpha(before(head, head.size() - n))) return true;
  }
  return false;
}

// The Latin word that ends right before `b` (after spaces and ':'), or empty: "see Section 1.2.3.4" ->
// "Section". `gap` is how many separator bytes lie between it and `b`.
std::string_view word_before(std::string_view t, size_t b, size_t* gap = nullptr) {
  size_t i = b;
  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == ':')) --i;
  if (gap) *gap = b - i;
  size_t j = i;
  while (j > 0 && is_alpha(t[j - 1])) --j;
  if (j > 0 && (is_digit(t[j - 1]) || static_cast<unsigned char>(t[j - 1]) >= 0x80)) return {};
  return t.substr(j, i - j);
}

bool equals_lower(std::string_view word, const char* w) {
  size_t n = std::strlen(w);
  if (word.size() != n) return false;
  for (size_t k = 0; k < n; ++k)
    if (lower(word[k]) != w[k]) return false;
  return true;
}

// "Section 1.2.3.4", "제 1.2.3.4조", "§ 1.2.3.4", "Table 2.1.3.4", "단계 1.1.2.3": numbered parts of a
// document, not addresses.
bool preceded_by_numbering_word(std::string_view t, size_t b) {
  size_t i = b;
  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '.')) --i;
  std::string_view head = t.substr(0, i);
  for (const char* w : {"§", "제", "절", "조항", "항목", "단계", "표", "그림", "부록", "장"}) {
    size_t n = std::strlen(w);
    if (head.size() >= n && head.substr(head.size() - n) == w) {
      // A Korean word only counts on its own ("제 1.2.3.4조", not "주소제 ..."): preceded by a space/edge.
      size_t s0 = head.size() - n;
      if (s0 == 0 || head[s0 - 1] == ' ' || head[s0 - 1] == '(' || std::string_view(w) == "§") return true;
    }
  }
  // The Latin word before "Section ", "Sec. ", "No.": letters only, starting at a word boundary.
  size_t j = i;
  while (j > 0 && is_alpha(t[j - 1])) --j;
  std::string_view word = t.substr(j, i - j);
  if (j > 0 && is_alnum(t[j - 1])) return false;
  for (const char* w : {"section",  "sec",       "sect", "chapter", "ch",    "clause", "article",
                        "art",      "paragraph", "para", "item",    "table", "figure", "fig",
                        "appendix", "annex",     "step", "rule",    "part",  "no",     "nr"})
    if (equals_lower(word, w)) return true;
  return false;
}

// "LibreOffice 7.4.1.2", "Firefox 115.0.2.1": a four-part number right after a capitalised product name is
// its version. A capitalised word that names where addresses live ("Server 10.0.0.1", "Host ...") keeps it
// an address, and so does an all-capitals word ("IP", "DNS", "NAS", "VPN"): acronyms before a dotted quad
// are mostly network words. Only one space may separate the name and the number.
bool preceded_by_product_name(std::string_view t, size_t b) {
  size_t gap = 0;
  std::string_view word = word_before(t, b, &gap);
  if (word.size() < 2 || gap != 1 || t[b - 1] != ' ') return false;
  if (!(word[0] >= 'A' && word[0] <= 'Z')) return false;
  if (std::none_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return false;
  for (const char* w :
       {"server",   "host",   "hostname", "gateway",   "router",      "address",    "addr",
        "proxy",    "client", "peer",     "source",    "destination", "from",       "to",
        "at",       "via",    "ping",     "node",      "subnet",      "netmask",    "mask",
        "inet",     "remote", "local",    "localhost", "ipaddress",   "nameserver", "resolver",
        "endpoint", "origin", "target",   "user",      "login",       "connect",    "connected",
        "blocked",  "banned", "allow",    "deny",      "is",          "was"})
    if (equals_lower(word, w)) return false;
  return true;
}

std::optional<Span> validate_ipv4(std::string_view t, size_t b, size_t e) {
  char p = before(t, b);
  if (is_alnum(p) || p == '.') return std::nullopt;
  char n = after(t, e);
  if (is_alnum(n)) return std::nullopt;
  if (n == '.' && e + 1 < t.size() && is_digit(t[e + 1])) return std::nullopt;  // 1.2.3.4.5: not an address
  std::vector<std::string_view> groups;
  std::string seps;
  split_groups(t.substr(b, e - b), groups, seps);
  if (groups.size() != 4) return std::nullopt;
  for (auto g : groups) {
    if (g.empty() || g.size() > 3 || (g.size() > 1 && g[0] == '0')) return std::nullopt;  // 01.02.03.04: no
    int v = 0;
    for (char c : g) v = v * 10 + (c - '0');
    if (v > 255) return std::nullopt;
  }
  if (preceded_by_version_word(t, b) || preceded_by_numbering_word(t, b) || preceded_by_product_name(t, b))
    return std::nullopt;
  // "3.2.1.4절": a section number.
  for (const char* w : {"절", "장", "항", "조", "단계", "번째"})
    if (t.substr(e, std::strlen(w)) == w) return std::nullopt;
  return Span{b, e, PiiType::kIp};
}

bool valid_ipv4_text(std::string_view s) {
  std::vector<std::string_view> groups;
  std::string seps;
  split_groups(s, groups, seps);
  if (groups.size() != 4) return false;
  for (char c : seps)
    if (c != '.') return false;
  for (auto g : groups) {
    if (g.empty() || g.size() > 3 || (g.size() > 1 && g[0] == '0')) return false;
    int v = 0;
    for (char c : g) v = v * 10 + (c - '0');
    if (v > 255) return false;
  }
  return true;
}

std::optional<Span> validate_ipv6(std::string_view t, size_t b, size_t e) {
  char p = before(t, b);
  if (is_alnum(p) || p == ':' || p == '.') return std::nullopt;
  char n = after(t, e);
  if (is_alnum(n) || n == ':') return std::nullopt;
  std::string_view s = t.substr(b, e - b);
  size_t dc = s.find("::");
  if (dc != std::string_view::npos && s.find("::", dc + 1) != std::string_view::npos) return std::nullopt;
  if (s.find(":::") != std::string_view::npos) return std::nullopt;
  // Split into groups; an empty group is only allowed as part of the single "::".
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(':', i);
    if (j == std::string_view::npos) j = s.size();
    parts.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  int groups = 0, nonempty = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    std::string_view g = parts[k];
    if (g.empty()) {
      bool ok = dc != std::string_view::npos;
      if (!ok) return std::nullopt;
      continue;
    }
    if (k + 1 == parts.size() && g.find('.') != std::string_view::npos) {
      if (!valid_ipv4_text(g)) return std::nullopt;
      groups += 2, nonempty += 2;
      continue;
    }
    if (g.size() > 4 || !std::all_of(g.begin(), g.end(), is_hex)) return std::nullopt;
    ++groups, ++nonempty;
  }
  if (dc == std::string_view::npos ? groups != 8 : groups > 7) return std::nullopt;
  // "::1", "fe80::1", "a::b": too short to be anyone's address and too easy to confuse with code.
  if (nonempty < 3) return std::nullopt;
  return Span{b, e, PiiType::kIp};
}

struct Rule {
  PiiType type;
  std::string pattern;
  Validator validate;
};

std::vector<Rule> make_rules(const ScrubRules& r) {
  std::vector<Rule> rules;
  auto on = [&](PiiType t) { return r.enabled_type(t); };
  if (on(PiiType::kEmail))
    rules.push_back(
        {PiiType::kEmail, R"([A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)", validate_email});
  if (on(PiiType::kUrl))
    rules.push_back(
        {PiiType::kUrl,
         R"(\b(?:(?i:https?|ftp)://|(?i:www)\.[A-Za-z0-9\-]+\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+)",
         validate_url});
  if (on(PiiType::kRrn) || on(PiiType::kFrn)) {
    bool want_rrn = on(PiiType::kRrn), want_frn = on(PiiType::kFrn);
    rules.push_back({PiiType::kRrn, R"(\b\d{6}[- ]?\d{7}\b)",
                     [want_rrn, want_frn](std::string_view t, size_t b, size_t e) {
                       return validate_rrn(t, b, e, want_rrn, want_frn);
                     }});
  }
  if (on(PiiType::kCard))
    rules.push_back({PiiType::kCard, R"(\b\d{4}[- ]?\d{3,6}[- ]?\d{3,6}(?:[- ]?\d{1,6})?(?:[- ]?\d{3,4})?\b)",
                     validate_card});
  if (on(PiiType::kPhone)) {
    rules.push_back({PiiType::kPhone, R"(\b01[016789][-. ]?\d{3,4}[-. ]?\d{4}\b)", validate_mobile});
    rules.push_back({PiiType::kPhone,
                     R"(\+82[- ]?(?:\(0\)[- ]?|0)?(?:1[016789]|2|[3-6][1-5]|70)[-. ]?\d{3,4}[-. ]?\d{4}\b)",
                     validate_plus_phone});
    rules.push_back(
        {PiiType::kPhone,
         R"((?:\(0(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)\) ?|\b0(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)(?:\) ?|[-. ]))\d{3,4}[-. ]\d{4}\b)",
         validate_landline});
    rules.push_back(
        {PiiType::kPhone, R"(\+[1-9]\d{0,3}(?:[-. ]?(?:\(\d{1,4}\)|\d{1,4})){2,6}\b)", validate_plus_phone});
    rules.push_back({PiiType::kPhone, R"(\(\d{3}\) ?\d{3}[-. ]\d{4}\b)", validate_nanp});
  }
  if (on(PiiType::kIp)) {
    rules.push_back({PiiType::kIp, R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", validate_ipv4});
    rules.push_back({PiiType::kIp,
                     R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?)",
                     validate_ipv6});
  }
  return rules;
}

RE2::Options regex_options(int64_t max_mem) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(max_mem);  // room for the DFA cache, so RE2 never falls back to the slow NFA
  return o;
}

}  // namespace

// ---- public helpers ----

const char* pii_type_name(PiiType type) {
  return kTypeNames[static_cast<size_t>(type)];
}
const char* pii_type_tag(PiiType type) {
  return kTypeTags[static_cast<size_t>(type)];
}

PiiType parse_pii_type(const std::string& name) {
  for (size_t i = 0; i < kNumPiiTypes; ++i)
    if (name == kTypeNames[i]) return static_cast<PiiType>(i);
  if (name == "name" || name == "names") return PiiType::kName;
  throw config_error("types",
                     "unknown type '" + name +
                         "' (use a comma-separated list of: email, phone, rrn, frn, card, ip, url, terms)");
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    char c = digits[i];
    if (!is_digit(c)) return false;
    int d = c - '0';
    if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

int rrn_check_digit(std::string_view first12, bool foreigner) {
  static const int kWeights[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (size_t i = 0; i < 12 && i < first12.size(); ++i) sum += (first12[i] - '0') * kWeights[i];
  return foreigner ? (13 - sum % 11) % 10 : (11 - sum % 11) % 10;
}

bool plausible_birth_date(int yy, int mm, int dd, int gender_digit) {
  int century;
  switch (gender_digit) {
    case 1:
    case 2:
    case 5:
    case 6:
      century = 1900;
      break;
    case 3:
    case 4:
    case 7:
    case 8:
      century = 2000;
      break;
    case 9:
    case 0:
      century = 1800;
      break;
    default:
      return false;
  }
  if (yy < 0 || yy > 99 || mm < 1 || mm > 12 || dd < 1) return false;
  int year = century + yy;
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[mm - 1];
  if (mm == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) days = 29;
  return dd <= days;
}

void FindingCounts::add(const FindingCounts& other) {
  for (size_t i = 0; i < kNumPiiTypes; ++i) by_type[i] += other.by_type[i];
  rrn_unverified += other.rrn_unverified;
}

uint64_t FindingCounts::total() const {
  uint64_t t = 0;
  for (auto n : by_type) t += n;
  return t;
}

nlohmann::json FindingCounts::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < kNumPiiTypes; ++i) j[kTypeNames[i]] = by_type[i];
  j["total"] = total();
  j["rrn_frn_without_valid_check_digit"] = rrn_unverified;
  return j;
}

// ---- Scrubber ----

struct Scrubber::Impl {
  std::vector<Rule> rules;
  std::vector<std::unique_ptr<RE2>> anchored;  // one per rule, tried at a candidate's start
  std::unique_ptr<RE2> combined;               // every rule: finds the next candidate
  std::unique_ptr<RE2> terms;                  // the user's names, longest match first
};

Scrubber::Scrubber(ScrubRules rules) : rules_(std::move(rules)), impl_(std::make_unique<Impl>()) {
  impl_->rules = make_rules(rules_);
  std::string all;
  for (auto& rule : impl_->rules) {
    auto re = std::make_unique<RE2>(rule.pattern, regex_options(8 << 20));
    if (!re->ok()) throw Error(ErrorKind::kInternal, "scrub pattern does not compile: " + re->error());
    impl_->anchored.push_back(std::move(re));
    if (!all.empty()) all += "|";
    all += "(?:" + rule.pattern + ")";
  }
  if (!all.empty()) {
    impl_->combined = std::make_unique<RE2>(all, regex_options(64 << 20));
    if (!impl_->combined->ok())
      throw Error(ErrorKind::kInternal, "scrub patterns do not compile: " + impl_->combined->error());
  }
  if (rules_.enabled_type(PiiType::kName) && !rules_.terms.empty()) {
    std::string alt;
    size_t bytes = 0;
    for (auto& term : rules_.terms) {
      if (!alt.empty()) alt += "|";
      alt += RE2::QuoteMeta(term);
      bytes += term.size();
    }
    RE2::Options o = regex_options(static_cast<int64_t>(64 << 20) + static_cast<int64_t>(bytes) * 256);
    o.set_case_sensitive(false);
    o.set_longest_match(true);
    impl_->terms = std::make_unique<RE2>(alt, o);
    if (!impl_->terms->ok())
      throw config_error("terms",
                         "the term list is too large or invalid for the matcher: " + impl_->terms->error());
  }
}

Scrubber::~Scrubber() = default;

std::vector<Finding> Scrubber::find(std::string_view text) const {
  std::vector<Finding> found;
  const re2::StringPiece sp(text.data(), text.size());
  if (impl_->combined) {
    size_t pos = 0;
    re2::StringPiece m;
    while (pos < text.size() && impl_->combined->Match(sp, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      size_t s = static_cast<size_t>(m.data() - text.data());
      std::optional<Span> hit;
      for (size_t r = 0; r < impl_->rules.size() && !hit; ++r) {
        re2::StringPiece rm;
        if (!impl_->anchored[r]->Match(sp, s, text.size(), RE2::ANCHOR_START, &rm, 1)) continue;
        size_t e = s + rm.size();
        hit = impl_->rules[r].validate(text, s, e);
      }
      if (hit && hit->end > pos) {
        found.push_back({hit->type, hit->begin, hit->end, hit->unverified});
        pos = hit->end;
      } else {
        pos = s + 1;
      }
    }
  }
  if (impl_->terms) {
    std::vector<Finding> names;
    size_t pos = 0;
    re2::StringPiece m;
    while (pos < text.size() && impl_->terms->Match(sp, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      size_t s = static_cast<size_t>(m.data() - text.data());
      size_t e = s + m.size();
      bool ok = m.size() > 0 && !is_word_cp(prev_cp(text, s));
      // Whole token, or the term followed by up to three Korean particles/honorifics ("길동씨에게는").
      size_t q = e;
      for (int k = 0; ok && k <= 3; ++k) {
        if (!is_word_cp(next_cp(text, q))) break;
        bool matched = false;
        if (k < 3) {
          for (auto& suffix : korean_suffixes()) {
            if (text.compare(q, suffix.size(), suffix) == 0) {
              q += suffix.size();
              matched = true;
              break;
            }
          }
        }
        if (!matched) ok = false;
      }
      if (ok) {
        names.push_back({PiiType::kName, s, e});
        pos = e;
      } else {
        size_t len = 1;
        next_cp(text, s, &len);
        pos = s + std::max<size_t>(len, 1);
      }
    }
    if (!names.empty()) {
      // Merge: earlier start wins; at the same start the longer span.
      std::vector<Finding> all;
      all.reserve(found.size() + names.size());
      std::merge(found.begin(), found.end(), names.begin(), names.end(), std::back_inserter(all),
                 [](const Finding& a, const Finding& b) {
                   return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
                 });
      found.clear();
      for (auto& f : all)
        if (found.empty() || f.begin >= found.back().end) found.push_back(f);
    }
  }
  return found;
}

void Scrubber::scrub(std::string_view text, std::string& out, FindingCounts& counts) const {
  std::vector<Finding> found = find(text);
  size_t pos = 0;
  for (auto& f : found) {
    out.append(text.data() + pos, f.begin - pos);
    if (rules_.mode == ScrubMode::kMask)
      out.append(pii_type_tag(f.type));
    else
      out.append(pseudonymize(f.type, text.substr(f.begin, f.end - f.begin), rules_.seed));
    ++counts.by_type[static_cast<size_t>(f.type)];
    if (f.unverified) ++counts.rrn_unverified;
    pos = f.end;
  }
  out.append(text.data() + pos, text.size() - pos);
}

std::string Scrubber::scrub(std::string_view text) const {
  std::string out;
  FindingCounts counts;
  scrub(text, out, counts);
  return out;
}

}  // namespace bertforge::privacy
