// Integration tests for `bertforge fill-mask` on bad input: every case ends with a message that says what is
// wrong and what to do, exit status 1 (bad data) or 2 (bad usage), never a crash; the texts that can be
// answered still are. The model folder is made with the CLI (model init) and a vocab written here.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace bertforge::testing;

namespace {

class FillMaskCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("bertforge-it-fill-mask");
    const fs::path d = dir_->path();
    std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\n,\n";
    for (const char* w :
         {"셀", "##을", "선택", "##합니다", "메뉴", "##에서", "서식", "the", "cell", "menu", "a"})
      vocab += std::string(w) + "\n";
    write_file(d / "vocab.txt", vocab);
    write_file(d / "cfg.json",
               R"({"vocab_size": 18, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                   "intermediate_size": 32, "max_position_embeddings": 16})");
    RunResult r = run_cli("-q model init --config " + q(d / "cfg.json") + " --output " + q(d / "model"));
    setup_error_ = r.code == 0 ? "" : r.output;
    if (r.code == 0) fs::copy_file(d / "vocab.txt", d / "model" / "vocab.txt");
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static std::string q(const fs::path& p) { return sh_quote(p.string()); }
  static fs::path path(const std::string& name) { return dir_->path() / name; }
  static std::string model() { return "--model " + q(path("model")); }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::string setup_error_;
};

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(FillMaskCli, AnswersAGoodText) {
  RunResult r = run_cli("fill-mask --json --top-k 3 " + model() + " " + sh_quote("셀을 [MASK] ."));
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(r.output.find('[')));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_TRUE(j[0].contains("sequence"));
}

TEST_F(FillMaskCli, TextWithoutMaskIsRefusedAndTheOthersAnswered) {
  RunResult r = run_cli("fill-mask --json " + model() + " " + sh_quote("셀을 선택합니다 .") + " " +
                        sh_quote("the [MASK] ."));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "no [MASK] token in the text")) << r.output;
  EXPECT_TRUE(has(r.output, "\"sequence\"")) << "the good text was not answered:\n" << r.output;
  // An empty text too.
  r = run_cli("fill-mask " + model() + " ''");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "no [MASK] token")) << r.output;
}

TEST_F(FillMaskCli, TextLongerThanThePositionsIsRefusedNotCut) {
  std::string text = "[MASK]";
  for (int i = 0; i < 20; ++i) text += " cell";
  RunResult r = run_cli("fill-mask " + model() + " " + sh_quote(text));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "tokens long but the model takes at most 16")) << r.output;
}

TEST_F(FillMaskCli, MissingFolder) {
  RunResult r = run_cli("fill-mask --model " + q(path("no-such-model")) + " 'a [MASK]'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "no-such-model")) << r.output;
  EXPECT_TRUE(has(r.output, "not found")) << r.output;
}

TEST_F(FillMaskCli, FolderWithoutTokenizerSaysPassTokenizer) {
  fs::create_directories(path("bare"));
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(path("model") / f, path("bare") / f, fs::copy_options::overwrite_existing);
  RunResult r = run_cli("fill-mask --model " + q(path("bare")) + " 'a [MASK]'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "--tokenizer")) << r.output;
  // ... and with --tokenizer it works.
  r = run_cli("fill-mask --model " + q(path("bare")) + " --tokenizer " + q(path("vocab.txt")) +
              " 'a [MASK]'");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(FillMaskCli, PickleOnlyFolderIsRefusedWithTheSafetensorsWay) {
  fs::create_directories(path("pickle"));
  fs::copy_file(path("model") / "config.json", path("pickle") / "config.json",
                fs::copy_options::overwrite_existing);
  fs::copy_file(path("vocab.txt"), path("pickle") / "vocab.txt", fs::copy_options::overwrite_existing);
  write_file(path("pickle") / "pytorch_model.bin", "PK\x03\x04 not really a zip");
  RunResult r = run_cli("fill-mask --model " + q(path("pickle")) + " 'a [MASK]'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "pickle")) << r.output;
  EXPECT_TRUE(has(r.output, "safetensors")) << r.output;
}

TEST_F(FillMaskCli, TokenizerBiggerThanTheModelIsRefused) {
  std::string big = read_file(path("vocab.txt"));
  for (int i = 0; i < 10; ++i) big += "extra" + std::to_string(i) + "\n";
  write_file(path("big-vocab.txt"), big);
  RunResult r = run_cli("fill-mask " + model() + " --tokenizer " + q(path("big-vocab.txt")) + " 'a [MASK]'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "vocab_size is 18")) << r.output;
}

TEST_F(FillMaskCli, BadFlagValuesAreUsageErrors) {
  RunResult r = run_cli("fill-mask " + model() + " --top-k 0 'a [MASK]'");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_cli("fill-mask " + model() + " --batch-size -3 'a [MASK]'");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_cli("fill-mask " + model() + " --no-such-flag 'a [MASK]'");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "--no-such-flag")) << r.output;
  r = run_cli("fill-mask " + model() + " --device cuda:0 'a [MASK]'");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "cuda")) << r.output;
}

TEST_F(FillMaskCli, TargetsThatMapToNothingAreRefused) {
  RunResult r = run_cli("fill-mask " + model() + " --targets ' ' 'a [MASK]'");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_LT(r.code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "target")) << r.output;
}

TEST_F(FillMaskCli, TextsInBracketsAreKeptWhole) {
  // CLI11 would read "[...]" as a list and strip the brackets: the text must arrive as typed.
  RunResult r = run_cli("fill-mask --json " + model() + " '[MASK] [MASK]' 'cell [MASK]'");
  ASSERT_EQ(r.code, 0) << r.output;
  std::istringstream lines(r.output);
  std::vector<nlohmann::json> answers;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '[') answers.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(answers.size(), 2u) << r.output;
  ASSERT_TRUE(answers[0][0].is_array()) << "two masks give two lists:\n" << r.output;
  EXPECT_EQ(answers[0].size(), 2u);
  EXPECT_TRUE(answers[1][0].is_object()) << r.output;
}

TEST_F(FillMaskCli, InputFileWithInvalidUtf8) {
  write_file(path("in.txt"), "the [MASK] .\n\n\xff\xfe [MASK]\ncell [MASK]\n");
  // Default: stop at the bad line with its line number, after answering what came before.
  RunResult r = run_cli("fill-mask --json " + model() + " --input " + q(path("in.txt")));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "in.txt:3")) << r.output;
  EXPECT_TRUE(has(r.output, "\"sequence\"")) << r.output;
  // --on-invalid-utf8 skip: the other two lines are answered.
  r = run_cli("fill-mask --json " + model() + " --on-invalid-utf8 skip --input " + q(path("in.txt")));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "skipped 1 line")) << r.output;
  // A bad text given as an argument gets its own error entry.
  r = run_cli("fill-mask --json " + model() + " \"$(printf '\\377 [MASK]')\" 'cell [MASK]'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "invalid UTF-8")) << r.output;
}

TEST_F(FillMaskCli, StdinIsReadOneTextPerLine) {
  RunResult r = run_command("printf 'the [MASK] .\\n\\ncell [MASK]\\n' | " + sh_quote(BERTFORGE_CLI) +
                            " fill-mask --json --top-k 2 " + model());
  ASSERT_EQ(r.code, 0) << r.output;
  size_t answers = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) answers += !line.empty() && line[0] == '[';
  EXPECT_EQ(answers, 2u) << r.output;
}

}  // namespace
