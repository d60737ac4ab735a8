// Unit tests for privacy/scrub detection: every type's positives and look-alike negatives, validators
// (check digits, Luhn, dates), the false-positive set (dates, versions, prices, page/cell references, times,
// long numeric IDs), Korean particles after names, and chunked scanning.
#include <gtest/gtest.h>

#include "scrub_test_util.h"

using namespace scrub_test;

namespace {

std::string mask(const std::string& text, ScrubRules rules = all_rules()) {
  return Scrubber(rules).scrub(text);
}

ScrubRules only(std::initializer_list<PiiType> types) {
  ScrubRules r;
  for (auto t : types) r.enabled[static_cast<size_t>(t)] = true;
  return r;
}

void expect_masked(const std::string& value, const std::string& tag, const ScrubRules& rules = all_rules()) {
  // Alone, inside a Korean sentence with a particle glued on, and at the end of a sentence.
  EXPECT_EQ(mask(value, rules), tag) << value;
  EXPECT_EQ(mask("연락처 " + value + "로 주세요", rules), "연락처 " + tag + "로 주세요") << value;
  EXPECT_EQ(mask("(" + value + ").", rules), "(" + tag + ").") << value;
}

void expect_kept(const std::string& text, const ScrubRules& rules = all_rules()) {
  EXPECT_EQ(mask(text, rules), text) << "false positive in: " << text;
}

}  // namespace

TEST(ScrubValidators, Luhn) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("4111-1111"));
}

TEST(ScrubValidators, RrnCheckDigit) {
  // Weights 2..9,2..5 over the first 12 digits; (11 - sum % 11) % 10 for citizens, (13 - sum % 11) % 10 for
  // foreigners. 800101-1...: 8*2 + 1*5 + 1*7 + 1*8 = 36, 36 % 11 = 3 -> citizen 8, foreigner 0.
  EXPECT_EQ(rrn_check_digit("800101100000", false), 8);
  EXPECT_EQ(rrn_check_digit("800101100000", true), 0);
  // 800101-5...: 16 + 5 + 7 + 40 = 68, 68 % 11 = 2 -> citizen 9, foreigner 1.
  EXPECT_EQ(rrn_check_digit("800101500000", false), 9);
  EXPECT_EQ(rrn_check_digit("800101500000", true), 1);
}

TEST(ScrubValidators, BirthDates) {
  EXPECT_TRUE(plausible_birth_date(90, 1, 1, 1));
  EXPECT_TRUE(plausible_birth_date(0, 2, 29, 3));   // 2000 is a leap year
  EXPECT_FALSE(plausible_birth_date(0, 2, 29, 1));  // 1900 is not
  EXPECT_FALSE(plausible_birth_date(1, 2, 29, 3));  // 2001 is not
  EXPECT_TRUE(plausible_birth_date(4, 2, 29, 7));   // 2004, foreigner
  EXPECT_FALSE(plausible_birth_date(90, 13, 1, 1));
  EXPECT_FALSE(plausible_birth_date(90, 0, 1, 1));
  EXPECT_FALSE(plausible_birth_date(90, 4, 31, 2));
  EXPECT_FALSE(plausible_birth_date(90, 1, 0, 2));
  EXPECT_FALSE(plausible_birth_date(90, 1, 1, -1));
}

TEST(ScrubEmail, Positives) {
  expect_masked("hong.gildong@example.co.kr", "[EMAIL]");
  expect_masked("a_b-c+tag@mail-server.example.com", "[EMAIL]");
  expect_masked("X9@EXAMPLE.ORG", "[EMAIL]");
  EXPECT_EQ(mask("메일: kim@example.com."), "메일: [EMAIL].");
  EXPECT_EQ(mask("mailto:lee@example.net"), "mailto:[EMAIL]");
  EXPECT_EQ(mask("a@example.com,b@example.com"), "[EMAIL],[EMAIL]");
}

TEST(ScrubEmail, Negatives) {
  expect_kept("트위터 @handle 로 연락");
  expect_kept("user@localhost");
  expect_kept("foo@bar.123");
  expect_kept("a @ b.com");
  expect_kept("email@");
}

TEST(ScrubPhone, KoreanMobile) {
  for (const char* v : {"010-1234-5678", "010 1234 5678", "01012345678", "010.1234.5678", "011-123-4567",
                        "016-9876-5432", "+82-10-1234-5678", "+82 10 1234 5678", "+82 (0)10 1234 5678",
                        "+821012345678", "(010) 1234-5678", "(010)1234-5678"})
    expect_masked(v, "[PHONE]");
}

TEST(ScrubPhone, KoreanLandlines) {
  for (const char* v :
       {"02-123-4567", "02-1234-5678", "031-123-4567", "051-1234-5678", "064 712 3456", "(02) 1234-5678",
        "(031)123-4567", "070-1234-5678", "+82-2-123-4567", "+82 31 123 4567"})
    expect_masked(v, "[PHONE]");
  // A common Korean way of writing the area code.
  EXPECT_EQ(mask("02)1234-5678"), "[PHONE]");
  EXPECT_EQ(mask("문의 02)1234-5678로"), "문의 [PHONE]로");
}

TEST(ScrubPhone, International) {
  for (const char* v : {"+1 415 555 0100", "+44 20 7946 0958", "+81-3-1234-5678", "+33 1 23 45 67 89",
                        "+44 (0)20 7946 0958", "(415) 555-0100"})
    expect_masked(v, "[PHONE]");
}

TEST(ScrubPhone, Negatives) {
  expect_kept("010-1234-5678-9012-3");  // a longer identifier with dashes
  expect_kept("A010-1234-5678");        // glued to letters
  expect_kept("0101234567890");         // 13 digits: not a phone number
  expect_kept("010-12345678");          // one separator only
  expect_kept("+1 23");                 // too short
  expect_kept("2+82-10-1234-5678");     // '+' glued to a digit
  expect_kept("020-1234-5678");         // no such area code
  expect_kept("1588-1234");             // business numbers are not personal
  expect_kept("(123) 555-0100");        // area codes start with 2-9
}

TEST(ScrubRrn, ValidCheckDigit) {
  std::string rrn = make_rrn("900101", '1', "23456");
  expect_masked(rrn, "[RRN]");
  std::string bare = make_rrn("851231", '2', "00001", false);
  expect_masked(bare, "[RRN]");
  expect_masked(make_rrn("000229", '3', "12345"), "[RRN]");  // 2000-02-29
  std::string spaced = make_rrn("770707", '1', "99999");
  spaced[6] = ' ';
  expect_masked(spaced, "[RRN]");
}

TEST(ScrubRrn, Foreigners) {
  expect_masked(make_rrn("900101", '5', "23456"), "[FRN]");
  expect_masked(make_rrn("041111", '8', "00070"), "[FRN]");
  // Only the enabled class is scrubbed.
  std::string frn = make_rrn("900101", '6', "11111");
  EXPECT_EQ(mask(frn, only({PiiType::kRrn})), frn);
  EXPECT_EQ(mask(frn, only({PiiType::kFrn})), "[FRN]");
  std::string rrn = make_rrn("900101", '2', "11111");
  EXPECT_EQ(mask(rrn, only({PiiType::kFrn})), rrn);
}

TEST(ScrubRrn, FailedCheckDigitPolicy) {
  // Written with a separator: numbers issued since October 2020 have no check digit, so a real date and
  // gender digit are enough; counted as unverified.
  std::string bad = break_check_digit(make_rrn("210315", '4', "55555"));
  Scrubber s(all_rules());
  std::string out;
  FindingCounts counts;
  s.scrub("번호 " + bad, out, counts);
  EXPECT_EQ(out, "번호 [RRN]");
  EXPECT_EQ(counts.rrn_unverified, 1u);
  EXPECT_EQ(counts.by_type[static_cast<size_t>(PiiType::kRrn)], 1u);
  // Thirteen bare digits must carry a valid check digit (else they are some other identifier).
  std::string bare = break_check_digit(make_rrn("210315", '4', "55555", false));
  EXPECT_EQ(mask(bare, only({PiiType::kRrn, PiiType::kFrn})), bare);
}

TEST(ScrubRrn, Negatives) {
  expect_kept("901301-1234567", only({PiiType::kRrn, PiiType::kFrn}));  // month 13
  expect_kept("900230-1234567", only({PiiType::kRrn, PiiType::kFrn}));  // 30 February
  expect_kept("010229-3234567", only({PiiType::kRrn, PiiType::kFrn}));  // 2001 is not a leap year
  expect_kept("900101-9234567", only({PiiType::kRrn, PiiType::kFrn}));  // gender digit 9
  expect_kept("900101-0234567", only({PiiType::kRrn, PiiType::kFrn}));  // gender digit 0
  expect_kept("1900101-1234567", only({PiiType::kRrn, PiiType::kFrn}));
  expect_kept(make_rrn("900101", '1', "23456") + "-1", only({PiiType::kRrn, PiiType::kFrn}));
}

TEST(ScrubCard, Positives) {
  std::string c16 = make_card("411111111111111");
  expect_masked(c16, "[CARD]");
  expect_masked(c16.substr(0, 4) + " " + c16.substr(4, 4) + " " + c16.substr(8, 4) + " " + c16.substr(12),
                "[CARD]");
  expect_masked(c16.substr(0, 4) + "-" + c16.substr(4, 4) + "-" + c16.substr(8, 4) + "-" + c16.substr(12),
                "[CARD]");
  expect_masked("3782 822463 10005", "[CARD]");  // Amex 4-6-5
  expect_masked("378282246310005", "[CARD]");
  expect_masked(make_card("601100099990139"), "[CARD]");
  std::string c19 = make_card("622202000000000000");
  expect_masked(c19, "[CARD]");
  expect_masked(make_card("422222222222"), "[CARD]");  // 13 digits
  // A number right after the card is not swallowed into it.
  EXPECT_EQ(mask("카드 4111 1111 1111 1111 123 원"), "카드 [CARD] 123 원");
}

TEST(ScrubCard, Negatives) {
  expect_kept("4111 1111 1111 1112");             // Luhn fails
  expect_kept("4111111111111112");                // long numeric ID failing Luhn
  expect_kept("주문번호 2024011512345678");       // 16-digit order number, Luhn fails
  expect_kept("4111-1111 1111-1111");             // mixed separators
  expect_kept(make_card("4111111111111111111"));  // 20 digits
  expect_kept("411 1111 1111 1111 1");            // first group not 4
  expect_kept("4111111111111111x");               // glued to letters
}

TEST(ScrubIp, V4) {
  for (const char* v : {"192.168.0.10", "10.0.0.1", "255.255.255.255", "8.8.8.8", "0.0.0.0"})
    expect_masked(v, "[IP]");
  EXPECT_EQ(mask("IP:192.168.0.1"), "IP:[IP]");
  EXPECT_EQ(mask("접속 IP는 203.0.113.7입니다"), "접속 IP는 [IP]입니다");
}

TEST(ScrubIp, V4Negatives) {
  expect_kept("256.1.1.1");
  expect_kept("192.168.0.300");
  expect_kept("01.02.03.04");   // leading zeros: dotted dates or codes
  expect_kept("1.2.3.4.5");     // five components
  expect_kept("버전 6.4.7.2");  // versions
  expect_kept("버전은 6.4.7.2 입니다");
  expect_kept("version 1.2.3.4");
  expect_kept("Version: 10.0.19041.1");
  expect_kept("v 1.2.3.4");
  expect_kept("v1.2.3.4");
  expect_kept("build 4.1.2.250");
  expect_kept("펌웨어 2.0.1.5 업데이트");
  expect_kept("3.2.1.4절 참조");
  EXPECT_EQ(mask("server 1.2.3.4"), "server [IP]") << "'ver' inside 'server' is not a version word";
  // A version after a product name, numbered document parts.
  expect_kept("LibreOffice 7.4.1.2");
  expect_kept("LibreOffice 7.4.1.2 버전에서 수정되었습니다.");
  expect_kept("Firefox 115.0.2.1");
  expect_kept("Section 1.2.3.4");
  expect_kept("see sec. 2.1.3.4 below");
  expect_kept("제 1.2.3.4조");
  expect_kept("§ 4.1.2.3");
  expect_kept("표 1.2.3.4 참조");
  expect_kept("1.2.3.4단계");
}

TEST(ScrubIp, V4AfterNetworkWordsStaysAnAddress) {
  // The product-name rule must not swallow addresses named by the word before them.
  EXPECT_EQ(mask("Server 10.0.0.1"), "Server [IP]");
  EXPECT_EQ(mask("Host 192.168.0.7"), "Host [IP]");
  EXPECT_EQ(mask("IP 192.168.0.7"), "IP [IP]");
  EXPECT_EQ(mask("DNS 8.8.8.8"), "DNS [IP]");
  EXPECT_EQ(mask("Gateway: 192.168.0.1"), "Gateway: [IP]");
  EXPECT_EQ(mask("From 203.0.113.9 접속"), "From [IP] 접속");
  EXPECT_EQ(mask("주소 203.0.113.9"), "주소 [IP]");
  EXPECT_EQ(mask("LibreOffice  7.4.1.2"), "LibreOffice  [IP]") << "one space only ties a name to its version";
}

TEST(ScrubIp, V6) {
  for (const char* v : {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334",
                        "2001:db8::1", "fe80::1:2:3", "::ffff:192.168.0.1", "2001:DB8:0:0:8:800:200C:417A"})
    expect_masked(v, "[IP]");
}

TEST(ScrubIp, V6Negatives) {
  expect_kept("12:30:45");
  expect_kept("회의 09:00:00 시작");
  expect_kept("00:1A:2B:3C:4D:5E");  // MAC address
  expect_kept("std::vector<int> a::b::c");
  expect_kept("::1");
  expect_kept("fe80::1");
  expect_kept("1:2:3:4:5:6:7:8:9");
  expect_kept("2001:db8::1::2");
}

TEST(ScrubUrl, OnlyWhenEnabled) {
  ScrubRules no_url = all_rules();
  no_url.enabled[static_cast<size_t>(PiiType::kUrl)] = false;
  EXPECT_EQ(mask("see https://example.com/page", no_url), "see https://example.com/page");
  EXPECT_EQ(mask("see https://example.com/page"), "see [URL]");
  EXPECT_EQ(mask("링크는 https://example.com/a?b=1&c=2입니다."), "링크는 [URL]입니다.");
  EXPECT_EQ(mask("(http://example.org/x_(y))."), "([URL]).");
  EXPECT_EQ(mask("(see http://example.org/x)"), "(see [URL])");
  EXPECT_EQ(mask("www.example.co.kr/path, 그리고"), "[URL], 그리고");
  EXPECT_EQ(mask("FTP://files.example.com"), "[URL]");
  EXPECT_EQ(mask("http://"), "http://");
  // Without URLs an address inside a link is still an address.
  EXPECT_EQ(mask("http://192.168.0.1/admin", no_url), "http://[IP]/admin");
}

TEST(ScrubFalsePositives, CommonNumbersStay) {
  // Dates, times, prices, versions, page and cell references, ordinary numbers: all types on.
  for (const char* text : {"2024-01-15",
                           "2024.01.15",
                           "2024/01/15",
                           "2024. 1. 15.",
                           "20240115",
                           "24.01.15",
                           "오후 12:30",
                           "12:30:45",
                           "1,000,000원",
                           "가격은 12,500원",
                           "₩1,234,567",
                           "$1,299.99",
                           "A1:B20",
                           "=SUM(A1:B20)",
                           "Sheet1!C3:D4",
                           "p. 123",
                           "pp. 12-15",
                           "제3조 제2항",
                           "1.2.3",
                           "버전 6.4.7.2",
                           "ISBN 978-89-12345-67-8",
                           "1234567890",
                           "12345678901234567890123",
                           "전화 1588-1234",
                           "3.14159",
                           "1e-10",
                           "2023년 10월 3일",
                           "No. 42",
                           "100%",
                           "±0.5",
                           "1-2-3-4",
                           "10:00~18:00",
                           "2024-01-15T12:30:45Z",
                           "12/25/2024",
                           "(2) 3-4",
                           "2,024,011,512,345"}) {
    expect_kept(text);
  }
}

TEST(ScrubTerms, WholeTokensAndParticles) {
  ScrubRules r = only({PiiType::kName});
  r.terms = {"홍길동", "김철수", "John Smith", "Lee"};
  Scrubber s(r);
  EXPECT_EQ(s.scrub("홍길동은 김철수씨에게 말했다."), "[NAME]은 [NAME]씨에게 말했다.");
  EXPECT_EQ(s.scrub("홍길동이 홍길동의 홍길동을 홍길동님께서"), "[NAME]이 [NAME]의 [NAME]을 [NAME]님께서");
  EXPECT_EQ(s.scrub("(홍길동)"), "([NAME])");
  EXPECT_EQ(s.scrub("홍길동전은 소설이다"), "홍길동전은 소설이다") << "a longer word is not the name";
  EXPECT_EQ(s.scrub("김철수진"), "김철수진");
  EXPECT_EQ(s.scrub("john smith met LEE."), "[NAME] met [NAME].");
  EXPECT_EQ(s.scrub("Leeds and Lee's"), "Leeds and [NAME]'s");
  EXPECT_EQ(s.scrub("Mr.Lee"), "Mr.[NAME]");
}

TEST(ScrubTerms, LongestTermWins) {
  ScrubRules r = only({PiiType::kName});
  r.terms = {"이영", "이영희"};
  Scrubber s(r);
  EXPECT_EQ(s.scrub("이영희는 이영과"), "[NAME]는 [NAME]과");
  EXPECT_EQ(s.scrub("이영역"), "이영역");
}

TEST(ScrubTerms, OverlapWithPatterns) {
  ScrubRules r = all_rules();
  r.terms = {"hong"};
  Scrubber s(r);
  EXPECT_EQ(s.scrub("hong@example.com hong"), "[EMAIL] [NAME]");
}

TEST(ScrubScan, ChunkEqualsLines) {
  std::vector<std::string> lines = {"연락처 010-1234-5678",
                                    "",
                                    "카드 4111 1111 1111 1111 끝",
                                    "IP 10.1.2.3",
                                    "메일 a@example.com",
                                    "줄 끝 번호 010-1234-",
                                    "5678 다음 줄",
                                    make_rrn("900101", '1', "00000")};
  Scrubber s(all_rules());
  std::string joined, expected;
  for (auto& l : lines) {
    joined += l + "\n";
    expected += s.scrub(l) + "\n";
  }
  EXPECT_EQ(s.scrub(joined), expected);
  EXPECT_NE(expected.find("010-1234-\n5678"), std::string::npos) << "no match across a newline";
}

TEST(ScrubScan, FindingsSortedAndCounted) {
  Scrubber s(all_rules());
  std::string text = "a@example.com 010-1234-5678 192.168.0.1 " + make_rrn("900101", '1', "00000");
  auto found = s.find(text);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].type, PiiType::kEmail);
  EXPECT_EQ(found[1].type, PiiType::kPhone);
  EXPECT_EQ(found[2].type, PiiType::kIp);
  EXPECT_EQ(found[3].type, PiiType::kRrn);
  for (size_t i = 1; i < found.size(); ++i) EXPECT_LE(found[i - 1].end, found[i].begin);
  FindingCounts counts;
  std::string out;
  s.scrub(text, out, counts);
  EXPECT_EQ(counts.total(), 4u);
  EXPECT_EQ(counts.by_type[static_cast<size_t>(PiiType::kPhone)], 1u);
}

TEST(ScrubScan, TypesParse) {
  EXPECT_EQ(parse_pii_type("email"), PiiType::kEmail);
  EXPECT_EQ(parse_pii_type("terms"), PiiType::kName);
  EXPECT_THROW(parse_pii_type("ssn"), bertforge::Error);
}

TEST(ScrubScan, PathologicalInputsStayLinear) {
  // Long runs that look almost like PII must not blow up (each candidate is retried at most a bounded
  // number of times).
  std::string digits(200000, '1'), dotted, colons, at(100000, 'a');
  for (int i = 0; i < 50000; ++i) dotted += "1.";
  for (int i = 0; i < 50000; ++i) colons += "ab:";
  at += "@";
  Scrubber s(all_rules());
  EXPECT_EQ(s.scrub(digits), digits);
  EXPECT_EQ(s.scrub(dotted), dotted);
  EXPECT_EQ(s.scrub(colons), colons);
  EXPECT_EQ(s.scrub(at), at);
}
