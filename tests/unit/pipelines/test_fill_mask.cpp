// Unit tests for pipelines/fill_mask: HF pipeline semantics on a tiny random model and vocab.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.h"
#include "models/bert.h"
#include "pipelines/fill_mask.h"
#include "tokenizers/tokenizer.h"

using namespace bertforge;

namespace {

Tokenizer tiny_tokenizer() {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".",    "이", "순",   "신",
                                    "조선",  "중기",  "##의",  "무신",  "##이다", "##은", "셀", "##을", "a"};
  return Tokenizer::from_vocab(vocab, TokenizerSettings{});
}

models::BertLM tiny_model(int64_t vocab, int64_t max_positions = 32) {
  models::BertConfig config;
  config.vocab_size = vocab;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 64;
  config.max_position_embeddings = max_positions;
  // A larger init spread makes the softmax far from uniform, so ranking bugs show.
  config.initializer_range = 0.5;
  return models::make_bert(config, models::BertArch::kMaskedLM, 7);
}

}  // namespace

TEST(FillMask, SingleMaskMatchesFullForwardSoftmax) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(static_cast<int64_t>(tok.vocab_size()));
  pipelines::FillMaskOptions opt;
  opt.top_k = 3;
  pipelines::FillMask pipe(model, tok, opt);
  auto r = pipe.run_one("조선 [MASK] 무신 .");
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.masks.size(), 1u);
  ASSERT_EQ(r.masks[0].size(), 3u);

  // Reference: full MLM head over all positions, softmax at the mask position.
  Encoding enc = tok.encode("조선 [MASK] 무신 .");
  std::vector<int64_t> ids(enc.ids.begin(), enc.ids.end());
  int64_t mask_pos = -1;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == tok.mask_id()) mask_pos = static_cast<int64_t>(i);
  ASSERT_GE(mask_pos, 0);
  torch::NoGradGuard ng;
  model->eval();
  auto input = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  auto out = model->forward(input, torch::zeros_like(input), torch::ones_like(input));
  auto probs = torch::softmax(out.prediction_logits[0][mask_pos], -1);
  auto [vals, idx] = probs.topk(3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(r.masks[0][k].token, static_cast<uint32_t>(idx[k].item<int64_t>()));
    EXPECT_NEAR(r.masks[0][k].score, vals[k].item<double>(), 1e-6);
    if (k > 0) EXPECT_GE(r.masks[0][k - 1].score, r.masks[0][k].score);
    EXPECT_EQ(r.masks[0][k].token_str, tok.decode({r.masks[0][k].token}, false));
  }
  // The sequence is the text with the mask filled, special tokens skipped (single mask).
  std::vector<uint32_t> filled = enc.ids;
  filled[mask_pos] = r.masks[0][0].token;
  EXPECT_EQ(r.masks[0][0].sequence, tok.decode(filled, true));
  EXPECT_EQ(r.masks[0][0].sequence.find("[CLS]"), std::string::npos);
}

TEST(FillMask, BatchedAnswersEqualSingleAnswers) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(static_cast<int64_t>(tok.vocab_size()));
  pipelines::FillMask pipe(model, tok, {});
  std::vector<std::string> texts = {"[MASK] .", "조선 중기 의 [MASK] 이 순 신 은 셀 을 a a a a", "셀 [MASK]"};
  auto batched = pipe.run(texts);
  ASSERT_EQ(batched.size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto single = pipe.run_one(texts[i]);
    ASSERT_EQ(single.masks.size(), batched[i].masks.size());
    for (size_t k = 0; k < single.masks[0].size(); ++k) {
      EXPECT_EQ(single.masks[0][k].token, batched[i].masks[0][k].token);
      EXPECT_NEAR(single.masks[0][k].score, batched[i].masks[0][k].score, 1e-5);
    }
  }
}

TEST(FillMask, TargetsRestrictAndCapTopK) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(static_cast<int64_t>(tok.vocab_size()));
  pipelines::FillMaskOptions opt;
  opt.top_k = 5;
  opt.targets = {"조선", "무신"};
  pipelines::FillMask pipe(model, tok, opt);
  auto r = pipe.run_one("[MASK] 중기");
  ASSERT_EQ(r.masks.size(), 1u);
  ASSERT_EQ(r.masks[0].size(), 2u);
  for (const auto& c : r.masks[0]) EXPECT_TRUE(c.token_str == "조선" || c.token_str == "무신") << c.token_str;
  auto all = pipelines::FillMask(model, tok, {}).run_one("[MASK] 중기");
  // Scores are probabilities over the whole vocab, so a target keeps its unrestricted score.
  for (const auto& c : r.masks[0])
    for (const auto& a : all.masks[0])
      if (a.token == c.token) EXPECT_NEAR(a.score, c.score, 1e-6);
}

TEST(FillMask, SeveralMasksGiveOneListEachAndKeepSpecials) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(static_cast<int64_t>(tok.vocab_size()));
  pipelines::FillMask pipe(model, tok, {});
  auto r = pipe.run_one("[MASK] 중기 [MASK]");
  ASSERT_EQ(r.masks.size(), 2u);
  // As HF: with several masks the sequence is decoded without skipping special tokens.
  EXPECT_NE(r.masks[0][0].sequence.find("[MASK]"), std::string::npos);
  EXPECT_NE(r.masks[0][0].sequence.find("[CLS]"), std::string::npos);
  auto j = pipelines::FillMask::to_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_TRUE(j[0].is_array());
}

TEST(FillMask, TextsThatCannotBeAnsweredGetAnErrorNotACrash) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(static_cast<int64_t>(tok.vocab_size()), 8);
  pipelines::FillMask pipe(model, tok, {});
  auto r = pipe.run({"no mask here", "a a a a a a a a a a [MASK]", "[MASK] a"});
  EXPECT_NE(r[0].error.find("[MASK]"), std::string::npos);
  EXPECT_NE(r[1].error.find("max_position_embeddings"), std::string::npos);
  EXPECT_TRUE(r[2].error.empty());
  EXPECT_EQ(r[2].masks.size(), 1u);
}

TEST(FillMask, RefusesATokenizerLargerThanTheModelVocab) {
  Tokenizer tok = tiny_tokenizer();
  auto model = tiny_model(5);
  EXPECT_THROW({ pipelines::FillMask p(model, tok, {}); }, bertforge::Error);
}
