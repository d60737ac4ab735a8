// tests/unit/models/test_bert.cpp — BertConfig and the BERT modules: HF names, init, shapes, masks, losses.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "common/error.h"
#include "models/bert.h"

using namespace bertforge;
using namespace bertforge::models;

namespace {

BertConfig tiny_config() {
  BertConfig c;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 32;
  c.max_position_embeddings = 24;
  return c;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(BertConfig, DefaultsAreHuggingFaces) {
  BertConfig c;
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_DOUBLE_EQ(c.hidden_dropout_prob, 0.1);
  EXPECT_DOUBLE_EQ(c.attention_probs_dropout_prob, 0.1);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_DOUBLE_EQ(c.initializer_range, 0.02);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_EQ(c.position_embedding_type, "absolute");
  EXPECT_NO_THROW(c.validate());
}

TEST(BertConfig, ValidateNamesTheKey) {
  auto c = tiny_config();
  c.hidden_size = 18;  // not a multiple of 4 heads
  EXPECT_NE(error_of([&] { c.validate(); }).find("hidden_size"), std::string::npos);
  c = tiny_config();
  c.vocab_size = 0;
  EXPECT_NE(error_of([&] { c.validate(); }).find("vocab_size"), std::string::npos);
  c = tiny_config();
  c.num_hidden_layers = -1;
  EXPECT_NE(error_of([&] { c.validate(); }).find("num_hidden_layers"), std::string::npos);
  c = tiny_config();
  c.hidden_act = "gelu_42";
  EXPECT_NE(error_of([&] { c.validate(); }).find("hidden_act"), std::string::npos);
  c = tiny_config();
  c.position_embedding_type = "relative_key";
  EXPECT_NE(error_of([&] { c.validate(); }).find("position_embedding_type"), std::string::npos);
  c = tiny_config();
  c.hidden_dropout_prob = 1.5;
  EXPECT_NE(error_of([&] { c.validate(); }).find("hidden_dropout_prob"), std::string::npos);
}

TEST(BertConfig, JsonRoundTripKeepsUnknownKeys) {
  nlohmann::json j = {{"vocab_size", 100},
                      {"hidden_size", 32},
                      {"num_attention_heads", 2},
                      {"transformers_version", "4.40.0"},
                      {"my_custom", {{"a", 1}}},
                      {"model_type", "bert"},
                      {"architectures", {"BertForMaskedLM"}},
                      {"classifier_dropout", nullptr}};
  auto c = BertConfig::from_json(j);
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 12);  // default
  EXPECT_EQ(c.architectures, std::vector<std::string>{"BertForMaskedLM"});
  auto out = c.to_json();
  EXPECT_EQ(out["transformers_version"], "4.40.0");
  EXPECT_EQ(out["my_custom"]["a"], 1);
  EXPECT_EQ(out["model_type"], "bert");
  EXPECT_TRUE(out["classifier_dropout"].is_null());
  EXPECT_EQ(BertConfig::from_json(out).to_json(), out);
  // Wrong types name the key.
  EXPECT_NE(error_of([] {
              BertConfig::from_json({{"hidden_size", "big"}});
            }).find("hidden_size"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              BertConfig::from_json({{"model_type", "gpt2"}});
            }).find("gpt2"),
            std::string::npos);
}

TEST(Bert, StateDictUsesHuggingFaceNames) {
  auto model = make_bert(tiny_config(), BertArch::kPreTraining, 1);
  std::set<std::string> names;
  for (const auto& [n, t] : model->state_dict()) names.insert(n);
  for (const char* expected : {"bert.embeddings.word_embeddings.weight",
                               "bert.embeddings.position_embeddings.weight",
                               "bert.embeddings.token_type_embeddings.weight",
                               "bert.embeddings.LayerNorm.weight",
                               "bert.embeddings.LayerNorm.bias",
                               "bert.encoder.layer.0.attention.self.query.weight",
                               "bert.encoder.layer.1.attention.self.key.bias",
                               "bert.encoder.layer.0.attention.self.value.weight",
                               "bert.encoder.layer.0.attention.output.dense.weight",
                               "bert.encoder.layer.0.attention.output.LayerNorm.weight",
                               "bert.encoder.layer.1.intermediate.dense.weight",
                               "bert.encoder.layer.1.output.dense.bias",
                               "bert.encoder.layer.1.output.LayerNorm.bias",
                               "bert.pooler.dense.weight",
                               "bert.pooler.dense.bias",
                               "cls.predictions.bias",
                               "cls.predictions.transform.dense.weight",
                               "cls.predictions.transform.dense.bias",
                               "cls.predictions.transform.LayerNorm.weight",
                               "cls.predictions.transform.LayerNorm.bias",
                               "cls.seq_relationship.weight",
                               "cls.seq_relationship.bias"})
    EXPECT_TRUE(names.count(expected)) << expected;
  EXPECT_EQ(names.size(), 5u + 16u * 2u + 2u + 5u + 2u);
  EXPECT_FALSE(names.count("cls.predictions.decoder.weight"));  // tied: stored once, as the word embedding

  auto mlm = make_bert(tiny_config(), BertArch::kMaskedLM, 1);
  std::set<std::string> mlm_names;
  for (const auto& [n, t] : mlm->state_dict()) mlm_names.insert(n);
  EXPECT_FALSE(mlm_names.count("bert.pooler.dense.weight"));
  EXPECT_FALSE(mlm_names.count("cls.seq_relationship.weight"));
  EXPECT_EQ(mlm_names.size(), names.size() - 4);
}

TEST(Bert, NumParametersMatchesFormula) {
  auto c = tiny_config();
  const int64_t V = c.vocab_size, H = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers;
  const int64_t emb = V * H + c.max_position_embeddings * H + c.type_vocab_size * H + 2 * H;
  const int64_t layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  const int64_t pooler = H * H + H;
  const int64_t mlm_head = H * H + H + 2 * H + V;
  const int64_t nsp = 2 * H + 2;
  EXPECT_EQ(make_bert(c, BertArch::kPreTraining)->num_parameters(),
            emb + L * layer + pooler + mlm_head + nsp);
  EXPECT_EQ(make_bert(c, BertArch::kMaskedLM)->num_parameters(), emb + L * layer + mlm_head);
  auto counts = count_parameters(*make_bert(c, BertArch::kPreTraining));
  EXPECT_EQ(counts.embeddings, emb);
  EXPECT_EQ(counts.encoder, L * layer);
  EXPECT_EQ(counts.pooler, pooler);
  EXPECT_EQ(counts.heads, mlm_head + nsp);
}

TEST(Bert, InitIsSeededAndFollowsHuggingFace) {
  BertConfig c = tiny_config();
  c.vocab_size = 2000;
  c.hidden_size = 64;
  auto a = make_bert(c, BertArch::kPreTraining, 7);
  auto b = make_bert(c, BertArch::kPreTraining, 7);
  auto d = make_bert(c, BertArch::kPreTraining, 8);
  auto sa = a->state_dict(), sb = b->state_dict(), sd = d->state_dict();
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
  EXPECT_FALSE(torch::equal(sa[0].second, sd[0].second));
  for (const auto& [name, t] : sa) {
    if (name.find("LayerNorm.weight") != std::string::npos) {
      EXPECT_TRUE(torch::equal(t, torch::ones_like(t))) << name;
    } else if (name.size() > 4 && name.substr(name.size() - 4) == "bias") {
      EXPECT_TRUE(torch::equal(t, torch::zeros_like(t))) << name;
    }
  }
  auto word = a->bert->embeddings->word_embeddings->weight;
  EXPECT_TRUE(torch::equal(word[0], torch::zeros({c.hidden_size})));  // padding row
  auto rest = word.slice(0, 1);
  EXPECT_NEAR(rest.mean().item<double>(), 0.0, 0.002);
  EXPECT_NEAR(rest.std().item<double>(), 0.02, 0.001);
}

TEST(Bert, ForwardShapesAndHfLosses) {
  auto model = make_bert(tiny_config(), BertArch::kPreTraining, 3);
  model->eval();
  auto ids = torch::randint(1, 50, {3, 10}, torch::kLong);
  auto types = torch::zeros({3, 10}, torch::kLong);
  types.slice(1, 5).fill_(1);
  auto mask = torch::ones({3, 10}, torch::kLong);
  mask[2].slice(0, 6).zero_();
  auto labels = torch::full({3, 10}, kIgnoreIndex, torch::kLong);
  labels[0][1] = 4;
  labels[1][3] = 7;
  labels[2][2] = 9;
  labels[0][8] = 11;
  auto nsp = torch::tensor({0, 1, 0}, torch::kLong);
  auto out = model->forward(ids, types, mask, labels, nsp);
  EXPECT_EQ(out.prediction_logits.sizes(), (std::vector<int64_t>{3, 10, 50}));
  EXPECT_EQ(out.seq_relationship_logits.sizes(), (std::vector<int64_t>{3, 2}));
  // Loss as HF: mean CE over labelled positions + CE of NSP.
  auto lp = torch::log_softmax(out.prediction_logits, -1);
  double mlm = -(lp[0][1][4] + lp[1][3][7] + lp[2][2][9] + lp[0][8][11]).item<double>() / 4;
  EXPECT_NEAR(out.mlm_loss.item<double>(), mlm, 1e-5);
  auto lpn = torch::log_softmax(out.seq_relationship_logits, -1);
  double nspl = -(lpn[0][0] + lpn[1][1] + lpn[2][0]).item<double>() / 3;
  EXPECT_NEAR(out.nsp_loss.item<double>(), nspl, 1e-5);
  EXPECT_NEAR(out.loss.item<double>(), mlm + nspl, 1e-5);
}

TEST(Bert, MaskedOnlyHeadGivesSameLossAndGradients) {
  auto model = make_bert(tiny_config(), BertArch::kPreTraining, 3);
  model->eval();
  auto ids = torch::randint(1, 50, {2, 12}, torch::kLong);
  auto labels = torch::full({2, 12}, kIgnoreIndex, torch::kLong);
  labels[0][2] = 5;
  labels[1][7] = 6;
  labels[1][9] = 1;
  auto nsp = torch::tensor({1, 0}, torch::kLong);
  auto full = model->forward(ids, {}, {}, labels, nsp, MlmHead::kFull);
  full.loss.backward();
  std::vector<torch::Tensor> g_full;
  for (auto& p : model->parameters()) g_full.push_back(p.grad().clone());
  model->zero_grad();
  auto masked = model->forward(ids, {}, {}, labels, nsp, MlmHead::kMaskedOnly);
  masked.loss.backward();
  EXPECT_EQ(masked.prediction_logits.sizes(), (std::vector<int64_t>{3, 50}));
  EXPECT_EQ(masked.masked_positions.sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(masked.masked_positions[1].item<int64_t>(), 12 + 7);
  EXPECT_NEAR(masked.mlm_loss.item<double>(), full.mlm_loss.item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(masked.prediction_logits[2], full.prediction_logits[1][9], 1e-5, 1e-6));
  auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::allclose(params[i].grad(), g_full[i], 1e-4, 1e-7)) << i;
}

TEST(Bert, PaddingDoesNotChangeRealTokens) {
  auto model = make_bert(tiny_config(), BertArch::kMaskedLM, 5);
  model->eval();
  auto ids = torch::randint(1, 50, {1, 6}, torch::kLong);
  auto short_out = model->forward(ids, {}, torch::ones({1, 6}, torch::kLong));
  auto padded_ids = torch::cat({ids, torch::zeros({1, 4}, torch::kLong)}, 1);
  auto mask = torch::cat({torch::ones({1, 6}, torch::kLong), torch::zeros({1, 4}, torch::kLong)}, 1);
  auto padded_out = model->forward(padded_ids, {}, mask);
  EXPECT_TRUE(
      torch::allclose(padded_out.prediction_logits.slice(1, 0, 6), short_out.prediction_logits, 1e-5, 1e-6));
  // Without the mask the padding is attended to, which changes the result: the test can fail.
  auto unmasked = model->forward(padded_ids);
  EXPECT_FALSE(
      torch::allclose(unmasked.prediction_logits.slice(1, 0, 6), short_out.prediction_logits, 1e-5, 1e-6));
  EXPECT_FALSE(padded_out.seq_relationship_logits.defined());  // MaskedLM has no NSP head
}

TEST(Bert, DropoutOnlyInTrainMode) {
  auto model = make_bert(tiny_config(), BertArch::kPreTraining, 5);
  auto ids = torch::randint(1, 50, {2, 8}, torch::kLong);
  model->eval();
  auto a = model->forward(ids).prediction_logits;
  auto b = model->forward(ids).prediction_logits;
  EXPECT_TRUE(torch::equal(a, b));
  model->train();
  auto c = model->forward(ids).prediction_logits;
  EXPECT_FALSE(torch::allclose(a, c));
}

TEST(Bert, ActivationsFollowHfNames) {
  auto x = torch::linspace(-3, 3, 13);
  EXPECT_TRUE(torch::allclose(apply_activation("gelu", x), 0.5 * x * (1 + torch::erf(x / std::sqrt(2.0))),
                              1e-6, 1e-6));
  auto tanh_gelu = 0.5 * x * (1 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
  EXPECT_TRUE(torch::allclose(apply_activation("gelu_new", x), tanh_gelu, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(apply_activation("relu", x), torch::relu(x)));
  EXPECT_TRUE(torch::allclose(apply_activation("silu", x), x * torch::sigmoid(x)));
}

TEST(Bert, BadIdsAreErrorsNotCrashes) {
  auto model = make_bert(tiny_config(), BertArch::kPreTraining, 5);
  model->eval();
  auto ids = torch::full({1, 4}, 50, torch::kLong);  // vocab is 50
  EXPECT_NE(error_of([&] { model->forward(ids); }).find("vocab_size"), std::string::npos);
  ids.fill_(1);
  EXPECT_NE(error_of([&] {
              model->forward(ids, torch::full({1, 4}, 2, torch::kLong));
            }).find("type_vocab_size"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model->forward(torch::ones({1, 30}, torch::kLong));
            }).find("max_position_embeddings"),
            std::string::npos);
}

TEST(Bert, UntiedDecoderHasItsOwnWeight) {
  auto c = tiny_config();
  c.tie_word_embeddings = false;
  auto model = make_bert(c, BertArch::kMaskedLM, 5);
  std::set<std::string> names;
  for (const auto& [n, t] : model->state_dict()) names.insert(n);
  EXPECT_TRUE(names.count("cls.predictions.decoder.weight"));
  EXPECT_FALSE(model->decoder_weight().is_same(model->bert->embeddings->word_embeddings->weight));
}
