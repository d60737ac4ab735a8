// Integration tests for `bertforge tokenize` through the built CLI: sentence and pair output, JSONL files
// (one line per input line, empty lines too), and bad input (missing/empty file, BOM, CRLF, NUL, invalid
// UTF-8 naming FILE:LINE, over-long lines) with no output file left behind on error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace bertforge::testing;
using nlohmann::json;

namespace {

using CliResult = RunResult;

std::string slurp(const fs::path& p) {
  return read_file(p);
}

std::vector<json> jsonl(const fs::path& p) {
  std::vector<json> out;
  std::istringstream in(slurp(p));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

class TokenizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bertforge-tokenize-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n이\n##순\n##신\n##은\n조선\n.\nabc\n##d\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return (dir_ / name).string();
  }
  std::string p(const std::string& name) { return (dir_ / name).string(); }
  std::string tok() { return "--tokenizer " + p("vocab.txt"); }
  bool no_temp_left() {
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().find(".tmp-") != std::string::npos) return false;
    }
    return true;
  }
  fs::path dir_;
};

}  // namespace

TEST_F(TokenizeCli, SentencePrintsTokensAndIds) {
  auto r = run_cli("tokenize " + tok() + " '이순신은 [MASK] 조선.'");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("tokens: [CLS] 이 ##순 ##신 ##은 [MASK] 조선 . [SEP]"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ids: 2 5 6 7 8 4 9 10 3"), std::string::npos) << r.output;
  auto n = run_cli("tokenize " + tok() + " --no-special-tokens abcd");
  EXPECT_NE(n.output.find("tokens: abc ##d\n"), std::string::npos) << n.output;
}

TEST_F(TokenizeCli, JsonWithPair) {
  auto r = run_cli("tokenize " + tok() + " --json abc --pair '조선.'");
  ASSERT_EQ(r.code, 0) << r.output;
  json j = json::parse(r.output);
  EXPECT_EQ(j["tokens"], json({"[CLS]", "abc", "[SEP]", "조선", ".", "[SEP]"}));
  EXPECT_EQ(j["type_ids"], json({0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(j["offsets"][3], json({0, 2}));
  EXPECT_EQ(j["special_tokens_mask"], json({1, 0, 1, 0, 0, 1}));
}

TEST_F(TokenizeCli, FileToJsonlOneLinePerInputLine) {
  // BOM skipped, CRLF handled, empty lines kept.
  write("in.txt", "\xEF\xBB\xBF이순신은\r\n\nabcd 조선.\n");
  auto r = run_cli("tokenize " + tok() + " --input " + p("in.txt") + " --output " + p("out.jsonl") +
                   " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  auto lines = jsonl(p("out.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["tokens"], json({"[CLS]", "이", "##순", "##신", "##은", "[SEP]"}));
  EXPECT_EQ(lines[1]["tokens"], json({"[CLS]", "[SEP]"}));
  EXPECT_EQ(lines[2]["ids"], json({2, 11, 12, 9, 10, 3}));
  EXPECT_EQ(lines[2]["offsets"][2], json({3, 4}));
  EXPECT_TRUE(lines[2].contains("type_ids"));
}

TEST_F(TokenizeCli, InvalidUtf8PoliciesAndNoHalfWrittenOutput) {
  write("bad.txt",
        "abc\nab\xff"
        "cd\n조선\n");
  auto r = run_cli("tokenize " + tok() + " --input " + p("bad.txt") + " --output " + p("o.jsonl"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("bad.txt:2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(p("o.jsonl")));
  EXPECT_TRUE(no_temp_left());
  r = run_cli("tokenize " + tok() + " --input " + p("bad.txt") + " --output " + p("o.jsonl") +
              " --on-invalid-utf8 replace");
  ASSERT_EQ(r.code, 0) << r.output;
  auto lines = jsonl(p("o.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["tokens"], json({"[CLS]", "abc", "##d", "[SEP]"}));  // U+FFFD is removed by clean_text
  r = run_cli("tokenize " + tok() + " --input " + p("bad.txt") + " --output " + p("s.jsonl") +
              " --on-invalid-utf8 skip");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(jsonl(p("s.jsonl")).size(), 2u);
  write("nul.txt", std::string("a\0b\n", 4));
  r = run_cli("tokenize " + tok() + " --input " + p("nul.txt") + " --output " + p("n.jsonl"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("nul.txt:1"), std::string::npos) << r.output;
}

TEST_F(TokenizeCli, ClearErrorsForFiles) {
  auto r = run_cli("tokenize " + tok() + " --input " + p("missing.txt") + " --output " + p("o.jsonl"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("missing.txt"), std::string::npos) << r.output;
  write("empty.txt", "");
  r = run_cli("tokenize " + tok() + " --input " + p("empty.txt") + " --output " + p("o.jsonl"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("empty"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(p("o.jsonl")));
  write("long.txt", "abc\n" + std::string(5000, 'a') + "\n");
  r = run_cli("tokenize " + tok() + " --input " + p("long.txt") + " --output " + p("o.jsonl") +
              " --max-line-bytes 1000");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("long.txt:2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(p("o.jsonl")));
  EXPECT_TRUE(no_temp_left());
}

TEST_F(TokenizeCli, ClearErrorsForArguments) {
  auto r = run_cli("tokenize " + tok());
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_cli("tokenize --tokenizer " + p("nope") + " abc");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
  write("bpe.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})");
  r = run_cli("tokenize --tokenizer " + p("bpe.json") + " abc");
  EXPECT_NE(r.output.find("BPE"), std::string::npos) << r.output;
}
