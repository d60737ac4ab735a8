// tests/integration/test_dataset_cli.cpp — `bertforge dataset build` and `dataset inspect` end to end through
// the CLI with a real (small, character-level) WordPiece tokenizer: build, cache reuse, mismatch error, two
// concurrent CLI builders, inspect summary / decoded / --json --mask output, corruption reported with the
// file.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "data/format.h"
#include "tokenizers/tokenizer.h"
#include "unit/data/data_test_util.h"

namespace bertforge {
namespace {

using data::testing::TempDir;
namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliRun run(const std::string& args, const fs::path& dir) {
  std::string cmd = std::string(BERTFORGE_CLI) + " " + args + " >" + (dir / "out.txt").string() + " 2>" +
                    (dir / "err.txt").string();
  int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "out.txt");
  r.err = slurp(dir / "err.txt");
  return r;
}

class DatasetCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // Corpus: documents of Korean/English sentences.
    const char* sentences[] = {"이순신은 조선 중기의 무신이다.",
                               "He was a naval commander.",
                               "거북선을 만들었다.",
                               "The battle was won.",
                               "한산도 대첩에서 승리했다.",
                               "Many ships sailed.",
                               "조선 수군은 강했다.",
                               "They returned home."};
    std::ofstream c(tmp_ / "corpus.txt");
    data::Rng rng(3);
    for (int d = 0; d < 120; ++d) {
      int n = static_cast<int>(rng.randint(1, 7));
      for (int s = 0; s < n; ++s) c << sentences[rng.below(8)] << "\n";
      c << "\n";
    }
    c.close();
    // Character-level WordPiece vocab: every char and its "##" form.
    std::set<std::string> chars;
    std::string text = slurp(tmp_ / "corpus.txt");
    for (size_t i = 0; i < text.size();) {
      size_t len = 1;
      unsigned char b = static_cast<unsigned char>(text[i]);
      if (b >= 0xF0)
        len = 4;
      else if (b >= 0xE0)
        len = 3;
      else if (b >= 0xC0)
        len = 2;
      std::string ch = text.substr(i, len);
      if (ch != " " && ch != "\n") chars.insert(ch);
      i += len;
    }
    std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (const auto& ch : chars) vocab.push_back(ch);
    for (const auto& ch : chars) vocab.push_back("##" + ch);
    TokenizerSettings settings;
    Tokenizer tok = Tokenizer::from_vocab(vocab, settings);
    fs::create_directories(tmp_ / "tok");
    tok.save(tmp_ / "tok");
    base_ = "dataset build --corpus " + (tmp_ / "corpus.txt").string() + " --tokenizer " +
            (tmp_ / "tok").string() + " --output " + (tmp_ / "ds").string() + " --block-size 48 --threads 2";
  }
  TempDir tmp_;
  std::string base_;
};

TEST_F(DatasetCli, BuildReuseMismatchInspect) {
  CliRun first = run(base_, tmp_.path());
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("built"), std::string::npos) << first.out;
  data::Dataset ds(tmp_ / "ds");
  EXPECT_GT(ds.size(), 50u);
  EXPECT_EQ(ds.token_width(), 2u);

  CliRun again = run(base_, tmp_.path());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("reused"), std::string::npos) << again.out;
  EXPECT_NE(again.err.find("reusing the cached dataset"), std::string::npos) << again.err;

  CliRun other = run(base_ + " --seed 7", tmp_.path());
  EXPECT_EQ(other.code, 1);
  EXPECT_NE(other.err.find("seed: cached 42 vs requested 7"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("--overwrite-cache"), std::string::npos);
  CliRun hf_spelling = run(base_ + " --seed 7 --overwrite_cache", tmp_.path());
  EXPECT_EQ(hf_spelling.code, 0) << hf_spelling.err;

  CliRun summary = run("dataset inspect " + (tmp_ / "ds").string() + " --num 2", tmp_.path());
  ASSERT_EQ(summary.code, 0) << summary.err;
  EXPECT_NE(summary.out.find("examples: " + std::to_string(data::Dataset(tmp_ / "ds").size())),
            std::string::npos)
      << summary.out;
  EXPECT_NE(summary.out.find("NSP labels"), std::string::npos);
  EXPECT_NE(summary.out.find("length histogram"), std::string::npos);

  CliRun decoded = run("dataset inspect " + (tmp_ / "ds").string() + " --num 1 --tokenizer " +
                           (tmp_ / "tok").string() + " --mask --seed 3",
                       tmp_.path());
  ASSERT_EQ(decoded.code, 0) << decoded.err;
  EXPECT_NE(decoded.out.find("[CLS]"), std::string::npos) << decoded.out;
  EXPECT_NE(decoded.out.find("labels:"), std::string::npos);

  CliRun json =
      run("dataset inspect " + (tmp_ / "ds").string() + " --json --num 4 --mask --seed 1", tmp_.path());
  ASSERT_EQ(json.code, 0) << json.err;
  std::istringstream lines(json.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["input_ids"].size(), j["token_type_ids"].size());
    ASSERT_EQ(j["input_ids"].size(), j["labels"].size());
    EXPECT_TRUE(j["next_sentence_label"] == 0 || j["next_sentence_label"] == 1);
    EXPECT_EQ(j["input_ids"][0], 2);  // [CLS] is never masked
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST_F(DatasetCli, TwoConcurrentBuildersOneBuildsOneReuses) {
  std::string a = std::string(BERTFORGE_CLI) + " " + base_ + " >" + (tmp_ / "a.out").string() + " 2>&1";
  std::string b = std::string(BERTFORGE_CLI) + " " + base_ + " >" + (tmp_ / "b.out").string() + " 2>&1";
  ASSERT_EQ(std::system(("(" + a + " & " + b + " & wait)").c_str()), 0);
  std::string oa = slurp(tmp_ / "a.out"), ob = slurp(tmp_ / "b.out");
  int built = (oa.find("\nbuilt ") != std::string::npos || oa.rfind("built ", 0) == 0) +
              (ob.find("\nbuilt ") != std::string::npos || ob.rfind("built ", 0) == 0);
  int reused = (oa.find("reused ") != std::string::npos) + (ob.find("reused ") != std::string::npos);
  EXPECT_EQ(built, 1) << oa << "\n---\n" << ob;
  EXPECT_EQ(reused, 1) << oa << "\n---\n" << ob;
  EXPECT_NO_THROW(data::Dataset ds(tmp_ / "ds"));
}

TEST_F(DatasetCli, CorruptDatasetIsReportedWithItsFile) {
  ASSERT_EQ(run(base_, tmp_.path()).code, 0);
  fs::path file = tmp_ / "ds" / data::kDataFileName;
  fs::resize_file(file, fs::file_size(file) - 10);
  CliRun r = run("dataset inspect " + (tmp_ / "ds").string(), tmp_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
  CliRun rebuild = run(base_, tmp_.path());
  EXPECT_EQ(rebuild.code, 1) << "a corrupt cache is not silently replaced";
  EXPECT_EQ(run(base_ + " --overwrite-cache", tmp_.path()).code, 0);
}

TEST_F(DatasetCli, NoNspBuildsFullBlocks) {
  CliRun r = run(base_ + " --no-nsp", tmp_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  data::Dataset ds(tmp_ / "ds");
  EXPECT_FALSE(ds.has_nsp());
  EXPECT_EQ(ds.length(0), 48u);
}

}  // namespace
}  // namespace bertforge
