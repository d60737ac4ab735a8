// training/trainer.h — `bertforge pretrain` as a library call: HF's Trainer(model, args, data_collator,
// train_dataset).train() followed by save_model(output_dir), for BertForPreTraining on a bertforge dataset.
//
//   dataset/ (data/format.h) ──Loader (shuffle, dynamic masking, padding)──▶ batches
//   model (config.json or a model folder) ──AdamW + schedule + clipping + accumulation──▶ trained model
//   output_dir/: checkpoint-<step>/ (training/checkpoint.h), metrics.jsonl, training_curves.svg,
//                trainer_state.json, pretrain_config.json, and the final HF model + tokenizer folder.
//
// Exact resume: the data cursor (epoch, batches given), the optimizer moments, the schedule step and the
// torch generator (dropout) are checkpointed, and masks are a pure function of (seed, epoch, example), so a
// run stopped at step N and resumed produces on CPU the same losses, bit for bit, as one uninterrupted run.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "training/training_arguments.h"

namespace bertforge::training {

// Everything `bertforge pretrain` needs: inputs, HF's TrainingArguments, and the data collator's options.
struct PretrainOptions {
  std::string dataset;    // dataset folder from `bertforge dataset build` (required)
  std::string tokenizer;  // tokenizer folder (or its vocab.txt / tokenizer.json) the dataset was built with;
                          // must have the fingerprint the dataset recorded. Empty: <dataset>/tokenizer/,
                          // the copy `dataset build` keeps
  std::string model_config;  // config.json of a fresh model (one of model_config / model, unless resuming)
  std::string model;         // an HF model folder to continue pre-training from
  TrainingArguments args;    // HF names and defaults

  // ---- data collator (HF's DataCollatorForLanguageModeling) ----
  double mlm_probability = 0.15;  // share of tokens selected for MLM
  bool whole_word_mask = false;   // select whole words (DataCollatorForWholeWordMask)
  bool group_by_length = false;   // HF's group_by_length: batches of similar lengths, less padding

  // ---- speed ----
  bool full_mlm_head = false;  // run the MLM decoder on every position as HF does (same loss, far slower);
                               // default: only at the masked positions

  // Checks every field (args included); config_error naming the field and its flag.
  void validate(bool resuming) const;
  nlohmann::json to_json() const;
};
void from_json(const nlohmann::json& j, PretrainOptions& o);

struct TrainResult {
  int64_t global_step = 0;  // optimizer steps done (all sessions of the run)
  int64_t steps_this_session = 0;
  double train_loss = 0.0;  // mean step loss of this session
  double epoch = 0.0;
  double runtime_seconds = 0.0;
  int stop_signal = 0;               // SIGINT / SIGTERM that ended the run early (a checkpoint was saved)
  bool time_budget_reached = false;  // stopped by max_minutes (checkpoint and model saved)
  std::string last_checkpoint;       // the newest checkpoint folder written, if any
  nlohmann::json last_eval;          // eval_* of the last evaluation, or null
};

class Trainer {
 public:
  explicit Trainer(PretrainOptions options);
  ~Trainer();

  // Runs the whole job. `stop_request`, when given, is polled after every optimizer step: a non-zero value
  // (a signal number) makes the trainer save a checkpoint and return with TrainResult::stop_signal set.
  TrainResult train(const std::atomic<int>* stop_request = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertforge::training
