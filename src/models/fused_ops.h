// models/fused_ops.h — fused CPU kernels for BERT training (models/bert.cpp uses them when gradients are
// being recorded; inference keeps LibTorch's own ops, which are HF's numerics). Each is an autograd function
// with a hand-written forward and backward, in float (AVX2+FMA when the CPU has it, chosen at run time, with
// a scalar fallback) and double (scalar; for gradient checks):
//
//   dropout_add_layer_norm   LayerNorm(dropout(x) + residual): the post-LN residual block, one pass over the
//                            rows instead of ~6 tensor ops; backward in one pass too.
//   attention_softmax_dropout dropout(softmax(scores / divisor + additive_mask)): attention probabilities
//   from
//                            raw q·kᵀ, scale and padding mask folded into the softmax pass.
//   dropout                  x * keep / (1 - p).
//
// Dropout masks come from a counter-based hash of (seed, element index), not from a stored tensor: forward
// and backward regenerate the same bits, nothing mask-sized is saved, rows are generated in parallel, and it
// is far cheaper than LibTorch's CPU bernoulli_ (one serial mt19937 draw per element without MKL). Each call
// draws its 64-bit seed from LibTorch's default CPU generator, so torch::manual_seed and the checkpointed
// generator state (exact resume) govern dropout as before.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace bertforge::models::fused {

// Elements whose hash is below this are kept: round((1 - p) * 2^32), saturated.
uint32_t keep_threshold(double p);
// The 32-bit hash of element `index` under `seed` (the AVX2 kernels compute the same values).
uint32_t dropout_hash(uint64_t seed, uint64_t index);
// The keep mask of a call as a 0/1 float tensor of `sizes` (tests compare against the unfused formulation).
torch::Tensor keep_mask(at::IntArrayRef sizes, double p, uint64_t seed);
// One seed from LibTorch's default CPU generator (advances it, under its lock).
uint64_t draw_seed();
// True when the float kernels run their AVX2+FMA versions on this CPU.
bool using_avx2();

// Whether models/bert.cpp uses these kernels (and skips padding) on its training path. Default on; the
// environment variable BERTFORGE_FUSED=0 turns it off at start-up (A/B timing); tests flip it to compare.
bool enabled();
void set_enabled(bool on);

// x (..., H) * keep / (1 - p); p == 0 returns x.
torch::Tensor dropout(const torch::Tensor& x, double p, uint64_t seed);

// x, residual (..., H), weight/bias (H) -> LayerNorm(dropout(x) + residual) (..., H). p == 0: no dropout.
torch::Tensor dropout_add_layer_norm(const torch::Tensor& x, const torch::Tensor& residual,
                                     const torch::Tensor& weight, const torch::Tensor& bias, double eps,
                                     double p, uint64_t seed);

// scores (B, heads, Tq, Tk) = q·kᵀ; additive_mask (B, Tk) (0 or a large negative) or undefined ->
// dropout(softmax(scores / divisor + mask, -1)) (B, heads, Tq, Tk).
torch::Tensor attention_softmax_dropout(const torch::Tensor& scores, const torch::Tensor& additive_mask,
                                        double divisor, double p, uint64_t seed);

}  // namespace bertforge::models::fused
