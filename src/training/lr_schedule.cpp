// training/lr_schedule.cpp — HF's schedule formulas (transformers.optimization), computed in double as
// Python.
#include "training/lr_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "training/training_arguments.h"

namespace bertforge::training {

LrSchedule::LrSchedule(std::string type, double peak_lr, int64_t warmup_steps, int64_t total_steps)
    : type_(std::move(type)), peak_lr_(peak_lr), warmup_steps_(warmup_steps), total_steps_(total_steps) {
  const auto& types = lr_scheduler_types();
  if (std::find(types.begin(), types.end(), type_) == types.end())
    throw config_error("lr_scheduler_type", fmt::format("unknown schedule '{}'", type_));
  if (warmup_steps_ < 0) throw config_error("warmup_steps", "must be >= 0");
  if (total_steps_ < 0) throw config_error("max_steps", "must be >= 0");
}

double LrSchedule::factor(int64_t step) const {
  const double s = static_cast<double>(step);
  if (type_ == "constant") return 1.0;
  // Warmup: step / max(1, warmup), the same for every warmed-up schedule.
  if (step < warmup_steps_) return s / static_cast<double>(std::max<int64_t>(1, warmup_steps_));
  if (type_ == "constant_with_warmup") return 1.0;
  const double decay_span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup_steps_));
  if (type_ == "linear") return std::max(0.0, static_cast<double>(total_steps_ - step) / decay_span);
  // cosine with num_cycles = 0.5: half a cosine wave from 1 down to 0.
  const double progress = static_cast<double>(step - warmup_steps_) / decay_span;
  const double num_cycles = 0.5;
  return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * num_cycles * 2.0 * progress)));
}

nlohmann::json LrSchedule::to_json(int64_t last_step) const {
  return {{"lr_scheduler_type", type_},         {"base_lr", peak_lr_},    {"num_warmup_steps", warmup_steps_},
          {"num_training_steps", total_steps_}, {"last_step", last_step}, {"last_lr", lr(last_step)}};
}

}  // namespace bertforge::training
