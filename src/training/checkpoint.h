// training/checkpoint.h — the on-disk side of training: output_dir rules, checkpoint-<step>/ folders (written
// under a temporary name and renamed, so a kill at any instant leaves earlier checkpoints whole), rotation
// (save_total_limit), finding the checkpoint to resume from, and trainer_state.json in HF's layout.
//
// checkpoint-<step>/
//   config.json, model.safetensors       the model, an HF model folder (loads with from_pretrained)
//   vocab.txt, tokenizer.json, ...       the tokenizer, so the checkpoint is a complete HF folder
//   optimizer.safetensors                AdamW moments "<param>.exp_avg(_sq)", step counts in metadata
//   scheduler.json                       schedule type, peak lr, warmup, total steps, step reached
//   rng_state.safetensors                torch CPU generator state (dropout)
//   data_state.json                      the loader's cursor (epoch, position): resume seeks, never replays
//   trainer_state.json                   HF's TrainerState (global_step, epoch, log_history, ...)
//   training_args.json                   the run's TrainingArguments (HF pickles training_args.bin)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "training/training_arguments.h"

namespace bertforge::training {

namespace fs = std::filesystem;

inline constexpr const char* kCheckpointPrefix = "checkpoint-";

struct CheckpointInfo {
  int64_t step = 0;
  fs::path path;
};

// The "checkpoint-<digits>" folders of `output_dir`, oldest step first. Temporary folders of an unfinished
// write ("checkpoint-12.tmp-...") are not checkpoints and are ignored.
std::vector<CheckpointInfo> list_checkpoints(const fs::path& output_dir);
std::optional<fs::path> latest_checkpoint(const fs::path& output_dir);

// Deletes the oldest checkpoints so that at most `limit` remain (0 = no limit). Returns the deleted folders.
std::vector<fs::path> rotate_checkpoints(const fs::path& output_dir, int64_t limit);

// Removes leftovers of interrupted writes (`*.tmp-*` entries) in `output_dir`; returns how many.
int remove_stale_temporaries(const fs::path& output_dir);

// HF's rule, checked before anything is written: an existing non-empty output_dir is an error unless
// overwrite_output_dir or resume_from_checkpoint is set. Throws config_error naming the folder and the flags.
void check_output_dir(const TrainingArguments& args);

// resume_from_checkpoint: "" -> nullopt; "latest" -> newest checkpoint in output_dir (error when none);
// a path -> that folder (error unless it holds trainer_state.json).
std::optional<fs::path> resolve_resume_checkpoint(const TrainingArguments& args);

// Writes output_dir/checkpoint-<step> atomically: `fill` writes into a temporary sibling folder, which is
// renamed into place only once complete (an existing folder of that step is replaced).
fs::path write_checkpoint(const fs::path& output_dir, int64_t step,
                          const std::function<void(const fs::path&)>& fill);

// HF's TrainerState (trainer_state.json). Fields bertforge does not use keep HF's neutral values so that
// HF tools reading the file find every key. `bertforge` holds what exact resume needs beyond HF's fields.
struct TrainerState {
  int64_t global_step = 0;
  double epoch = 0.0;
  int64_t max_steps = 0;
  int64_t logging_steps = 500;
  int64_t eval_steps = 500;
  int64_t save_steps = 500;
  int64_t train_batch_size = 8;
  double num_train_epochs = 0.0;
  double total_flos = 0.0;
  int64_t num_input_tokens_seen = 0;
  nlohmann::json log_history = nlohmann::json::array();  // one object per log/eval event, as HF
  nlohmann::json bertforge = nlohmann::json::object();   // logging-window sums, elapsed time, ...

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace bertforge::training
