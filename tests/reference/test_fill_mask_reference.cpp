// tests/reference/test_fill_mask_reference.cpp — `bertforge fill-mask --json` against transformers' fill-mask
// pipeline rebuilt in Python (tests/reference/fill_mask_reference.py: the plain-PyTorch BERT of
// bert_reference.py + HF's real tokenizers through node) on the same model folders and texts: same top-k
// ids, scores within 1e-4, identical `token_str` and `sequence` (HF's decode), with one and several masks
// per text, `--targets`, texts from arguments and batched from --input. The folders are made with the CLI:
// tokenizer train -> dataset build -> pretrain (a briefly trained model, the folder pretrain writes), and
// model init with a wide init spread (peaked, context-dependent predictions, so ranking or position bugs
// show).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace bertforge::testing;
using nlohmann::json;

namespace {

const std::string kSource = BERTFORGE_SOURCE_DIR;
const std::string kRefScript = kSource + "/tests/reference/fill_mask_reference.py";
const std::string kNodeDir = kSource + "/tests/reference/node";

// Texts of the fixture corpus's kind (Korean + English), with one mask, several masks, punctuation that
// HF's clean-up rewrites (" ." " ," " ?" "n't"), a mask at the start, and lengths that differ so batches pad.
const std::vector<std::string> kTexts = {
    "천천히 데이터셋은 [MASK] 배를 분석했다?",
    "A small [MASK] 파이썬 코드를 trained .",
    "[MASK] The team the [MASK] file 옮겼다 .",
    "부산에서 My friend 맛있는 김치찌개를 [MASK] , isn't it ?",
    "[MASK] [MASK] [MASK]",
    "어제 The team the tokenizer.json file [MASK].",
};

bool oracle_available(std::string* why) {
  if (run_command(python3() + " -c 'import torch'").code != 0) {
    *why = "no python3 with torch (install python3-torch)";
    return false;
  }
  if (!fs::exists(kNodeDir + "/node_modules/tokenizers")) {
    *why = "HF tokenizers (node) not installed: run scripts/install-deps.sh";
    return false;
  }
  return true;
}

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

class FillMaskReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!oracle_available(&skip_why_)) return;
    dir_ = std::make_unique<TempDir>("bertforge-ref-fill-mask");
    const fs::path d = dir_->path();
    // The committed tokenizer fixture, cut into documents of 6 sentences (dataset build wants documents).
    std::istringstream src(read_file(kSource + "/tests/data/tokenizer/ko_en_mixed.txt"));
    std::string corpus, line;
    for (int n = 1; std::getline(src, line); ++n) corpus += line + (n % 6 == 0 ? "\n\n" : "\n");
    write_file(d / "corpus.txt", corpus);
    auto must = [](const std::string& args) {
      RunResult r = run_cli(args);
      if (r.code != 0) setup_error_ += "bertforge " + args + " failed:\n" + r.output;
      return r.code == 0;
    };
    const std::string q = sh_quote(d.string());
    if (!must("-q tokenizer train --files " + q + "/corpus.txt --output " + q + "/tok --vocab-size 400"))
      return;
    if (!must("-q dataset build --corpus " + q + "/corpus.txt --tokenizer " + q + "/tok --output " + q +
              "/ds --block-size 32 --threads 1"))
      return;
    const size_t vocab = [&] {
      std::istringstream v(read_file(d / "tok" / "vocab.txt"));
      size_t n = 0;
      while (std::getline(v, line)) ++n;
      return n;
    }();
    write_file(d / "cfg.json", json{{"vocab_size", vocab},
                                    {"hidden_size", 32},
                                    {"num_hidden_layers", 2},
                                    {"num_attention_heads", 2},
                                    {"intermediate_size", 64},
                                    {"max_position_embeddings", 40}}
                                   .dump());
    if (!must("-q pretrain --dataset " + q + "/ds --tokenizer " + q + "/tok --model-config " + q +
              "/cfg.json --output_dir " + q +
              "/trained --max_steps 15 --per_device_train_batch_size 16 --learning_rate 5e-3 --save_steps 0 "
              "--logging_steps 5 --threads 1"))
      return;
    // The peaked model: HF init with a spread of 0.5 instead of 0.02; the tokenizer files copied beside it.
    json peaked = json::parse(read_file(d / "cfg.json"));
    peaked["initializer_range"] = 0.5;
    write_file(d / "cfg-peaked.json", peaked.dump());
    if (!must("-q model init --config " + q + "/cfg-peaked.json --output " + q + "/peaked --seed 3")) return;
    for (const char* f : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
      fs::copy_file(d / "tok" / f, d / "peaked" / f);
    std::string texts;
    for (const auto& t : kTexts) texts += t + "\n";
    write_file(d / "texts.txt", texts);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (!skip_why_.empty()) GTEST_SKIP() << skip_why_;
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static fs::path path(const std::string& name) { return dir_->path() / name; }

  // The Python reference's answers, one JSON value per text of texts.txt.
  static std::vector<json> reference(const std::string& model, const std::string& extra) {
    const std::string out = (path(model + "-ref.jsonl")).string();
    RunResult r =
        run_command("TOKENIZERS_NODE_DIR=" + sh_quote(kNodeDir) + " " + python3() + " " +
                    sh_quote(kRefScript) + " run --model " + sh_quote(path(model).string()) + " --texts " +
                    sh_quote(path("texts.txt").string()) + " --output " + sh_quote(out) + " " + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    return parse_lines(read_file(out));
  }

  // bertforge's answers: stdout only (warnings go to stderr).
  static std::vector<json> ours(const std::string& args, int expect_code = 0) {
    RunResult r = run_command(sh_quote(BERTFORGE_CLI) + " fill-mask --json " + args + " 2>/dev/null");
    EXPECT_EQ(r.code, expect_code) << r.output;
    return parse_lines(r.output);
  }

  static std::string texts_as_args() {
    std::string s;
    for (const auto& t : kTexts) s += " " + sh_quote(t);
    return s;
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::string skip_why_;
  static inline std::string setup_error_;
};

// One mask's candidate list: same ids in the same order (where two scores are closer than 1e-6 the order
// of the pair may differ), scores within 1e-4, identical token_str and sequence.
void expect_same_candidates(const json& ours, const json& ref, const std::string& where) {
  ASSERT_TRUE(ours.is_array() && ref.is_array()) << where << "\nours " << ours << "\nref  " << ref;
  ASSERT_EQ(ours.size(), ref.size()) << where;
  for (size_t k = 0; k < ref.size(); ++k) {
    const json& o = ours[k];
    const json* r = &ref[k];
    if (o["token"] != (*r)["token"]) {
      // A near-tie: accept the neighbour's entry when the two reference scores are equal to 1e-6.
      for (size_t j : {k - 1, k + 1})
        if (j < ref.size() && ref[j]["token"] == o["token"] &&
            std::abs(ref[j]["score"].get<double>() - (*r)["score"].get<double>()) < 1e-6)
          r = &ref[j];
    }
    EXPECT_EQ(o["token"], (*r)["token"]) << where << " rank " << k;
    EXPECT_NEAR(o["score"].get<double>(), (*r)["score"].get<double>(), 1e-4) << where << " rank " << k;
    EXPECT_EQ(o["token_str"], (*r)["token_str"]) << where << " rank " << k;
    EXPECT_EQ(o["sequence"], (*r)["sequence"]) << where << " rank " << k;
  }
}

// One text's answer: a list of candidates (one mask) or a list of lists (several), as HF.
void expect_same_answer(const json& ours, const json& ref, const std::string& where) {
  ASSERT_EQ(ours.is_array(), ref.is_array()) << where;
  ASSERT_FALSE(ref.empty()) << where;
  const bool several = ref[0].is_array();
  ASSERT_EQ(!ours.empty() && ours[0].is_array(), several) << where << "\nours " << ours;
  if (!several) return expect_same_candidates(ours, ref, where);
  ASSERT_EQ(ours.size(), ref.size()) << where;
  for (size_t m = 0; m < ref.size(); ++m)
    expect_same_candidates(ours[m], ref[m], where + " mask " + std::to_string(m));
}

void expect_same_answers(const std::vector<json>& ours, const std::vector<json>& ref) {
  ASSERT_EQ(ours.size(), kTexts.size());
  ASSERT_EQ(ref.size(), kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) expect_same_answer(ours[i], ref[i], kTexts[i]);
}

TEST_F(FillMaskReference, TrainedFolderMatchesPipeline) {
  auto ref = reference("trained", "--top-k 5");
  auto got = ours("--model " + sh_quote(path("trained").string()) + texts_as_args());
  expect_same_answers(got, ref);
}

TEST_F(FillMaskReference, PeakedModelMatchesPipelineWithSeveralMasks) {
  auto ref = reference("peaked", "--top-k 7");
  auto got = ours("--top-k 7 --model " + sh_quote(path("peaked").string()) + texts_as_args());
  expect_same_answers(got, ref);
  // The texts with several masks really do give a list per mask, and the masks differ (context matters).
  ASSERT_EQ(got.size(), kTexts.size());
  ASSERT_TRUE(got[2][0].is_array());
  EXPECT_EQ(got[2].size(), 2u);
  ASSERT_EQ(got[4].size(), 3u);
  EXPECT_NE(got[4][0][0]["score"], got[4][1][0]["score"]);
}

TEST_F(FillMaskReference, BatchedFromInputFileMatchesOneAtATime) {
  // The reference runs each text alone (HF's default batch size 1); bertforge pads batches of 4 here.
  auto ref = reference("peaked", "--top-k 5");
  auto got = ours("--batch-size 4 --model " + sh_quote(path("peaked").string()) + " --input " +
                  sh_quote(path("texts.txt").string()));
  expect_same_answers(got, ref);
}

TEST_F(FillMaskReference, TargetsMatchPipeline) {
  // Two words of the vocab, words that are not in it (HF uses their first piece, with a warning) and a
  // duplicate: HF scores the distinct ids only and caps top_k at their number.
  std::vector<std::string> words;
  {
    std::istringstream v(read_file(path("tok") / "vocab.txt"));
    std::string tok;
    for (int id = 0; std::getline(v, tok); ++id)
      if (id >= 150 && tok.rfind("##", 0) != 0 && words.size() < 2) words.push_back(tok);
  }
  ASSERT_EQ(words.size(), 2u);
  std::string targets = words[0] + "," + words[1] + ",배를,tokenizerjsonxyz," + words[0];
  auto ref = reference("peaked", "--top-k 10 --targets " + sh_quote(targets));
  auto got = ours("--top-k 10 --targets " + sh_quote(targets) + " --model " +
                  sh_quote(path("peaked").string()) + texts_as_args());
  expect_same_answers(got, ref);
  ASSERT_EQ(got.size(), kTexts.size());
  ASSERT_TRUE(got[0].is_array());
  EXPECT_GE(got[0].size(), 2u);
  EXPECT_LE(got[0].size(), 4u);  // at most 4 distinct ids of 5 targets: top_k 10 capped
  for (const auto& c : got[0]) EXPECT_LT(c["score"].get<double>(), 1.0);
}

}  // namespace
