// Unit tests for privacy/scrub pseudonymization: same value -> same fake (within and across scrubbers with
// the same seed), different seeds -> different fakes, and every fake keeps the shape of its value (and is
// itself detected as the same type, so a second scrub pass treats it the same way).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>

#include "scrub_test_util.h"
#include "text/utf8.h"

using namespace scrub_test;

namespace {

std::string shape(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back(c >= '0' && c <= '9' ? '9' : c);
  return out;
}

PiiType detected_type(const std::string& value) {
  static const Scrubber scrubber(all_rules());
  auto found = scrubber.find(value);
  EXPECT_EQ(found.size(), 1u) << value;
  if (found.size() != 1) return PiiType::kName;
  EXPECT_EQ(found[0].begin, 0u) << value;
  EXPECT_EQ(found[0].end, value.size()) << value;
  return found[0].type;
}

}  // namespace

TEST(ScrubKeyedHash, SeedAndDataMatter) {
  EXPECT_EQ(keyed_hash(1, "abc"), keyed_hash(1, "abc"));
  EXPECT_NE(keyed_hash(1, "abc"), keyed_hash(2, "abc"));
  EXPECT_NE(keyed_hash(1, "abc"), keyed_hash(1, "abd"));
  EXPECT_NE(keyed_hash(1, ""), keyed_hash(1, std::string(1, '\0')));
  EXPECT_NE(keyed_hash(1, "12345678"), keyed_hash(1, "123456789"));
}

TEST(ScrubPseudonym, ConsistentWithinAndAcrossScrubbers) {
  ScrubRules r = all_rules(ScrubMode::kPseudonymize);
  r.seed = 42;
  Scrubber a(r), b(r);
  std::string text = "전화 010-1234-5678, 다시 010-1234-5678. 메일 kim@example.com kim@example.com";
  std::string out = a.scrub(text);
  EXPECT_EQ(out, b.scrub(text));
  EXPECT_EQ(out.find("1234-5678"), std::string::npos);
  EXPECT_EQ(out.find("kim@"), std::string::npos);
  auto found = Scrubber(all_rules()).find(out);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(out.substr(found[0].begin, found[0].end - found[0].begin),
            out.substr(found[1].begin, found[1].end - found[1].begin));
  EXPECT_EQ(out.substr(found[2].begin, found[2].end - found[2].begin),
            out.substr(found[3].begin, found[3].end - found[3].begin));
  r.seed = 43;
  EXPECT_NE(Scrubber(r).scrub(text), out);
}

TEST(ScrubPseudonym, DistinctValuesGetDistinctFakes) {
  std::set<std::string> fakes;
  for (int i = 0; i < 200; ++i)
    fakes.insert(pseudonymize(PiiType::kPhone, fmt::format("010-1234-{:04d}", i), 7));
  EXPECT_GE(fakes.size(), 199u);
}

TEST(ScrubPseudonym, PhoneShape) {
  for (std::string v : {"010-1234-5678", "010 1234 5678", "01012345678", "+82-10-1234-5678", "(02) 123-4567",
                        "+1 415 555 0100", "+44 20 7946 0958"}) {
    std::string f = pseudonymize(PiiType::kPhone, v, 9);
    EXPECT_EQ(shape(f), shape(v)) << v << " -> " << f;
    EXPECT_NE(f, v);
    EXPECT_EQ(detected_type(f), PiiType::kPhone) << f;
  }
  EXPECT_EQ(pseudonymize(PiiType::kPhone, "010-1234-5678", 9).substr(0, 4), "010-");
  // The Korean forms of one number share their new subscriber digits.
  std::string a = pseudonymize(PiiType::kPhone, "010-1234-5678", 9);
  std::string b = pseudonymize(PiiType::kPhone, "01012345678", 9);
  std::string c = pseudonymize(PiiType::kPhone, "+82 10 1234 5678", 9);
  auto digits = [](const std::string& s) {
    std::string d;
    for (char ch : s)
      if (ch >= '0' && ch <= '9') d.push_back(ch);
    return d;
  };
  EXPECT_EQ(digits(a), digits(b));
  EXPECT_EQ(digits(a).substr(3), digits(c).substr(4));
}

TEST(ScrubPseudonym, RrnShapeDateAndCheckDigit) {
  for (int i = 0; i < 300; ++i) {
    char g = static_cast<char>('1' + i % 8);
    std::string v =
        make_rrn(fmt::format("{:02d}0{}1{}", i % 100, 1 + i % 9, i % 3), g, fmt::format("{:05d}", i * 37));
    std::string f = pseudonymize(g >= '5' ? PiiType::kFrn : PiiType::kRrn, v, 3);
    ASSERT_EQ(f.size(), 14u);
    EXPECT_EQ(f[6], '-');
    std::string d = f.substr(0, 6) + f.substr(7);
    int gender = d[6] - '0';
    EXPECT_EQ(gender >= 5, g >= '5') << "the citizen/foreigner class is kept: " << v << " -> " << f;
    EXPECT_TRUE(plausible_birth_date(std::stoi(d.substr(0, 2)), std::stoi(d.substr(2, 2)),
                                     std::stoi(d.substr(4, 2)), gender))
        << f;
    EXPECT_EQ(rrn_check_digit(d.substr(0, 12), gender >= 5), d[12] - '0') << f;
    EXPECT_EQ(detected_type(f), gender >= 5 ? PiiType::kFrn : PiiType::kRrn);
  }
  std::string bare = make_rrn("900101", '1', "12345", false);
  EXPECT_EQ(pseudonymize(PiiType::kRrn, bare, 3).size(), 13u);
}

TEST(ScrubPseudonym, CardShapeAndLuhn) {
  for (std::string v :
       std::vector<std::string>{"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",
                                "3782 822463 10005", make_card("622202000000000000")}) {
    std::string f = pseudonymize(PiiType::kCard, v, 5);
    EXPECT_EQ(shape(f), shape(v));
    EXPECT_EQ(f[0], v[0]);
    std::string d;
    for (char c : f)
      if (c >= '0' && c <= '9') d.push_back(c);
    EXPECT_TRUE(luhn_valid(d)) << f;
    EXPECT_NE(f, v);
    EXPECT_EQ(detected_type(f), PiiType::kCard) << f;
  }
}

TEST(ScrubPseudonym, EmailIpUrl) {
  std::string e = pseudonymize(PiiType::kEmail, "Hong.GilDong@corp.example.kr", 1);
  EXPECT_EQ(e, pseudonymize(PiiType::kEmail, "hong.gildong@CORP.example.kr", 1)) << "case-insensitive key";
  EXPECT_EQ(e.substr(e.find('@')), "@example.com");
  EXPECT_EQ(detected_type(e), PiiType::kEmail);
  std::string ip = pseudonymize(PiiType::kIp, "192.168.0.7", 1);
  EXPECT_EQ(ip.substr(0, 3), "10.");
  EXPECT_EQ(detected_type(ip), PiiType::kIp);
  std::string ip6 = pseudonymize(PiiType::kIp, "2001:db8:85a3::8a2e:370:7334", 1);
  EXPECT_EQ(ip6.substr(0, 9), "2001:db8:");
  EXPECT_EQ(detected_type(ip6), PiiType::kIp);
  std::string url = pseudonymize(PiiType::kUrl, "https://blog.example.org/~hong", 1);
  EXPECT_EQ(url.substr(0, 20), "https://example.com/");
  EXPECT_EQ(detected_type(url), PiiType::kUrl);
}

TEST(ScrubPseudonym, NamesKeepLengthAndFinalConsonant) {
  auto cps = [](const std::string& s) { return bertforge::text::utf8_length(s); };
  std::string a = pseudonymize(PiiType::kName, "홍길동", 11);  // 동 ends in a consonant
  std::string b = pseudonymize(PiiType::kName, "김철수", 11);  // 수 does not
  EXPECT_EQ(cps(a), 3u);
  EXPECT_EQ(cps(b), 3u);
  EXPECT_NE(a, "홍길동");
  auto last_has_final = [](const std::string& s) {
    size_t i = 0;
    char32_t cp = 0, last = 0;
    while (i < s.size() && bertforge::text::utf8_next(s, i, cp)) last = cp;
    return (last - 0xAC00) % 28 != 0;
  };
  EXPECT_TRUE(last_has_final(a));
  EXPECT_FALSE(last_has_final(b));
  std::string en = pseudonymize(PiiType::kName, "John Smith", 11);
  EXPECT_EQ(en.size(), 10u);
  EXPECT_EQ(en[4], ' ');
  EXPECT_TRUE(en[0] >= 'A' && en[0] <= 'Z');
  // The key ignores case; the fake follows the case of what it replaces.
  std::string upper = pseudonymize(PiiType::kName, "JOHN SMITH", 11),
              lower = pseudonymize(PiiType::kName, "john smith", 11);
  for (auto& c : upper) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(upper, lower);
  // In a sentence, the particle stays after the fake name.
  ScrubRules r;
  r.enabled[static_cast<size_t>(PiiType::kName)] = true;
  r.mode = ScrubMode::kPseudonymize;
  r.seed = 11;
  r.terms = {"홍길동"};
  EXPECT_EQ(Scrubber(r).scrub("홍길동은 왔다"), a + "은 왔다");
}
