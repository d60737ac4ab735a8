// training/optimizer.cpp — fused AdamW, HF parameter groups, clipping (see the header).
#include "training/optimizer.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <cmath>
#include <unordered_set>

#include "common/error.h"

namespace bertforge::training {

bool applies_weight_decay(const std::string& name) {
  // HF excludes every parameter of a LayerNorm module and every "bias"; its BERT names LayerNorm modules
  // "LayerNorm" (embeddings.LayerNorm, attention.output.LayerNorm, cls.predictions.transform.LayerNorm).
  if (name.find("bias") != std::string::npos) return false;
  if (name.find("LayerNorm") != std::string::npos || name.find("layer_norm") != std::string::npos)
    return false;
  return true;
}

std::vector<NamedParameter> collect_parameters(const torch::nn::Module& model) {
  std::vector<NamedParameter> out;
  std::unordered_set<const void*> seen;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& t = item.value();
    if (!t.requires_grad()) continue;
    if (!seen.insert(t.unsafeGetTensorImpl()).second) continue;  // tied weight already listed
    out.push_back({item.key(), t, applies_weight_decay(item.key())});
  }
  return out;
}

AdamW::AdamW(std::vector<NamedParameter> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  slots_.resize(params_.size());
  for (auto& p : params_)
    if (p.tensor.scalar_type() != torch::kFloat32 || !p.tensor.is_contiguous())
      throw Error(ErrorKind::kInternal,
                  fmt::format("AdamW: parameter {} must be a contiguous float32 tensor", p.name));
}

void AdamW::zero_grad() {
  for (auto& p : params_) {
    auto& g = p.tensor.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

double AdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads, norms;
  for (auto& p : params_)
    if (p.tensor.grad().defined()) grads.push_back(p.tensor.grad());
  if (grads.empty()) return 0.0;
  for (auto& g : grads) norms.push_back(g.norm(2));
  torch::Tensor total = torch::stack(norms).norm(2);
  if (max_norm > 0) {
    // As torch: multiply by min(1, max_norm / (norm + 1e-6)) in float32; a factor of exactly 1 is skipped.
    torch::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    if (coef.item<float>() < 1.0f)
      for (auto& g : grads) g.mul_(coef);
  }
  return total.item<double>();
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  const float b1 = static_cast<float>(options_.beta1);
  const float b2 = static_cast<float>(options_.beta2);
  const float one_minus_b1 = static_cast<float>(1.0 - options_.beta1);
  const float one_minus_b2 = static_cast<float>(1.0 - options_.beta2);
  const float eps = static_cast<float>(options_.eps);
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].tensor;
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    Slot& s = slots_[i];
    if (!s.exp_avg.defined()) {
      s.exp_avg = torch::zeros_like(p);
      s.exp_avg_sq = torch::zeros_like(p);
    }
    s.step += 1;
    // Per-tensor constants in double, as torch computes them in Python floats.
    const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(s.step));
    const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(s.step));
    const float step_size = static_cast<float>(options_.lr / bias_correction1);
    const float inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bias_correction2));
    const float decay =
        params_[i].decay ? static_cast<float>(1.0 - options_.lr * options_.weight_decay) : 1.0f;
    if (!p.is_cpu()) {
      // GPU (or any non-CPU) tensors: the same update with tensor ops, as torch.optim.AdamW's
      // single-tensor path (the fused loop below reads host memory).
      p.mul_(decay);
      s.exp_avg.mul_(b1).add_(g, one_minus_b1);
      s.exp_avg_sq.mul_(b2).addcmul_(g, g, one_minus_b2);
      p.addcdiv_(s.exp_avg, s.exp_avg_sq.sqrt().mul_(inv_bc2_sqrt).add_(eps), -step_size);
      continue;
    }
    torch::Tensor gc = g.contiguous();
    float* pd = p.data_ptr<float>();
    const float* gd = gc.data_ptr<float>();
    float* md = s.exp_avg.data_ptr<float>();
    float* vd = s.exp_avg_sq.data_ptr<float>();
    // One pass: decoupled decay, both moments, bias-corrected update. Elementwise, so the result does not
    // depend on how the range is split among threads.
    at::parallel_for(0, p.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        const float gk = gd[k];
        const float m = b1 * md[k] + one_minus_b1 * gk;
        const float v = b2 * vd[k] + one_minus_b2 * gk * gk;
        md[k] = m;
        vd[k] = v;
        const float denom = std::sqrt(v) * inv_bc2_sqrt + eps;
        pd[k] = pd[k] * decay - step_size * (m / denom);
      }
    });
  }
}

TensorFile AdamW::state() const {
  TensorFile f;
  f.metadata["format"] = "bertforge-adamw-1";
  f.metadata["lr"] = fmt::format("{:.17g}", options_.lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Slot& s = slots_[i];
    if (!s.exp_avg.defined()) continue;
    f.tensors[params_[i].name + ".exp_avg"] = s.exp_avg;
    f.tensors[params_[i].name + ".exp_avg_sq"] = s.exp_avg_sq;
    f.metadata["step." + params_[i].name] = std::to_string(s.step);
  }
  return f;
}

void AdamW::load_state(const TensorFile& file, const std::string& source) {
  auto fmt_it = file.metadata.find("format");
  if (fmt_it == file.metadata.end() || fmt_it->second != "bertforge-adamw-1")
    throw format_error(source, 0, "not a bertforge AdamW state (metadata format != bertforge-adamw-1)");
  std::vector<Slot> slots(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].name;
    auto step_it = file.metadata.find("step." + name);
    if (step_it == file.metadata.end()) continue;  // a parameter that never had a gradient
    auto m = file.tensors.find(name + ".exp_avg");
    auto v = file.tensors.find(name + ".exp_avg_sq");
    if (m == file.tensors.end() || v == file.tensors.end())
      throw format_error(source, 0, fmt::format("missing moments of parameter {}", name));
    if (!m->second.sizes().equals(params_[i].tensor.sizes()) ||
        !v->second.sizes().equals(params_[i].tensor.sizes()))
      throw format_error(source, 0,
                         fmt::format("parameter {}: saved shape {} but the model has {}", name,
                                     c10::str(m->second.sizes()), c10::str(params_[i].tensor.sizes())));
    const auto device = params_[i].tensor.device();
    slots[i].exp_avg = m->second.to(device, torch::kFloat32).contiguous().clone();
    slots[i].exp_avg_sq = v->second.to(device, torch::kFloat32).contiguous().clone();
    slots[i].step = std::stoll(step_it->second);
  }
  slots_ = std::move(slots);
}

}  // namespace bertforge::training
