// training/metrics.h — what a run reports: one JSON object a line in output_dir/metrics.jsonl (every
// logging_steps: step, epoch, loss, learning_rate, grad_norm, tokens_per_second, samples_per_second,
// elapsed_seconds; eval lines add eval_loss, eval_mlm_accuracy, eval_nsp_accuracy), and at the end a plot of
// those curves, output_dir/training_curves.svg, drawn by the small SVG code here (no plotting library).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bertforge::training {

class MetricsLog {
 public:
  // Opens `path` for appending. When `keep_up_to_step` >= 0 (a resumed run), lines of steps after it (logged
  // by the interrupted run after its last checkpoint) are dropped first, so the file reads like one run.
  MetricsLog(std::filesystem::path path, int64_t keep_up_to_step);
  // Appends one line and flushes it (a killed run keeps every line written so far).
  void append(const nlohmann::json& record);
  const std::filesystem::path& path() const { return path_; }

  // Every record of a metrics.jsonl file (blank lines skipped); format_error naming file:line otherwise.
  static std::vector<nlohmann::json> read(const std::filesystem::path& path);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

// Draws train loss and eval_loss (top), eval accuracies (middle, when present) and learning rate (bottom)
// against step, from records as written to metrics.jsonl. Writes the SVG atomically. Records without a
// field are skipped for that curve; with no train loss at all, the file still has its axes and a note.
void write_training_curves_svg(const std::filesystem::path& path, const std::vector<nlohmann::json>& records,
                               const std::string& title);

}  // namespace bertforge::training
