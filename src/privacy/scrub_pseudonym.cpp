// privacy/scrub_pseudonym.cpp — fake values for `bertforge scrub --mode pseudonymize` (see scrub.h).
//
// Each fake is a pure function of (seed, type, value): a SipHash-2-4 keyed by --seed turns the value into a
// random stream, and the stream fills a value of the same shape. So the same phone number becomes the same
// fake number on every line and every thread, without a shared table, and nobody without the seed can
// map a fake back to its value by hashing guesses. Shapes kept:
//   "010-1234-5678"   -> "010-7305-1186"       prefix and separators kept, Korean forms share the fake
//   "900101-1234567"  -> "731118-2086415"      real date, same RRN/FRN class, recomputed check digit
//   "4111 1111 1111 1111" -> "4938 0412 7760 3318"  first digit and grouping kept, Luhn-valid
//   "hong@corp.co.kr" -> "user482913@example.com"
//   "192.168.0.7"     -> "10.83.4.201"          IPv6 -> 2001:db8::/32 (documentation prefix)
//   "홍길동"           -> "윤서진"               same length, a final consonant where the original had one
#include <cstring>
#include <string>

#include "privacy/scrub.h"
#include "text/utf8.h"

namespace bertforge::privacy {

namespace {

uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A deterministic stream of random numbers derived from (seed, type, canonical value).
class Stream {
 public:
  Stream(uint64_t seed, PiiType type, std::string_view canonical) {
    std::string key = pii_type_name(type);
    key.push_back('\0');
    key.append(canonical);
    state_ = keyed_hash(seed, key);
  }
  uint64_t next() { return splitmix64(state_ += 0x9E3779B97F4A7C15ull); }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  char digit() { return static_cast<char>('0' + below(10)); }

 private:
  uint64_t state_;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (is_digit(c)) d.push_back(c);
  return d;
}

std::string fake_email(std::string_view value, uint64_t seed) {
  std::string canonical(value);
  for (auto& c : canonical) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Stream s(seed, PiiType::kEmail, canonical);
  std::string out = "user";
  for (int i = 0; i < 6; ++i) out.push_back(s.digit());
  return out + "@example.com";
}

// Korean numbers written in international form share the fake of their domestic form.
std::string phone_key(std::string_view value) {
  std::string d = digits_of(value);
  if (!value.empty() && value[0] == '+' && d.rfind("82", 0) == 0) {
    d = "0" + d.substr(2);
    if (d.rfind("00", 0) == 0) d.erase(0, 1);  // "+82 (0)10 ..." / "+82 010 ..."
  }
  return d;
}

std::string fake_phone(std::string_view value, uint64_t seed) {
  std::string key = phone_key(value);
  // How many leading digits stay (country code, area or mobile prefix): they carry no identity.
  size_t keep_groups = value[0] == '+' ? 2 : 1;
  size_t keep_end = 0;  // byte index in value: digits before it are kept
  {
    size_t groups = 0, i = 0;
    while (i < value.size() && groups < keep_groups) {
      while (i < value.size() && !is_digit(value[i])) ++i;
      size_t j = i;
      while (j < value.size() && is_digit(value[j])) ++j;
      if (j == i) break;
      ++groups;
      i = j;
    }
    keep_end = i;
    // Digits written without separators: keep the first 3 (4 with '+').
    if (keep_end == value.size()) {
      size_t n = 0;
      keep_end = 0;
      size_t want = value[0] == '+' ? 4 : 3;
      while (keep_end < value.size() && n < want) n += is_digit(value[keep_end++]) ? 1 : 0;
    }
  }
  size_t replaced = 0;
  for (size_t i = keep_end; i < value.size(); ++i) replaced += is_digit(value[i]) ? 1 : 0;
  // The stream depends on the whole key but only its last `replaced` digits change, so "010-1234-5678",
  // "01012345678" and "+82-10-1234-5678" all get the same new subscriber digits.
  Stream s(seed, PiiType::kPhone, key);
  std::string fresh;
  for (size_t i = 0; i < replaced; ++i) fresh.push_back(s.digit());
  std::string out(value);
  size_t k = 0;
  for (size_t i = keep_end; i < out.size(); ++i)
    if (is_digit(out[i])) out[i] = fresh[k++];
  return out;
}

std::string fake_rrn(PiiType type, std::string_view value, uint64_t seed) {
  std::string d = digits_of(value);
  Stream s(seed, PiiType::kRrn, d);  // RRN and FRN share a key space: the value decides the class
  bool foreigner = d.size() > 6 && d[6] >= '5';
  (void)type;
  int gender = foreigner ? 5 + s.below(4) : 1 + s.below(4);
  int yy = s.below(100), mm = 1 + s.below(12), dd = 1 + s.below(31);
  while (!plausible_birth_date(yy, mm, dd, gender)) dd = 1 + s.below(28);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d%d", yy, mm, dd, gender);
  std::string fresh = buf;
  for (int i = 0; i < 5; ++i) fresh.push_back(s.digit());
  fresh.push_back(static_cast<char>('0' + rrn_check_digit(fresh, foreigner)));
  if (value.size() == 14) fresh.insert(6, 1, value[6]);  // keep "-" or " "
  return fresh;
}

std::string fake_card(std::string_view value, uint64_t seed) {
  std::string d = digits_of(value);
  Stream s(seed, PiiType::kCard, d);
  std::string fresh(1, d[0]);  // the first digit names the network (4 Visa, 5 Mastercard, 3 Amex...)
  for (size_t i = 1; i + 1 < d.size(); ++i) fresh.push_back(s.digit());
  for (char c = '0'; c <= '9'; ++c) {
    if (luhn_valid(fresh + c)) {
      fresh.push_back(c);
      break;
    }
  }
  std::string out(value);
  size_t k = 0;
  for (auto& c : out)
    if (is_digit(c)) c = fresh[k++];
  return out;
}

std::string fake_ip(std::string_view value, uint64_t seed) {
  std::string canonical(value);
  for (auto& c : canonical) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Stream s(seed, PiiType::kIp, canonical);
  char buf[64];
  if (value.find(':') == std::string_view::npos) {
    std::snprintf(buf, sizeof buf, "10.%d.%d.%d", s.below(256), s.below(256), 1 + s.below(254));
  } else {
    std::snprintf(buf, sizeof buf, "2001:db8:%x:%x:%x:%x:%x:%x", s.below(65536), s.below(65536),
                  s.below(65536), s.below(65536), s.below(65536), 1 + s.below(65535));
  }
  return buf;
}

std::string fake_url(std::string_view value, uint64_t seed) {
  Stream s(seed, PiiType::kUrl, value);
  size_t scheme = value.find("://");
  std::string out = scheme == std::string_view::npos ? "www." : std::string(value.substr(0, scheme + 3));
  out += "example.com/";
  static const char* kHex = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) out.push_back(kHex[s.below(16)]);
  return out;
}

// Hangul syllables: U+AC00 + (initial*21 + medial)*28 + final; final 0 means no closing consonant.
bool is_hangul(char32_t cp) {
  return cp >= 0xAC00 && cp <= 0xD7A3;
}
bool has_final(char32_t cp) {
  return is_hangul(cp) && (cp - 0xAC00) % 28 != 0;
}

std::string fake_name(std::string_view value, uint64_t seed) {
  std::string canonical(value);
  for (auto& c : canonical) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Stream s(seed, PiiType::kName, canonical);
  std::u32string cps;
  for (size_t i = 0; i < value.size();) {
    char32_t cp;
    if (!text::utf8_next(value, i, cp)) cp = 0xFFFD;
    cps.push_back(cp);
  }
  std::string out;
  if (!cps.empty() && is_hangul(cps[0])) {
    static const char32_t kSurnames[] = U"김이박최정강조윤장임한오서신권황안송류홍";
    static const char32_t kOpen[] = U"서지수아도하주유시우예채다나리미소보재태해가라비";
    static const char32_t kClosed[] = U"민준현윤연진은원영성훈빈율린혁석경정환철숙결웅한";
    const size_t ns = std::char_traits<char32_t>::length(kSurnames);
    const size_t no = std::char_traits<char32_t>::length(kOpen),
                 nc = std::char_traits<char32_t>::length(kClosed);
    for (size_t i = 0; i < cps.size(); ++i) {
      char32_t cp = cps[i];
      if (!is_hangul(cp)) {
        text::utf8_append(out, cp);
        continue;
      }
      char32_t fake;
      if (i == 0 && cps.size() > 1)
        fake = kSurnames[s.below(static_cast<int>(ns))];
      else if (i + 1 == cps.size() || !is_hangul(cps[i + 1]))
        // The last syllable keeps whether it closes with a consonant, so "은/는", "이/가" still fit.
        fake = has_final(cp) ? kClosed[s.below(static_cast<int>(nc))] : kOpen[s.below(static_cast<int>(no))];
      else
        fake = s.below(2) ? kClosed[s.below(static_cast<int>(nc))] : kOpen[s.below(static_cast<int>(no))];
      text::utf8_append(out, fake);
    }
    return out;
  }
  // Other scripts: Latin letters alternating consonant/vowel with the original case; digits stay digits.
  static const char* kCons = "bcdfghjklmnprstvz";
  static const char* kVow = "aeiou";
  bool vowel_next = false;
  for (char32_t cp : cps) {
    bool upper = cp >= 'A' && cp <= 'Z';
    bool letter = upper || (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp != 0xFFFD && cp != ' ');
    if (cp >= '0' && cp <= '9') {
      out.push_back(s.digit());
    } else if (letter) {
      char c = vowel_next ? kVow[s.below(5)] : kCons[s.below(17)];
      out.push_back(upper ? static_cast<char>(c - 'a' + 'A') : c);
      vowel_next = !vowel_next;
    } else {
      text::utf8_append(out, cp);
      vowel_next = false;
    }
  }
  return out;
}

}  // namespace

uint64_t keyed_hash(uint64_t seed, std::string_view data) {
  const uint64_t k0 = splitmix64(seed), k1 = splitmix64(seed ^ 0x5EC12E7B5C12ABull);
  uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
  auto round = [&] {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  };
  const size_t n = data.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t m = 0;
    for (int k = 7; k >= 0; --k) m = (m << 8) | static_cast<unsigned char>(data[i + k]);
    v3 ^= m, round(), round(), v0 ^= m;
  }
  uint64_t b = static_cast<uint64_t>(n) << 56;
  for (size_t k = 0; i + k < n; ++k)
    b |= static_cast<uint64_t>(static_cast<unsigned char>(data[i + k])) << (8 * k);
  v3 ^= b, round(), round(), v0 ^= b;
  v2 ^= 0xff;
  round(), round(), round(), round();
  return v0 ^ v1 ^ v2 ^ v3;
}

std::string pseudonymize(PiiType type, std::string_view value, uint64_t seed) {
  if (value.empty()) return std::string();
  switch (type) {
    case PiiType::kEmail:
      return fake_email(value, seed);
    case PiiType::kPhone:
      return fake_phone(value, seed);
    case PiiType::kRrn:
    case PiiType::kFrn:
      return fake_rrn(type, value, seed);
    case PiiType::kCard:
      return fake_card(value, seed);
    case PiiType::kIp:
      return fake_ip(value, seed);
    case PiiType::kUrl:
      return fake_url(value, seed);
    case PiiType::kName:
      return fake_name(value, seed);
  }
  return pii_type_tag(type);
}

}  // namespace bertforge::privacy
