// Unit tests of canary planting (privacy/audit_canary.cpp): templates, determinism, the corpus format kept
// (documents, blank lines, every original line in order), controls never in the output, the canary file.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <random>
#include <sstream>

#include "common/error.h"
#include "privacy/audit.h"
#include "test_util.h"

using namespace bertforge::privacy;
using bertforge::testing::read_file;
using bertforge::testing::TempDir;
using bertforge::testing::write_file;

namespace {

// A synthetic corpus: `docs` documents of 3..7 numbered sentences, blank line between documents.
std::string make_corpus(int docs) {
  std::string s;
  for (int d = 0; d < docs; ++d) {
    if (d) s += "\n";
    for (int i = 0; i < 3 + d % 5; ++i) s += fmt::format("문서 {} 의 문장 {} 입니다.\n", d, i);
  }
  return s;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(AuditCanaryTemplate, Parse) {
  CanaryTemplate t = parse_canary_template(kDefaultCanaryTemplate);
  EXPECT_EQ(t.prefix, "제 휴대폰 번호는 010-");
  EXPECT_EQ(t.slot_format, "####-####");
  EXPECT_EQ(t.suffix, " 입니다.");
  EXPECT_EQ(t.digits, 8);
  EXPECT_NEAR(t.log2_space(), 26.575, 1e-3);
  EXPECT_EQ(t.fill("1234-5678"), "제 휴대폰 번호는 010-1234-5678 입니다.");
  for (const char* bad : {"no slot", "two {####} {####}", "short {###}", "unclosed {####", "} {####",
                          "too long {###################}"})
    EXPECT_THROW(parse_canary_template(bad), bertforge::Error) << bad;
}

TEST(AuditCanaryTemplate, RandomSecretKeepsTheShape) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    std::string s = random_secret("##-#a#", rng);
    ASSERT_EQ(s.size(), 6u);
    EXPECT_TRUE(isdigit(s[0]) && isdigit(s[1]) && s[2] == '-' && isdigit(s[3]) && s[4] == 'a' &&
                isdigit(s[5]));
  }
}

TEST(AuditCanaryInsert, FormatKeptAndCountsRight) {
  TempDir dir;
  std::string corpus = make_corpus(40);
  write_file(dir / "in.txt", corpus);
  CanaryInsertOptions o;
  o.count = 6;
  o.repeat = 7;
  o.seed = 9;
  CanaryInsertStats stats;
  auto canaries = insert_canaries(dir / "in.txt", dir / "out.txt", o, &stats);
  std::string out = read_file(dir / "out.txt");
  ASSERT_EQ(canaries.size(), 12u);
  EXPECT_EQ(stats.documents, 40u);
  EXPECT_EQ(stats.inserted_lines, 42u);

  std::map<std::string, const Canary*> by_text;
  int inserted = 0;
  for (const auto& c : canaries) {
    by_text[c.text] = &c;
    inserted += c.inserted;
    EXPECT_EQ(c.template_text, kDefaultCanaryTemplate);
    EXPECT_EQ(c.repeat, c.inserted ? 7 : 0);
  }
  EXPECT_EQ(inserted, 6);
  EXPECT_EQ(by_text.size(), 12u) << "secrets are distinct";

  // Removing the canary lines gives back the input exactly; each planted one appears `repeat` times, never a
  // control, and never a blank line or a new document.
  std::map<std::string, int> seen;
  std::string rest;
  for (const auto& l : lines_of(out)) {
    auto it = by_text.find(l);
    if (it != by_text.end()) {
      ++seen[l];
      continue;
    }
    rest += l + "\n";
  }
  EXPECT_EQ(rest, corpus);
  for (const auto& c : canaries) EXPECT_EQ(seen[c.text], c.inserted ? 7 : 0) << c.id;
  for (const auto& c : canaries)
    if (!c.inserted)
      EXPECT_EQ(out.find(c.secret), std::string::npos) << "control " << c.id << " in the output";
  // No canary line sits right after a blank line at the corpus end or before the first document's start
  // only: they are inside documents (before a sentence line).
  auto ls = lines_of(out);
  for (size_t i = 0; i < ls.size(); ++i)
    if (by_text.count(ls[i])) {
      ASSERT_LT(i + 1, ls.size());
      EXPECT_FALSE(ls[i + 1].empty()) << "a canary line is followed by a sentence of its document";
    }
}

TEST(AuditCanaryInsert, DeterministicBySeed) {
  TempDir dir;
  write_file(dir / "in.txt", make_corpus(30));
  CanaryInsertOptions o;
  o.count = 4;
  o.repeat = 3;
  o.seed = 123;
  auto a = insert_canaries(dir / "in.txt", dir / "a.txt", o);
  auto b = insert_canaries(dir / "in.txt", dir / "b.txt", o);
  EXPECT_EQ(read_file(dir / "a.txt"), read_file(dir / "b.txt"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(canary_to_json(a[i]), canary_to_json(b[i]));
  o.seed = 124;
  auto c = insert_canaries(dir / "in.txt", dir / "c.txt", o);
  EXPECT_NE(read_file(dir / "a.txt"), read_file(dir / "c.txt"));
}

TEST(AuditCanaryInsert, SeveralTemplatesAndTheSecretsAvoidTheCorpus) {
  TempDir dir;
  // The corpus already holds many 4-digit numbers of a 4-digit template: drawn secrets must avoid them.
  std::string corpus;
  for (int i = 0; i < 5000; ++i) corpus += fmt::format("코드 {:04d} 번\n", i);
  write_file(dir / "in.txt", corpus);
  CanaryInsertOptions o;
  o.count = 5;
  o.repeat = 2;
  o.templates = {"비밀번호는 {####} 입니다.", "계좌 {###-####-###} 로 보내 주세요."};
  auto canaries = insert_canaries(dir / "in.txt", dir / "out.txt", o);
  int per_template[2] = {0, 0};
  for (const auto& c : canaries) {
    ++per_template[c.template_index];
    EXPECT_EQ(c.template_text, o.templates[c.template_index]);
    EXPECT_EQ(corpus.find(c.secret), std::string::npos) << c.secret << " was already in the corpus";
  }
  EXPECT_EQ(per_template[0], 6);  // canaries 0, 2, 4 of each half
  EXPECT_EQ(per_template[1], 4);
}

TEST(AuditCanaryInsert, Errors) {
  TempDir dir;
  write_file(dir / "empty.txt", "\n\n");
  write_file(dir / "in.txt", make_corpus(2));
  CanaryInsertOptions o;
  EXPECT_THROW(insert_canaries(dir / "empty.txt", dir / "out.txt", o), bertforge::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "out.txt"));
  EXPECT_THROW(insert_canaries(dir / "missing.txt", dir / "out.txt", o), bertforge::Error);
  o.count = 0;
  EXPECT_THROW(insert_canaries(dir / "in.txt", dir / "out.txt", o), bertforge::Error);
  o.count = 1;
  o.templates = {"no slot here"};
  EXPECT_THROW(insert_canaries(dir / "in.txt", dir / "out.txt", o), bertforge::Error);
}

TEST(AuditCanaryFile, RoundTripAndValidation) {
  TempDir dir;
  write_file(dir / "in.txt", make_corpus(5));
  CanaryInsertOptions o;
  o.count = 3;
  auto canaries = insert_canaries(dir / "in.txt", dir / "out.txt", o);
  write_canary_file(dir / "list.jsonl", canaries);
  auto back = read_canary_file(dir / "list.jsonl");
  ASSERT_EQ(back.size(), canaries.size());
  for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(canary_to_json(back[i]), canary_to_json(canaries[i]));

  write_file(dir / "bad.jsonl",
             "{\"id\": \"x\", \"inserted\": true, \"template\": \"번호 {####}\", \"secret\": \"12a4\"}\n");
  try {
    read_canary_file(dir / "bad.jsonl");
    FAIL() << "a secret that does not fit its slot must be refused";
  } catch (const bertforge::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:1"), std::string::npos) << e.what();
  }
  write_file(dir / "bad2.jsonl", "{\"id\": \"x\", \"template\": \"번호 {####}\", \"secret\": \"1234\"}\n");
  EXPECT_THROW(read_canary_file(dir / "bad2.jsonl"), bertforge::Error);  // no "inserted"
}
