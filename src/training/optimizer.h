// training/optimizer.h — AdamW for pre-training with HF's parameter groups (weight decay on every weight
// except biases and LayerNorm weights), global-norm gradient clipping, and a state that checkpoints by
// parameter name. The update is torch.optim.AdamW's (decoupled decay, bias-corrected moments), done in one
// fused pass per tensor instead of ~9 separate tensor ops.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "training/tensor_file.h"

namespace bertforge::training {

struct NamedParameter {
  std::string name;      // HF state-dict name, e.g. "bert.encoder.layer.0.attention.self.query.weight"
  torch::Tensor tensor;  // the trainable parameter (float32)
  bool decay = true;     // weight decay applies
};

// HF's rule (Trainer.get_decay_parameter_names): no decay for biases nor for LayerNorm parameters.
bool applies_weight_decay(const std::string& name);

// The trainable parameters of `model` in registration order, each tensor once (a tied weight, such as the
// MLM decoder sharing the word embeddings, keeps its first name), with the decay flag set.
std::vector<NamedParameter> collect_parameters(const torch::nn::Module& model);

struct AdamWOptions {
  double lr = 5e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // applied only to parameters with decay == true
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> params, AdamWOptions options);

  void set_lr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }
  // One update of every parameter that has a gradient.
  void step();
  // Sets gradients to zero in place (no reallocation between steps).
  void zero_grad();
  // L2 norm of all gradients together (before clipping); scales them to max_norm when above it and
  // max_norm > 0 (torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6)).
  double clip_grad_norm(double max_norm);

  // Moments and step counts keyed by parameter name: "<name>.exp_avg", "<name>.exp_avg_sq", and the step
  // counts in metadata "step.<name>".
  TensorFile state() const;
  // Restores a state written by state(); format_error when a parameter is missing or a shape differs.
  void load_state(const TensorFile& file, const std::string& source);

  const std::vector<NamedParameter>& parameters() const { return params_; }
  const AdamWOptions& options() const { return options_; }

 private:
  struct Slot {
    torch::Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };
  std::vector<NamedParameter> params_;
  std::vector<Slot> slots_;
  AdamWOptions options_;
};

}  // namespace bertforge::training
