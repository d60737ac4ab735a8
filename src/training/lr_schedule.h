// training/lr_schedule.h — learning-rate schedules with the formulas of HF's get_scheduler (a LambdaLR whose
// factor multiplies the peak learning rate). The Trainer asks for the rate of each optimizer step.
// Example (linear, 10 steps, 2 warmup, peak 1e-3): step 0 -> 0, 1 -> 5e-4, 2 -> 1e-3, 6 -> 5e-4, 10 -> 0.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace bertforge::training {

class LrSchedule {
 public:
  // `type` is one of lr_scheduler_types(); "constant" ignores warmup (as HF's get_scheduler does).
  LrSchedule(std::string type, double peak_lr, int64_t warmup_steps, int64_t total_steps);

  // HF's lr_lambda(step): the factor applied to the peak rate after `step` scheduler steps.
  double factor(int64_t step) const;
  // The rate used by optimizer step number `step + 1` (HF: scheduler.get_last_lr() after `step` steps).
  double lr(int64_t step) const { return peak_lr_ * factor(step); }

  const std::string& type() const { return type_; }
  double peak_lr() const { return peak_lr_; }
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }

  // Saved in checkpoints as scheduler.json (with the step reached); load checks it matches the run's.
  nlohmann::json to_json(int64_t last_step) const;

 private:
  std::string type_;
  double peak_lr_;
  int64_t warmup_steps_;
  int64_t total_steps_;
};

}  // namespace bertforge::training
