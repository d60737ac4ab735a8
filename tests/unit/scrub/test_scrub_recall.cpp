// Recall and false-positive rate per type on generated data (issue 7's proof): thousands of synthetic
// positives in random formats inside Korean sentences must all be replaced by their tag, and thousands of
// look-alike negatives (Luhn failures, impossible dates, octets > 255, dates, times, versions, prices) must
// all stay. Fixed seeds, so a failure reproduces.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "scrub_test_util.h"

using namespace scrub_test;

namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int below(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + below(10)));
    return s;
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(below(static_cast<int>(v.size())))];
  }
  std::string sentence(const std::string& value) {
    static const std::vector<std::string> before = {"문의: ", "연락처 ", "담당자 정보는 ",
                                                    "(",      "",        "번호 = "};
    static const std::vector<std::string> after = {" 로 연락 바랍니다.", "입니다.",  "로", ")", "",
                                                   ", 감사합니다.",      "에서 확인"};
    return pick(before) + value + pick(after);
  }

 private:
  std::mt19937_64 rng_;
};

std::string email(Gen& g) {
  static const std::vector<std::string> tlds = {"com", "org", "net", "kr", "co.kr", "io"};
  std::string local = "u" + g.digits(1 + g.below(6));
  if (g.below(2)) local += "." + std::string(1, static_cast<char>('a' + g.below(26))) + g.digits(2);
  if (g.below(3) == 0) local += "+tag";
  return local + "@mail" + g.digits(2) + ".example." + g.pick(tlds);
}

std::string phone(Gen& g) {
  std::string mid = g.digits(4), last = g.digits(4);
  std::string pre = std::vector<std::string>{"010", "011", "016", "017", "018", "019"}[g.below(6)];
  std::string area = std::vector<std::string>{"02", "031", "032", "051", "062", "064", "070"}[g.below(7)];
  switch (g.below(12)) {
    case 0:
      return pre + "-" + mid + "-" + last;
    case 1:
      return pre + " " + mid + " " + last;
    case 2:
      return pre + mid + last;
    case 3:
      return pre + "." + mid + "." + last;
    case 4:
      return "+82-" + pre.substr(1) + "-" + mid + "-" + last;
    case 5:
      return "+82 " + pre.substr(1) + " " + mid + " " + last;
    case 6:
      return area + "-" + g.digits(3 + g.below(2)) + "-" + last;
    case 7:
      return "(" + area + ") " + g.digits(3 + g.below(2)) + "-" + last;
    case 8:
      return "+1 " + std::to_string(2 + g.below(8)) + g.digits(2) + " " + g.digits(3) + " " + last;
    case 9:
      return "+44 20 " + mid + " " + last;
    case 10:
      return "(" + std::to_string(2 + g.below(8)) + g.digits(2) + ") " + g.digits(3) + "-" + last;
    default:
      return "+81-3-" + mid + "-" + last;
  }
}

std::string date6(Gen& g) {
  return fmt::format("{:02d}{:02d}{:02d}", g.below(100), 1 + g.below(12), 1 + g.below(28));
}

std::string card(Gen& g) {
  bool amex = g.below(4) == 0;
  std::string d = make_card((amex ? "37" : "4") + g.digits(amex ? 12 : 14));
  switch (g.below(3)) {
    case 0:
      return d;
    case 1:
      return amex ? d.substr(0, 4) + " " + d.substr(4, 6) + " " + d.substr(10)
                  : d.substr(0, 4) + " " + d.substr(4, 4) + " " + d.substr(8, 4) + " " + d.substr(12);
    default:
      return amex ? d.substr(0, 4) + "-" + d.substr(4, 6) + "-" + d.substr(10)
                  : d.substr(0, 4) + "-" + d.substr(4, 4) + "-" + d.substr(8, 4) + "-" + d.substr(12);
  }
}

std::string ip(Gen& g) {
  if (g.below(3))
    return fmt::format("{}.{}.{}.{}", 1 + g.below(255), g.below(256), g.below(256), g.below(256));
  std::vector<std::string> groups;
  for (int i = 0; i < 8; ++i) groups.push_back(fmt::format("{:x}", g.below(65536)));
  std::string full = groups[0];
  for (int i = 1; i < 8; ++i) full += ":" + groups[i];
  if (g.below(2)) return full;
  return groups[0] + ":" + groups[1] + ":" + groups[2] + "::" + groups[7];  // compressed
}

struct Case {
  const char* name;
  PiiType type;
  std::function<std::string(Gen&)> make;
};

}  // namespace

TEST(ScrubRecall, EveryGeneratedPositiveIsFound) {
  std::vector<Case> cases = {
      {"email", PiiType::kEmail, email},
      {"phone", PiiType::kPhone, phone},
      {"rrn", PiiType::kRrn,
       [](Gen& g) { return make_rrn(date6(g), static_cast<char>('1' + g.below(2)), g.digits(5)); }},
      {"rrn (no check digit)", PiiType::kRrn,
       [](Gen& g) { return break_check_digit(make_rrn(date6(g), '1', g.digits(5))); }},
      {"frn", PiiType::kFrn,
       [](Gen& g) { return make_rrn(date6(g), static_cast<char>('5' + g.below(2)), g.digits(5)); }},
      {"card", PiiType::kCard, card},
      {"ip", PiiType::kIp, ip},
  };
  Scrubber s(all_rules());
  for (auto& c : cases) {
    Gen g(std::hash<std::string>()(c.name));
    int found = 0, n = 2000, shown = 0;
    for (int i = 0; i < n; ++i) {
      std::string v = c.make(g), text = g.sentence(v);
      std::string out = s.scrub(text);
      std::string expected = text;
      expected.replace(text.find(v), v.size(), pii_type_tag(c.type));
      if (out == expected) {
        ++found;
      } else if (shown++ < 3) {
        ADD_FAILURE() << c.name << " missed: " << text << " -> " << out;
      }
    }
    std::printf("recall %-22s %d/%d\n", c.name, found, n);
    EXPECT_EQ(found, n) << c.name;
  }
}

TEST(ScrubRecall, LookAlikeNegativesStay) {
  std::vector<std::pair<const char*, std::function<std::string(Gen&)>>> cases = {
      {"card failing Luhn",
       [](Gen& g) {
         std::string d = break_check_digit(make_card("4" + g.digits(14)));
         return g.below(2)
                    ? d
                    : d.substr(0, 4) + " " + d.substr(4, 4) + " " + d.substr(8, 4) + " " + d.substr(12);
       }},
      {"long numeric id", [](Gen& g) { return std::to_string(1 + g.below(9)) + g.digits(19 + g.below(5)); }},
      {"rrn impossible date",
       [](Gen& g) {
         std::string d =
             g.below(2) ? fmt::format("{:02d}{:02d}{:02d}", g.below(100), 13 + g.below(87), 1 + g.below(28))
                        : fmt::format("{:02d}{:02d}{:02d}", g.below(100), 1 + g.below(12), 32 + g.below(68));
         return d + "-" + std::to_string(1 + g.below(8)) + g.digits(6);
       }},
      {"rrn gender 9/0", [](Gen& g) { return date6(g) + "-" + (g.below(2) ? "9" : "0") + g.digits(6); }},
      // (13 bare digits that pass Luhn are a valid card number and are masked as [CARD]: not a negative.)
      {"bare 13 digits bad check",
       [](Gen& g) {
         for (;;) {
           std::string d = break_check_digit(make_rrn(date6(g), '1', g.digits(5), false));
           if (!luhn_valid(d)) return d;
         }
       }},
      {"ipv4 octet > 255",
       [](Gen& g) {
         return fmt::format("{}.{}.{}.{}", 256 + g.below(744), g.below(256), g.below(256), g.below(256));
       }},
      {"version",
       [](Gen& g) {
         static const std::vector<std::string> w = {"버전 ", "version ", "v", "Ver. ", "빌드 ", "펌웨어 "};
         return g.pick(w) +
                fmt::format("{}.{}.{}.{}", g.below(20), g.below(20), g.below(100), g.below(9999 % 256));
       }},
      {"version after a product name",
       [](Gen& g) {
         static const std::vector<std::string> w = {"LibreOffice ", "Firefox ",     "Chrome ",
                                                    "Ubuntu ",      "Thunderbird ", "Office "};
         return g.pick(w) +
                fmt::format("{}.{}.{}.{}", 1 + g.below(30), g.below(20), g.below(100), g.below(256));
       }},
      {"version after a version word",
       [](Gen& g) {
         static const std::vector<std::string> w = {"버전 ", "버전은 ", "Version ", "version: ", "v ",
                                                    "V",     "릴리스 ", "patch ",   "업데이트 "};
         return g.pick(w) +
                fmt::format("{}.{}.{}.{}", 1 + g.below(255), g.below(256), g.below(256), g.below(256));
       }},
      {"section number",
       [](Gen& g) {
         static const std::vector<std::string> pre = {"Section ", "sec. ",  "§ ",       "제 ",
                                                      "표 ",      "Table ", "Chapter ", "clause "};
         static const std::vector<std::string> post = {"절", "조", "항", "장", "단계"};
         std::string n =
             fmt::format("{}.{}.{}.{}", 1 + g.below(30), 1 + g.below(20), 1 + g.below(20), 1 + g.below(20));
         return g.below(2) ? g.pick(pre) + n : n + g.pick(post);
       }},
      {"date",
       [](Gen& g) {
         static const std::vector<std::string> sep = {"-", ".", "/", ". "};
         std::string s = g.pick(sep);
         return fmt::format("{}{}{:02d}{}{:02d}", 1950 + g.below(80), s, 1 + g.below(12), s, 1 + g.below(28));
       }},
      {"time",
       [](Gen& g) { return fmt::format("{:02d}:{:02d}:{:02d}", g.below(24), g.below(60), g.below(60)); }},
      {"price",
       [](Gen& g) {
         return fmt::format("{},{:03d},{:03d}원", 1 + g.below(999), g.below(1000), g.below(1000));
       }},
      {"cell range",
       [](Gen& g) {
         return fmt::format("{}{}:{}{}", static_cast<char>('A' + g.below(26)), 1 + g.below(999),
                            static_cast<char>('A' + g.below(26)), 1 + g.below(9999));
       }},
      {"page", [](Gen& g) { return fmt::format("p. {}", 1 + g.below(999)); }},
  };
  Scrubber s(all_rules());
  for (auto& [name, make] : cases) {
    Gen g(std::hash<std::string>()(name));
    int kept = 0, n = 2000, shown = 0;
    for (int i = 0; i < n; ++i) {
      std::string text = g.sentence(make(g));
      std::string out = s.scrub(text);
      if (out == text)
        ++kept;
      else if (shown++ < 3)
        ADD_FAILURE() << name << " false positive: " << text << " -> " << out;
    }
    std::printf("false positives %-26s %d/%d\n", name, n - kept, n);
    EXPECT_EQ(kept, n) << name;
  }
}
