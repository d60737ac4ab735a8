// tests/unit/models/test_fused_ops.cpp — the fused training kernels (models/fused_ops.h) against the unfused
// LibTorch formulation with the same dropout bits: values and gradients in double (tight) and float (the
// AVX2 kernels where the CPU has them), finite differences in double, the dropout bits themselves, and the
// whole model's training path (fused kernels + padding skipped) against LibTorch's ops.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/bert.h"
#include "models/fused_ops.h"

using namespace bertforge::models;
using torch::Tensor;

namespace {

struct Grads {
  Tensor out;
  std::vector<Tensor> grads;
};

// Runs f on fresh leaf copies of `inputs`, backpropagates `upstream`, returns output and input gradients.
Grads run(const std::function<Tensor(std::vector<Tensor>&)>& f, const std::vector<Tensor>& inputs,
          const Tensor& upstream) {
  std::vector<Tensor> leaves;
  for (auto& t : inputs) leaves.push_back(t.detach().clone().requires_grad_(true));
  Grads g;
  g.out = f(leaves);
  g.out.backward(upstream);
  for (auto& l : leaves) g.grads.push_back(l.grad().clone());
  g.out = g.out.detach();
  return g;
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  auto scale = std::max(1e-6, b.abs().max().item<double>());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>() / scale;
}

void expect_close(const Grads& a, const Grads& b, double tol, const std::string& what) {
  EXPECT_LE(max_rel_diff(a.out, b.out), tol) << what << " output";
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (size_t i = 0; i < a.grads.size(); ++i)
    EXPECT_LE(max_rel_diff(a.grads[i], b.grads[i]), tol) << what << " grad " << i;
}

Tensor ln_unfused(std::vector<Tensor>& v, double p, uint64_t seed, double eps) {
  auto x = v[0];
  if (p > 0) x = x * fused::keep_mask(x.sizes(), p, seed).to(x.scalar_type()) / (1.0 - p);
  return at::layer_norm(x + v[1], {v[0].size(-1)}, v[2], v[3], eps);
}

Tensor ln_fused(std::vector<Tensor>& v, double p, uint64_t seed, double eps) {
  return fused::dropout_add_layer_norm(v[0], v[1], v[2], v[3], eps, p, seed);
}

std::vector<Tensor> ln_inputs(int64_t rows, int64_t H, torch::Dtype dtype) {
  auto o = torch::TensorOptions().dtype(dtype);
  return {torch::randn({rows / 3, 3, H}, o), torch::randn({rows / 3, 3, H}, o),
          1.0 + 0.3 * torch::randn({H}, o), 0.2 * torch::randn({H}, o)};
}

}  // namespace

TEST(FusedOps, DropoutBitsAreSeededAndKeepTheRightShare) {
  auto a = fused::keep_mask({1 << 20}, 0.1, 7), b = fused::keep_mask({1 << 20}, 0.1, 7),
       c = fused::keep_mask({1 << 20}, 0.1, 8);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  const double kept = a.mean().item<double>();
  EXPECT_NEAR(kept, 0.9, 0.002);
  // Neighbouring elements are independent: P(both kept) ~ 0.81.
  const double pairs = (a.slice(0, 0, -1) * a.slice(0, 1)).mean().item<double>();
  EXPECT_NEAR(pairs, 0.81, 0.003);
  EXPECT_EQ(fused::keep_threshold(0.0), 0xFFFFFFFFU);
  EXPECT_EQ(fused::keep_threshold(0.5), 0x80000000U);
  EXPECT_EQ(fused::keep_mask({10}, 0.0, 1).sum().item<double>(), 10.0);
}

TEST(FusedOps, DropoutMatchesMaskTimesScaleAndItsGradient) {
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    // 1003 elements: the AVX2 path's 8-lane body and its scalar tail both run.
    auto x = torch::randn({17, 59}, torch::TensorOptions().dtype(dtype));
    auto up = torch::randn({17, 59}, torch::TensorOptions().dtype(dtype));
    auto mask = fused::keep_mask(x.sizes(), 0.3, 99).to(dtype);
    auto fused_r = run([&](std::vector<Tensor>& v) { return fused::dropout(v[0], 0.3, 99); }, {x}, up);
    auto ref = run([&](std::vector<Tensor>& v) { return v[0] * mask / 0.7; }, {x}, up);
    expect_close(fused_r, ref, dtype == torch::kDouble ? 1e-12 : 1e-6, "dropout");
    EXPECT_GT((fused_r.out == 0).sum().item<int64_t>(), 200);
  }
}

TEST(FusedOps, DropoutAddLayerNormMatchesUnfusedInDouble) {
  for (int64_t H : {8, 13, 64}) {
    for (double p : {0.0, 0.25}) {
      auto in = ln_inputs(12, H, torch::kDouble);
      auto up = torch::randn(in[0].sizes(), torch::kDouble);
      auto a = run([&](auto& v) { return ln_fused(v, p, 1234, 1e-12); }, in, up);
      auto b = run([&](auto& v) { return ln_unfused(v, p, 1234, 1e-12); }, in, up);
      expect_close(a, b, 1e-10, "H=" + std::to_string(H) + " p=" + std::to_string(p));
    }
  }
}

TEST(FusedOps, DropoutAddLayerNormMatchesUnfusedInFloat) {
  for (int64_t H : {16, 35, 128}) {
    auto in = ln_inputs(96, H, torch::kFloat);
    auto up = torch::randn(in[0].sizes());
    auto a = run([&](auto& v) { return ln_fused(v, 0.1, 77, 1e-12); }, in, up);
    auto b = run([&](auto& v) { return ln_unfused(v, 0.1, 77, 1e-12); }, in, up);
    expect_close(a, b, 2e-5, "float H=" + std::to_string(H));
  }
}

TEST(FusedOps, DropoutAddLayerNormFiniteDifferences) {
  // gradcheck-style: central differences of sum(out * up) in double for every input entry of a small case.
  auto in = ln_inputs(6, 5, torch::kDouble);
  auto up = torch::randn(in[0].sizes(), torch::kDouble);
  auto analytic = run([&](auto& v) { return ln_fused(v, 0.3, 5, 1e-5); }, in, up);
  const double h = 1e-6;
  for (size_t k = 0; k < in.size(); ++k) {
    auto flat = in[k].view(-1);
    auto numeric = torch::zeros_like(flat);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double orig = flat[i].item<double>();
      auto eval = [&](double val) {
        flat[i] = val;
        std::vector<Tensor> v = in;
        return (ln_fused(v, 0.3, 5, 1e-5) * up).sum().item<double>();
      };
      numeric[i] = (eval(orig + h) - eval(orig - h)) / (2 * h);
      flat[i] = orig;
    }
    EXPECT_LE(max_rel_diff(analytic.grads[k].view(-1), numeric), 1e-6) << "input " << k;
  }
}

TEST(FusedOps, AttentionSoftmaxDropoutMatchesUnfused) {
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    for (int64_t L : {7, 16, 37}) {
      auto o = torch::TensorOptions().dtype(dtype);
      auto scores = 4.0 * torch::randn({2, 3, 5, L}, o);
      auto mask = torch::zeros({2, L}, o);
      mask[1].slice(0, L - 3).fill_(std::numeric_limits<float>::lowest());  // padded keys of row 1
      auto up = torch::randn(scores.sizes(), o);
      for (double p : {0.0, 0.2}) {
        auto keep = fused::keep_mask(scores.sizes(), p, 31).to(dtype);
        auto a = run([&](auto& v) { return fused::attention_softmax_dropout(v[0], mask, 8.0, p, 31); },
                     {scores}, up);
        auto b = run(
            [&](auto& v) {
              auto probs = at::softmax(v[0] / 8.0 + mask.view({2, 1, 1, L}), -1);
              return p > 0 ? probs * keep / (1.0 - p) : probs;
            },
            {scores}, up);
        expect_close(a, b, dtype == torch::kDouble ? 1e-12 : 1e-5, "L=" + std::to_string(L));
        // Padded keys get probability exactly 0.
        EXPECT_EQ(a.out[1].slice(2, L - 3).abs().max().item<double>(), 0.0);
      }
    }
  }
}

TEST(FusedOps, TrainingPathMatchesLibTorchOpsOnPaddedBatch) {
  // The whole model, train mode without dropout: fused kernels + padding skipped (masked-only head) against
  // LibTorch's ops on every position, same loss and gradients.
  BertConfig c;
  c.vocab_size = 60;
  c.hidden_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 3;
  c.intermediate_size = 40;
  c.max_position_embeddings = 16;
  c.hidden_dropout_prob = 0;
  c.attention_probs_dropout_prob = 0;
  auto ids = torch::randint(5, 60, {3, 11}, torch::kLong);
  auto mask = torch::ones({3, 11}, torch::kLong);
  mask[1].slice(0, 7).zero_();
  mask[2].slice(0, 3).zero_();
  ids.masked_fill_(mask == 0, 0);
  auto labels = torch::full({3, 11}, kIgnoreIndex, torch::kLong);
  labels[0][4] = 9;
  labels[1][2] = 17;
  labels[1][6] = 3;
  labels[2][1] = 44;
  auto nsp = torch::tensor({1, 0, 1}, torch::kLong);
  auto types = torch::zeros_like(ids);
  auto step = [&](bool fused_on, MlmHead head) {
    fused::set_enabled(fused_on);
    auto model = make_bert(c, BertArch::kPreTraining, 11);
    model->train();
    auto out = model->forward(ids, types, mask, labels, nsp, head);
    out.loss.backward();
    std::vector<Tensor> g;
    for (auto& p : model->parameters()) g.push_back(p.grad().clone());
    fused::set_enabled(true);
    return std::make_pair(out.loss.item<double>(), g);
  };
  auto [loss_ref, g_ref] = step(false, MlmHead::kFull);
  auto [loss_fused, g_fused] = step(true, MlmHead::kMaskedOnly);
  EXPECT_NEAR(loss_fused, loss_ref, 1e-5);
  ASSERT_EQ(g_ref.size(), g_fused.size());
  for (size_t i = 0; i < g_ref.size(); ++i)
    EXPECT_LE(max_rel_diff(g_fused[i], g_ref[i]), 1e-4) << "param " << i;
}

TEST(FusedOps, DropoutInTrainingFollowsTheTorchSeed) {
  BertConfig c;
  c.vocab_size = 40;
  c.hidden_size = 16;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 32;
  c.max_position_embeddings = 12;
  auto model = make_bert(c, BertArch::kPreTraining, 2);
  model->train();
  auto ids = torch::randint(5, 40, {2, 10}, torch::kLong);
  auto labels = ids.clone();
  auto loss_at = [&](uint64_t seed) {
    torch::manual_seed(seed);
    return model->forward(ids, {}, {}, labels, {}, MlmHead::kMaskedOnly).loss.item<double>();
  };
  EXPECT_EQ(loss_at(3), loss_at(3));
  EXPECT_NE(loss_at(3), loss_at(4));
}
