// tests/unit/training/test_optimizer.cpp — HF's parameter groups, the fused AdamW against LibTorch's own
// AdamW, gradient clipping, and the optimizer state round trip through safetensors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.h"

#include "training/optimizer.h"
#include "training/tensor_file.h"

using namespace bertforge::training;
namespace fs = std::filesystem;

namespace {

// The MLM decoder: its weight is the word-embedding tensor itself (tied), registered under a second name.
struct DecoderImpl : torch::nn::Module {
  explicit DecoderImpl(torch::Tensor tied) {
    weight = register_parameter("weight", tied);
    bias = register_parameter("bias", torch::zeros({tied.size(0)}));
  }
  torch::Tensor forward(torch::Tensor h) { return torch::linear(h, weight, bias); }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Decoder);

// A miniature with HF-style names: a LayerNorm, linear layers with biases, an embedding.
struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    word_embeddings = register_module("word_embeddings", torch::nn::Embedding(10, 4));
    dense = register_module("dense", torch::nn::Linear(4, 4));
    LayerNorm = register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4})));
    decoder = register_module("decoder", Decoder(word_embeddings->weight));
  }
  torch::Tensor forward(torch::Tensor ids) {
    auto h = LayerNorm(torch::gelu(dense(word_embeddings(ids))));
    return decoder(h);
  }
  torch::nn::Embedding word_embeddings{nullptr};
  torch::nn::Linear dense{nullptr};
  Decoder decoder{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(Tiny);

void backward_once(Tiny& m, int seed) {
  torch::manual_seed(seed);
  auto ids = torch::randint(0, 10, {3, 5});
  auto target = torch::randint(0, 10, {15});
  auto loss = torch::nn::functional::cross_entropy(m->forward(ids).view({-1, 10}), target);
  loss.backward();
}

}  // namespace

TEST(Optimizer, DecayRuleMatchesHF) {
  EXPECT_TRUE(applies_weight_decay("bert.encoder.layer.0.attention.self.query.weight"));
  EXPECT_TRUE(applies_weight_decay("bert.embeddings.word_embeddings.weight"));
  EXPECT_FALSE(applies_weight_decay("bert.encoder.layer.0.attention.self.query.bias"));
  EXPECT_FALSE(applies_weight_decay("bert.embeddings.LayerNorm.weight"));
  EXPECT_FALSE(applies_weight_decay("bert.encoder.layer.3.output.LayerNorm.bias"));
  EXPECT_FALSE(applies_weight_decay("cls.predictions.bias"));
  EXPECT_FALSE(applies_weight_decay("cls.predictions.transform.LayerNorm.weight"));
}

TEST(Optimizer, CollectsEachTiedTensorOnceWithGroups) {
  torch::manual_seed(0);
  Tiny m;
  auto params = collect_parameters(*m);
  std::vector<std::string> names;
  for (auto& p : params) names.push_back(p.name + (p.decay ? ":decay" : ":no_decay"));
  std::vector<std::string> expected = {"word_embeddings.weight:decay", "dense.weight:decay",
                                       "dense.bias:no_decay",          "LayerNorm.weight:no_decay",
                                       "LayerNorm.bias:no_decay",      "decoder.bias:no_decay"};
  EXPECT_EQ(names, expected);
}

TEST(Optimizer, FusedAdamWMatchesLibTorchAdamW) {
  // Two copies of one model: ours vs torch::optim::AdamW with the same two groups, five steps.
  torch::manual_seed(1);
  Tiny a, b;
  {
    torch::NoGradGuard g;
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  const double lr = 1e-2, wd = 0.1;
  auto params_a = collect_parameters(*a);
  AdamW ours(params_a, {lr, 0.9, 0.999, 1e-8, wd});
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : collect_parameters(*b)) (p.decay ? decay : no_decay).push_back(p.tensor);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(wd)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(lr).weight_decay(0.0)));
  torch::optim::AdamW theirs(groups, torch::optim::AdamWOptions(lr));
  for (int step = 0; step < 5; ++step) {
    ours.zero_grad();
    theirs.zero_grad();
    backward_once(a, 100 + step);
    backward_once(b, 100 + step);
    ours.step();
    theirs.step();
  }
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (auto& item : pa) {
    auto other = pb[item.key()];
    EXPECT_TRUE(torch::allclose(item.value(), other, 1e-5, 1e-6)) << item.key();
  }
  // And the update really moved the weights.
  Tiny fresh;
  EXPECT_FALSE(torch::allclose(a->dense->weight, fresh->dense->weight));
}

TEST(Optimizer, WeightDecayOnlyOnDecayGroup) {
  torch::manual_seed(2);
  Tiny m;
  auto params = collect_parameters(*m);
  AdamW opt(params, {0.1, 0.9, 0.999, 1e-8, 0.5});
  for (auto& p : params) p.tensor.mutable_grad() = torch::zeros_like(p.tensor);  // zero grads: pure decay
  auto dense_before = m->dense->weight.clone();
  auto ln_before = m->LayerNorm->weight.clone();
  opt.step();
  EXPECT_TRUE(torch::allclose(m->dense->weight, dense_before * (1 - 0.1 * 0.5)));
  EXPECT_TRUE(torch::equal(m->LayerNorm->weight, ln_before));
}

TEST(Optimizer, ClipGradNormReportsNormAndScales) {
  auto p1 = torch::zeros({2}, torch::requires_grad());
  auto p2 = torch::zeros({1}, torch::requires_grad());
  p1.mutable_grad() = torch::tensor({3.0f, 0.0f});
  p2.mutable_grad() = torch::tensor({4.0f});
  AdamW opt({{"a", p1, true}, {"b", p2, true}}, {});
  EXPECT_NEAR(opt.clip_grad_norm(1.0), 5.0, 1e-6);
  EXPECT_NEAR(p1.grad()[0].item<float>(), 3.0f / (5.0f + 1e-6f), 1e-6);
  EXPECT_NEAR(p2.grad()[0].item<float>(), 4.0f / (5.0f + 1e-6f), 1e-6);
  // Under the limit: untouched; max_norm 0: norm reported, nothing clipped.
  EXPECT_NEAR(opt.clip_grad_norm(10.0), 1.0, 1e-5);
  p2.mutable_grad() = torch::tensor({40.0f});
  EXPECT_NEAR(opt.clip_grad_norm(0.0), std::sqrt(1600.0 + 0.36), 1e-3);
  EXPECT_EQ(p2.grad()[0].item<float>(), 40.0f);
}

TEST(Optimizer, StateRoundTripContinuesIdentically) {
  auto dir = fs::temp_directory_path() / ("bf_opt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  torch::manual_seed(3);
  Tiny a, b;
  {
    torch::NoGradGuard g;
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  AdamW oa(collect_parameters(*a), {1e-2, 0.9, 0.999, 1e-8, 0.01});
  AdamW ob(collect_parameters(*b), {1e-2, 0.9, 0.999, 1e-8, 0.01});
  for (int s = 0; s < 3; ++s) {
    oa.zero_grad();
    backward_once(a, s);
    oa.step();
  }
  save_tensor_file(dir / "optimizer.safetensors", oa.state());
  {
    torch::NoGradGuard g;
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  ob.load_state(load_tensor_file(dir / "optimizer.safetensors"), "optimizer.safetensors");
  for (int s = 3; s < 6; ++s) {
    oa.zero_grad();
    ob.zero_grad();
    backward_once(a, s);
    backward_once(b, s);
    oa.step();
    ob.step();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
  fs::remove_all(dir);
}

TEST(Optimizer, LoadStateRefusesShapeMismatch) {
  auto p = torch::zeros({3}, torch::requires_grad());
  AdamW opt({{"w", p, true}}, {});
  TensorFile f;
  f.metadata["format"] = "bertforge-adamw-1";
  f.metadata["step.w"] = "1";
  f.tensors["w.exp_avg"] = torch::zeros({4});
  f.tensors["w.exp_avg_sq"] = torch::zeros({4});
  EXPECT_THROW(opt.load_state(f, "x"), bertforge::Error);
  f.metadata.erase("format");
  EXPECT_THROW(opt.load_state(f, "x"), bertforge::Error);
}

TEST(TensorFile, RoundTripAllDtypesAndMetadata) {
  auto path = fs::temp_directory_path() / ("bf_tf_" + std::to_string(::getpid()) + ".safetensors");
  TensorFile f;
  f.tensors["f32"] = torch::randn({2, 3});
  f.tensors["i64"] = torch::arange(5, torch::kInt64);
  f.tensors["u8"] = torch::tensor({1, 2, 255}, torch::kUInt8);
  f.tensors["bf16"] = torch::randn({4}).to(torch::kBFloat16);
  f.tensors["empty"] = torch::zeros({0, 3});
  f.metadata["k"] = "v";
  save_tensor_file(path, f);
  auto g = load_tensor_file(path);
  ASSERT_EQ(g.tensors.size(), f.tensors.size());
  for (auto& [k, t] : f.tensors) {
    EXPECT_EQ(g.tensors[k].scalar_type(), t.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(g.tensors[k], t)) << k;
  }
  EXPECT_EQ(g.metadata["k"], "v");
  // A truncated file is refused with an error, not read past its end.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 10));
  }
  EXPECT_THROW(load_tensor_file(path), bertforge::Error);
  fs::remove(path);
}
