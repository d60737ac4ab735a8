// tests/unit/tokenizers/test_trainer_cli.cpp — `bertforge tokenizer train` end to end on tiny corpora:
// the output folder, the sanity report and its warnings, --config/--prefix/--overwrite, and bad input
// (missing file, invalid UTF-8, no words, bad option values; the library tests cover empty files) failing
// with a clear message and no output folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;

using namespace bertforge::testing;

// `r.out` reads better in these tests than RunResult's `output`.
struct Result {
  int code = -1;
  std::string out;  // stdout + stderr
};

std::string quote(const std::string& s) {
  return sh_quote(s);
}

Result cli(const std::string& args) {
  RunResult r = run_cli(args);
  return {r.code, r.output};
}

std::string slurp(const fs::path& p) {
  return read_file(p);
}

class TrainerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bf_trainer_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    corpus_ = file("corpus.txt",
                   "이순신은 조선 중기의 무신이다.\n셀을 병합하면 계산 오류가 발생할 수 있습니다.\n\n"
                   "이순신은 무신이다. 조선의 무신이다.\n셀을 병합합니다.\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }
  // Nothing but the inputs: no output folder and no temporary leftovers.
  void expect_no_output(const std::string& name) {
    EXPECT_FALSE(fs::exists(dir_ / name));
    for (auto& e : fs::directory_iterator(dir_))
      EXPECT_EQ(e.path().filename().string().find(name + ".tmp"), std::string::npos) << e.path();
  }
  fs::path dir_, corpus_;
};

TEST_F(TrainerCli, WritesHfFolderReportAndConfig) {
  fs::path out = dir_ / "tok";
  Result r = cli("tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()) +
                 " --vocab-size 60 --min-frequency 1 --prefix my");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"my-vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                        "train_config.json", "train_report.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  std::string vocab = slurp(out / "my-vocab.txt");
  EXPECT_EQ(vocab.substr(0, 32), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.");
  auto report = nlohmann::json::parse(slurp(out / "train_report.json"));
  EXPECT_EQ(report["vocab_size"], 60);
  EXPECT_EQ(report["corpus_lines"], 5);
  EXPECT_EQ(report["sample_unk_tokens"], 0);
  EXPECT_NE(r.out.find("[UNK] rate"), std::string::npos);
  EXPECT_NE(r.out.find("example:"), std::string::npos);
  EXPECT_EQ(r.out.find("jamo"), std::string::npos);
  auto tj = nlohmann::json::parse(slurp(out / "tokenizer.json"));
  EXPECT_EQ(tj["normalizer"]["lowercase"], false);
  EXPECT_EQ(tj["model"]["vocab"].size(), 60u);

  // train_config.json is a valid --config: the same run again gives the same vocab.
  fs::path again = dir_ / "again";
  r = cli("tokenizer train --config " + quote((out / "train_config.json").string()) + " --output " +
          quote(again.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(slurp(again / "my-vocab.txt"), vocab);
}

TEST_F(TrainerCli, RefusesExistingOutputUnlessOverwrite) {
  fs::path out = dir_ / "tok";
  fs::create_directories(out);
  Result r = cli("tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--overwrite"), std::string::npos) << r.out;
  r = cli("-q tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()) +
          " --overwrite");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(out / "vocab.txt"));
}

TEST_F(TrainerCli, WarnsWhenHangulTurnsIntoJamo) {
  fs::path out = dir_ / "tok";
  Result r = cli("tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()) +
                 " --lowercase --min-frequency 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("jamo"), std::string::npos) << r.out;
  r = cli("tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()) +
          " --lowercase --strip-accents false --min-frequency 1 --overwrite");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("jamo"), std::string::npos) << r.out;
}

TEST_F(TrainerCli, WarnsWhenUnkRateIsHigh) {
  fs::path out = dir_ / "tok";
  // 3 chars kept of many: most words contain a dropped char.
  Result r = cli("tokenizer train --files " + quote(corpus_.string()) + " --output " + quote(out.string()) +
                 " --limit-alphabet 3 --min-frequency 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("[UNK] rate is high"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--limit-alphabet"), std::string::npos);
}

TEST_F(TrainerCli, BadInputFailsWithoutOutput) {
  struct Case {
    std::string files, extra, expect;
  };
  fs::path bad = file("bad.txt", "좋은 줄\n나쁜 \xC3\x28 줄\n");
  fs::path blank = file("blank.txt", "  \n\t\n");
  std::vector<Case> cases = {
      {(dir_ / "missing.txt").string(), "", "missing.txt"},
      {bad.string(), "", "bad.txt:2"},
      {blank.string(), "", "no words"},
      {corpus_.string(), "--strip-accents maybe", "strip-accents"},
      {corpus_.string(), "--reference-vocab " + quote((dir_ / "nope-vocab.txt").string()), "nope-vocab.txt"},
  };
  for (const auto& c : cases) {
    Result r = cli("tokenizer train --files " + quote(c.files) + " --output " +
                   quote((dir_ / "out").string()) + " " + c.extra);
    EXPECT_NE(r.code, 0) << c.files << " " << c.extra;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    expect_no_output("out");
  }
  // The invalid line can be skipped or replaced instead.
  Result r = cli("-q tokenizer train --files " + quote(bad.string()) + " --output " +
                 quote((dir_ / "out").string()) + " --on-invalid-utf8 skip --min-frequency 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("skipped lines"), std::string::npos) << r.out;
}

}  // namespace
