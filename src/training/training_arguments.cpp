// training/training_arguments.cpp — validation and JSON round trip of TrainingArguments (see the header).
#include "training/training_arguments.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "common/error.h"

namespace bertforge::training {

const std::vector<std::string>& lr_scheduler_types() {
  static const std::vector<std::string> types = {"linear", "cosine", "constant", "constant_with_warmup"};
  return types;
}

namespace {

// "max_grad_norm" -> "--max-grad-norm": the flag named in error messages.
std::string flag_of(const std::string& field) {
  std::string kebab = field;
  std::replace(kebab.begin(), kebab.end(), '_', '-');
  return "--" + kebab;
}

[[noreturn]] void invalid(const std::string& field, const std::string& what) {
  throw config_error(field, fmt::format("{} (set {})", what, flag_of(field)));
}

}  // namespace

void TrainingArguments::validate() const {
  if (output_dir.empty()) invalid("output_dir", "is required");
  if (!(num_train_epochs > 0) && max_steps <= 0)
    invalid("num_train_epochs",
            fmt::format("must be > 0 when max_steps is not set (got {})", num_train_epochs));
  if (!std::isfinite(num_train_epochs)) invalid("num_train_epochs", "must be a finite number");
  if (max_steps == 0 || max_steps < -1)
    invalid("max_steps", fmt::format("must be -1 or > 0 (got {})", max_steps));
  if (per_device_train_batch_size < 1)
    invalid("per_device_train_batch_size", fmt::format("must be >= 1 (got {})", per_device_train_batch_size));
  if (per_device_eval_batch_size < 1)
    invalid("per_device_eval_batch_size", fmt::format("must be >= 1 (got {})", per_device_eval_batch_size));
  if (gradient_accumulation_steps < 1)
    invalid("gradient_accumulation_steps", fmt::format("must be >= 1 (got {})", gradient_accumulation_steps));
  if (!(learning_rate >= 0) || !std::isfinite(learning_rate))
    invalid("learning_rate", fmt::format("must be a finite number >= 0 (got {})", learning_rate));
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    invalid("weight_decay", fmt::format("must be a finite number >= 0 (got {})", weight_decay));
  if (!(adam_beta1 >= 0 && adam_beta1 < 1))
    invalid("adam_beta1", fmt::format("must be in [0, 1) (got {})", adam_beta1));
  if (!(adam_beta2 >= 0 && adam_beta2 < 1))
    invalid("adam_beta2", fmt::format("must be in [0, 1) (got {})", adam_beta2));
  if (!(adam_epsilon > 0) || !std::isfinite(adam_epsilon))
    invalid("adam_epsilon", fmt::format("must be > 0 (got {})", adam_epsilon));
  if (!(max_grad_norm >= 0) || !std::isfinite(max_grad_norm))
    invalid("max_grad_norm", fmt::format("must be >= 0; 0 disables clipping (got {})", max_grad_norm));
  const auto& types = lr_scheduler_types();
  if (std::find(types.begin(), types.end(), lr_scheduler_type) == types.end())
    invalid("lr_scheduler_type",
            fmt::format("unknown schedule '{}'; expected one of: linear, cosine, constant, "
                        "constant_with_warmup",
                        lr_scheduler_type));
  if (!(warmup_ratio >= 0 && warmup_ratio <= 1))
    invalid("warmup_ratio", fmt::format("must be in [0, 1] (got {})", warmup_ratio));
  if (warmup_steps < 0) invalid("warmup_steps", fmt::format("must be >= 0 (got {})", warmup_steps));
  if (logging_steps < 1) invalid("logging_steps", fmt::format("must be >= 1 (got {})", logging_steps));
  if (save_steps < 0)
    invalid("save_steps", fmt::format("must be >= 0; 0 saves only at the end (got {})", save_steps));
  if (save_total_limit < 0)
    invalid("save_total_limit",
            fmt::format("must be >= 0; 0 keeps every checkpoint (got {})", save_total_limit));
  if (!(eval_fraction >= 0 && eval_fraction < 1))
    invalid("eval_fraction", fmt::format("must be in [0, 1) (got {})", eval_fraction));
  if (eval_steps < 0) invalid("eval_steps", fmt::format("must be >= 0 (got {})", eval_steps));
  if (threads < 0) invalid("threads", fmt::format("must be >= 0; 0 = LibTorch's default (got {})", threads));
  static const std::regex device_re("cpu|cuda(:[0-9]+)?");
  if (!std::regex_match(device, device_re))
    invalid("device", fmt::format("must be cpu, cuda or cuda:N (got '{}')", device));
  if (!(max_minutes >= 0) || !std::isfinite(max_minutes))
    invalid("max_minutes", fmt::format("must be >= 0; 0 = no time budget (got {})", max_minutes));
  if (!ddp_backend.empty() && ddp_backend != "gloo" && ddp_backend != "nccl")
    invalid("ddp_backend",
            fmt::format("must be gloo or nccl, or empty for automatic (got '{}')", ddp_backend));
  if (!(ddp_bucket_cap_mb > 0) || !std::isfinite(ddp_bucket_cap_mb))
    invalid("ddp_bucket_cap_mb", fmt::format("must be > 0 (got {})", ddp_bucket_cap_mb));
  if (!(ddp_timeout > 0) || !std::isfinite(ddp_timeout))
    invalid("ddp_timeout", fmt::format("must be > 0 seconds (got {})", ddp_timeout));
}

int64_t TrainingArguments::resolved_warmup_steps(int64_t total_steps) const {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

int64_t TrainingArguments::resolved_eval_steps() const {
  return eval_steps > 0 ? eval_steps : logging_steps;
}

#define BERTFORGE_TA_FIELDS(X)                                                                              \
  X(output_dir)                                                                                             \
  X(overwrite_output_dir)                                                                                   \
  X(num_train_epochs) X(max_steps) X(per_device_train_batch_size) X(per_device_eval_batch_size)             \
      X(gradient_accumulation_steps) X(dataloader_drop_last) X(learning_rate) X(weight_decay) X(adam_beta1) \
          X(adam_beta2) X(adam_epsilon) X(max_grad_norm) X(lr_scheduler_type) X(warmup_ratio)               \
              X(warmup_steps) X(logging_steps) X(logging_first_step) X(save_steps) X(save_total_limit)      \
                  X(resume_from_checkpoint) X(seed) X(bf16) X(eval_fraction) X(eval_steps) X(threads)       \
                      X(device) X(max_minutes) X(ddp_backend) X(ddp_bucket_cap_mb) X(ddp_timeout)

void to_json(nlohmann::json& j, const TrainingArguments& a) {
  j = nlohmann::json::object();
#define BERTFORGE_TA_TO(name) j[#name] = a.name;
  BERTFORGE_TA_FIELDS(BERTFORGE_TA_TO)
#undef BERTFORGE_TA_TO
}

namespace {

template <typename T>
void read_field(const nlohmann::json& value, const std::string& key, T& field) {
  try {
    if (value.is_null()) return;  // HF writes None for unset optionals: keep our default
    if constexpr (std::is_same_v<T, int64_t>) {
      // Accept 3.0 for an integer field (JSON writers often emit floats) but not 3.5.
      if (value.is_number_float()) {
        double d = value.get<double>();
        if (d != std::floor(d)) throw config_error(key, fmt::format("expected an integer, got {}", d));
        field = static_cast<int64_t>(d);
        return;
      }
    }
    field = value.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw config_error(key, fmt::format("wrong JSON type ({}): {}", value.type_name(), e.what()));
  }
}

}  // namespace

void from_json(const nlohmann::json& j, TrainingArguments& a) {
  if (!j.is_object()) throw config_error("training arguments", "expected a JSON object");
  for (auto& [key, value] : j.items()) {
    if (key == "per_gpu_train_batch_size") {
      read_field(value, "per_gpu_train_batch_size", a.per_device_train_batch_size);
      continue;
    }
    bool known = false;
#define BERTFORGE_TA_FROM(name)     \
  if (key == #name) {               \
    read_field(value, key, a.name); \
    known = true;                   \
  }
    BERTFORGE_TA_FIELDS(BERTFORGE_TA_FROM)
#undef BERTFORGE_TA_FROM
    if (!known) throw config_error(key, "unknown training argument");
  }
}

}  // namespace bertforge::training
