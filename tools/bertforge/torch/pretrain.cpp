// tools/bertforge/pretrain.cpp — `bertforge pretrain`: dataset/ + tokenizer + model config -> a pre-trained
// BertForPreTraining in output_dir (HF model folder with the tokenizer), with checkpoints, metrics.jsonl and
// training_curves.svg. Flags carry HF's TrainingArguments names (kebab-case or snake_case); see
// docs/training.md. SIGINT/SIGTERM finish the current step, save a checkpoint and exit 130/143.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "command.h"
#include "common/log.h"
#include "training/trainer.h"

namespace bertforge::cli {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) {
  // A second Ctrl-C while the checkpoint is being written should still end the process.
  if (g_stop_signal.load() != 0) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_stop_signal.store(sig);
}

std::function<void()> setup_pretrain(CLI::App& app) {
  auto o = std::make_shared<training::PretrainOptions>();
  training::TrainingArguments& a = o->args;
  add_option(app, "dataset", o->dataset, "Dataset folder from `bertforge dataset build`")->required();
  add_option(app, "tokenizer", o->tokenizer,
             "Tokenizer folder (or vocab.txt / tokenizer.json) the dataset was built with; checked against "
             "the dataset's fingerprint. Default: the copy `dataset build` keeps in DATASET/tokenizer/");
  add_option(app, "model_config", o->model_config,
             "config.json of a fresh BertForPreTraining (BertConfig keys)");
  add_option(app, "model", o->model,
             "HF model folder to continue pre-training from (instead of --model-config)");
  add_option(app, "output_dir", a.output_dir, "Where checkpoints, metrics and the final model go")
      ->required();
  add_bool(app, "overwrite_output_dir", a.overwrite_output_dir, "Allow a non-empty output_dir (HF)");
  add_option(app, "num_train_epochs", a.num_train_epochs,
             "Passes over the training split (ignored if --max-steps)");
  add_option(app, "max_steps", a.max_steps, "Total optimizer steps; -1 = from --num-train-epochs");
  add_option(app, "per_device_train_batch_size", a.per_device_train_batch_size, "Examples per micro-batch");
  app.add_option("--per-gpu-train-batch-size,--per_gpu_train_batch_size", a.per_device_train_batch_size,
                 "Old HF name of --per-device-train-batch-size (the seed's spelling)");
  add_option(app, "per_device_eval_batch_size", a.per_device_eval_batch_size,
             "Examples per evaluation batch");
  add_option(app, "gradient_accumulation_steps", a.gradient_accumulation_steps,
             "Micro-batches summed into one optimizer step");
  add_bool(app, "dataloader_drop_last", a.dataloader_drop_last,
           "Drop the last incomplete batch of each epoch");
  add_option(app, "learning_rate", a.learning_rate, "Peak AdamW learning rate");
  add_option(app, "weight_decay", a.weight_decay, "AdamW weight decay (never on biases and LayerNorm)");
  add_option(app, "adam_beta1", a.adam_beta1, "AdamW beta1");
  add_option(app, "adam_beta2", a.adam_beta2, "AdamW beta2");
  add_option(app, "adam_epsilon", a.adam_epsilon, "AdamW epsilon");
  add_option(app, "max_grad_norm", a.max_grad_norm, "Clip the gradient L2 norm to this (0 = no clipping)");
  add_option(app, "lr_scheduler_type", a.lr_scheduler_type,
             "linear | cosine | constant | constant_with_warmup")
      ->check(CLI::IsMember(training::lr_scheduler_types()));
  add_option(app, "warmup_ratio", a.warmup_ratio, "Warmup as a fraction of total steps");
  add_option(app, "warmup_steps", a.warmup_steps, "Warmup steps (wins over --warmup-ratio when > 0)");
  add_option(app, "logging_steps", a.logging_steps, "A metrics.jsonl line every N steps");
  add_bool(app, "logging_first_step", a.logging_first_step, "Also log after the first step");
  add_option(app, "save_steps", a.save_steps, "A checkpoint every N steps (0 = only at the end)");
  add_option(app, "save_total_limit", a.save_total_limit, "Keep at most N checkpoints (0 = all)");
  add_option(app, "resume_from_checkpoint", a.resume_from_checkpoint,
             "A checkpoint folder, or `latest` (newest in output_dir)");
  add_option(app, "seed", a.seed, "Seed of weights init, dropout, data order and masks");
  add_bool(app, "bf16", a.bf16, "bfloat16 autocast (fp32 master weights)");
  add_option(app, "eval_fraction", a.eval_fraction,
             "Fraction of the dataset held out for evaluation (0 = none)");
  add_option(app, "eval_steps", a.eval_steps, "Evaluate every N steps (0 = every --logging-steps)");
  add_option(app, "threads", a.threads, "CPU threads for LibTorch (0 = its default)");
  add_option(app, "device", a.device, "cpu, or cuda / cuda:N with a CUDA build of LibTorch");
  add_option(app, "max_minutes", a.max_minutes,
             "Time budget: save and stop after this many minutes (0 = none)");
  add_option(
      app, "ddp_backend", a.ddp_backend,
      "Multi-process backend: gloo or nccl (default: nccl for --device cuda when built in, else gloo)");
  add_option(app, "ddp_bucket_cap_mb", a.ddp_bucket_cap_mb, "Gradient all-reduce bucket size in MB");
  add_option(app, "ddp_timeout", a.ddp_timeout, "Seconds to wait for the other processes");
  add_option(app, "mlm_probability", o->mlm_probability, "Share of tokens selected for masked-LM (collator)");
  add_bool(app, "whole_word_mask", o->whole_word_mask, "Mask whole words (DataCollatorForWholeWordMask)");
  add_bool(app, "group_by_length", o->group_by_length, "Batches of similar lengths (less padding)");
  add_bool(app, "full_mlm_head", o->full_mlm_head,
           "Run the MLM decoder at every position as HF does (same loss, slower)");
  add_config_option(app);
  return [o]() {
    g_stop_signal.store(0);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    training::Trainer trainer(*o);
    training::TrainResult r = trainer.train(&g_stop_signal);
    nlohmann::json summary = {{"global_step", r.global_step},         {"epoch", r.epoch},
                              {"train_loss", r.train_loss},           {"train_runtime", r.runtime_seconds},
                              {"last_checkpoint", r.last_checkpoint}, {"output_dir", o->args.output_dir}};
    if (!r.last_eval.is_null())
      for (auto& [k, v] : r.last_eval.items()) summary[k] = v;
    if (r.time_budget_reached) summary["stopped"] = "time budget";
    if (r.stop_signal != 0) summary["stopped"] = fmt::format("signal {}", r.stop_signal);
    std::printf("%s\n", summary.dump().c_str());
    std::fflush(stdout);
    if (r.stop_signal != 0) std::exit(128 + r.stop_signal);  // 130 for SIGINT, 143 for SIGTERM, as shells do
  };
}

}  // namespace

BERTFORGE_COMMAND("pretrain", "Pre-train BERT (MLM + NSP) on a dataset, HF Trainer arguments and outputs",
                  setup_pretrain);

}  // namespace bertforge::cli
