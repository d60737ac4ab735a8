// training/training_arguments.h — the knobs of `bertforge pretrain`, under Hugging Face's TrainingArguments
// names and with HF's defaults, so an HF command line or run.json carries over unchanged
// (`--per_device_train_batch_size 32 --save_total_limit 2`). A few bertforge-only knobs (threads, device,
// eval_fraction, max_minutes) sit at the end. Pipeline: dataset/ + model config -> Trainer(args) ->
// output_dir/.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bertforge::training {

// The learning-rate schedules of HF's get_scheduler that bertforge implements.
const std::vector<std::string>& lr_scheduler_types();

struct TrainingArguments {
  // ---- output ----
  std::string output_dir;             // where checkpoints, metrics and the final model go (required)
  bool overwrite_output_dir = false;  // allow a non-empty output_dir (HF: otherwise an error)

  // ---- length of training ----
  double num_train_epochs =
      3.0;                 // passes over the training split (fractions allowed); ignored if max_steps > 0
  int64_t max_steps = -1;  // total optimizer steps; -1 = derived from num_train_epochs

  // ---- batches ----
  int64_t per_device_train_batch_size = 8;  // examples per micro-batch (seed's per_gpu_train_batch_size)
  int64_t per_device_eval_batch_size = 8;   // examples per evaluation batch
  int64_t gradient_accumulation_steps = 1;  // micro-batches summed into one optimizer step
  bool dataloader_drop_last = false;        // drop the last incomplete batch of an epoch

  // ---- optimizer (AdamW, decoupled weight decay as torch.optim.AdamW) ----
  double learning_rate = 5e-5;  // peak learning rate
  double weight_decay = 0.0;    // AdamW weight decay; never applied to biases and LayerNorm weights
  double adam_beta1 = 0.9;      // AdamW first-moment decay
  double adam_beta2 = 0.999;    // AdamW second-moment decay
  double adam_epsilon = 1e-8;   // AdamW denominator epsilon
  double max_grad_norm = 1.0;   // clip the global L2 gradient norm to this; 0 = no clipping

  // ---- schedule ----
  std::string lr_scheduler_type = "linear";  // linear | cosine | constant | constant_with_warmup
  double warmup_ratio = 0.0;  // warmup as a fraction of total steps (used when warmup_steps is 0)
  int64_t warmup_steps = 0;   // linear warmup steps; wins over warmup_ratio when > 0

  // ---- logging, checkpoints ----
  int64_t logging_steps = 500;         // a metrics line every this many optimizer steps
  bool logging_first_step = false;     // also log after the first optimizer step
  int64_t save_steps = 500;            // a checkpoint every this many steps; 0 = only at the end
  int64_t save_total_limit = 0;        // keep at most this many checkpoints (oldest deleted); 0 = keep all
  std::string resume_from_checkpoint;  // a checkpoint folder, or "latest" (newest in output_dir); "" = fresh

  // ---- reproducibility, precision ----
  int64_t seed = 42;  // seeds weights init, dropout, data order and masking
  bool bf16 = false;  // bfloat16 autocast for matmuls (fp32 master weights), as HF's --bf16

  // ---- evaluation (bertforge: a held-out fraction of the dataset) ----
  double eval_fraction = 0.0;  // fraction of examples held out for evaluation; 0 = no evaluation
  int64_t eval_steps = 0;      // evaluate every this many steps; 0 = every logging_steps (HF's default)

  // ---- runtime (bertforge) ----
  int64_t threads = 0;         // intra-op CPU threads (torch::set_num_threads); 0 = LibTorch's default
  std::string device = "cpu";  // cpu, or cuda / cuda:N with a CUDA build of LibTorch
  double max_minutes = 0.0;    // time budget: stop cleanly, save a checkpoint and the model; 0 = none

  // ---- data parallel (HF names; used when the launcher sets RANK/WORLD_SIZE, docs/distributed.md) ----
  std::string ddp_backend;        // "" = nccl for --device cuda (CUDA build), else gloo; or gloo | nccl
  double ddp_bucket_cap_mb = 25;  // gradients are all-reduced in flat buckets of at most this many MB
  double ddp_timeout = 1800;      // seconds to wait for the other processes (rendezvous, collectives)

  // Throws config_error naming the first invalid field and the flag that fixes it.
  void validate() const;
  // Steps between warmup and the end, as HF: warmup_steps if > 0, else ceil(warmup_ratio * total_steps).
  int64_t resolved_warmup_steps(int64_t total_steps) const;
  // eval_steps, or logging_steps when 0 (HF's rule).
  int64_t resolved_eval_steps() const;
};

// Every field under its HF name.
void to_json(nlohmann::json& j, const TrainingArguments& a);
// Reads the fields present (others keep their defaults). `per_gpu_train_batch_size` (the seed's spelling)
// sets per_device_train_batch_size. An unknown key is a config_error naming it.
void from_json(const nlohmann::json& j, TrainingArguments& a);

}  // namespace bertforge::training
