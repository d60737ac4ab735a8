// training/trainer.cpp — the pre-training loop (see trainer.h): setup and mismatch checks, the step (micro-
// batches, accumulation, clipping, schedule, AdamW), logging, evaluation, checkpoints, exact resume, and the
// final HF model folder.
#include "training/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/Generator.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "data/format.h"
#include "data/loader.h"
#include "data/rng.h"
#include "data/tokenizer_vocab.h"
#include "io/model_dir.h"
#include "models/bert.h"
#include "models/bert_config.h"
#include "tokenizers/tokenizer.h"
#include "training/checkpoint.h"
#include "training/distributed.h"
#include "training/lr_schedule.h"
#include "training/metrics.h"
#include "training/optimizer.h"
#include "training/tensor_file.h"

namespace bertforge::training {

// ---------------------------------------------------------------------------------------------------------
// Options

void PretrainOptions::validate(bool resuming) const {
  if (dataset.empty())
    throw config_error("dataset", "is required (--dataset DIR from `bertforge dataset build`)");
  if (!model_config.empty() && !model.empty())
    throw config_error("model",
                       "give either --model-config (a fresh model) or --model (continue one), not both");
  if (model_config.empty() && model.empty() && !resuming)
    throw config_error(
        "model_config",
        "is required: --model-config config.json for a fresh model, or --model DIR to continue one");
  if (!(mlm_probability > 0 && mlm_probability <= 1))
    throw config_error("mlm_probability",
                       fmt::format("must be in (0, 1] (got {}) (set --mlm-probability)", mlm_probability));
  args.validate();
}

nlohmann::json PretrainOptions::to_json() const {
  nlohmann::json j = args;
  j["dataset"] = dataset;
  j["tokenizer"] = tokenizer;
  j["model_config"] = model_config;
  j["model"] = model;
  j["mlm_probability"] = mlm_probability;
  j["whole_word_mask"] = whole_word_mask;
  j["group_by_length"] = group_by_length;
  j["full_mlm_head"] = full_mlm_head;
  return j;
}

void from_json(const nlohmann::json& j, PretrainOptions& o) {
  nlohmann::json rest = j;
  auto take = [&](const char* key, auto& field) {
    if (rest.contains(key)) {
      try {
        field = rest.at(key).get<std::decay_t<decltype(field)>>();
      } catch (const nlohmann::json::exception& e) {
        throw config_error(key, std::string("wrong JSON type: ") + e.what());
      }
      rest.erase(key);
    }
  };
  take("dataset", o.dataset);
  take("tokenizer", o.tokenizer);
  take("model_config", o.model_config);
  take("model", o.model);
  take("mlm_probability", o.mlm_probability);
  take("whole_word_mask", o.whole_word_mask);
  take("group_by_length", o.group_by_length);
  take("full_mlm_head", o.full_mlm_head);
  from_json(rest, o.args);
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer files: what is copied into checkpoints and the final folder, and the vocab size to check.

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct TokenizerFiles {
  fs::path path;  // what --tokenizer named, or the dataset's own copy
  int64_t vocab_size = 0;
  std::string fingerprint;  // Tokenizer::fingerprint(), compared with the one the dataset recorded
  std::vector<std::pair<fs::path, std::string>> files;  // source -> name in an HF folder
};

int64_t count_vocab_lines(const fs::path& vocab) {
  std::string text = read_file(vocab);
  int64_t n = 0;
  for (char c : text) n += c == '\n';
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

int64_t tokenizer_json_vocab_size(const fs::path& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw format_error(path.string(), 0, std::string("not JSON: ") + e.what());
  }
  int64_t n = 0;
  if (j.contains("model") && j["model"].contains("vocab") && j["model"]["vocab"].is_object())
    for (auto& [tok, id] : j["model"]["vocab"].items()) n = std::max<int64_t>(n, id.get<int64_t>() + 1);
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (auto& t : j["added_tokens"]) n = std::max<int64_t>(n, t.value("id", int64_t{0}) + 1);
  if (n == 0) throw format_error(path.string(), 0, "no model.vocab: not a WordPiece tokenizer.json");
  return n;
}

TokenizerFiles find_tokenizer_files(const fs::path& path) {
  TokenizerFiles t;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const char* name : {"vocab.txt", "tokenizer.json", "tokenizer_config.json",
                             "special_tokens_map.json", "added_tokens.json"})
      if (fs::is_regular_file(path / name, ec)) t.files.push_back({path / name, name});
    bool has_vocab = fs::is_regular_file(path / "vocab.txt", ec);
    if (!has_vocab) {
      // The seed's save_model("dir", "my_tokenizer") writes my_tokenizer-vocab.txt.
      for (auto& e : fs::directory_iterator(path, ec)) {
        std::string n = e.path().filename().string();
        if (n.size() > 10 && n.compare(n.size() - 10, 10, "-vocab.txt") == 0) {
          t.files.push_back({e.path(), "vocab.txt"});
          has_vocab = true;
          break;
        }
      }
    }
    if (has_vocab) {
      for (auto& [src, name] : t.files)
        if (name == "vocab.txt") t.vocab_size = count_vocab_lines(src);
    } else if (fs::is_regular_file(path / "tokenizer.json", ec)) {
      t.vocab_size = tokenizer_json_vocab_size(path / "tokenizer.json");
    } else {
      throw io_error(path.string(), "no vocab.txt nor tokenizer.json: not a tokenizer folder (--tokenizer)");
    }
  } else if (fs::is_regular_file(path, ec)) {
    std::string n = path.filename().string();
    if (n.size() >= 5 && n.compare(n.size() - 5, 5, ".json") == 0) {
      t.vocab_size = tokenizer_json_vocab_size(path);
      t.files.push_back({path, "tokenizer.json"});
    } else {
      t.vocab_size = count_vocab_lines(path);
      t.files.push_back({path, "vocab.txt"});
    }
  } else {
    throw io_error(path.string(), "tokenizer not found (--tokenizer)");
  }
  return t;
}

void copy_tokenizer_files(const TokenizerFiles& t, const fs::path& dir) {
  for (auto& [src, name] : t.files) write_file_atomic(dir / name, read_file(src));
}

// Enables bf16 autocast for its lifetime (HF's --bf16: matmuls in bfloat16, master weights fp32), on the
// device the model lives on: CPU autocast, or CUDA autocast (the GPU path, unverified without a GPU).
class AutocastScope {
 public:
  AutocastScope(bool on, const torch::Device& device) : on_(on), cuda_(device.is_cuda()) {
    if (!on_) return;
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (!on_) return;
    if (cuda_)
      at::autocast::set_enabled(false);
    else
      at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_, cuda_;
};

torch::Tensor to_tensor(const std::vector<int64_t>& v, int64_t rows, int64_t cols,
                        const torch::Device& device) {
  auto t = torch::from_blob(const_cast<int64_t*>(v.data()), {rows, cols}, torch::kInt64).clone();
  return device.is_cpu() ? t : t.to(device);
}

// The default generator of a device (CPU, or CUDA device N: dropout on the GPU draws from that one).
torch::Tensor generator_state(const torch::Device& device) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// This rank's generator states as a byte string (gathered by rank 0 into the checkpoint), and back.
std::string generator_states_bytes(const torch::Device& device) {
  std::string out;
  auto append = [&](const torch::Tensor& t) {
    auto c = t.contiguous();
    uint64_t n = static_cast<uint64_t>(c.numel());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), n);
  };
  append(generator_state(torch::kCPU));
  if (device.is_cuda()) append(generator_state(device));
  return out;
}

std::vector<torch::Tensor> generator_states_from_bytes(const std::string& bytes) {
  std::vector<torch::Tensor> out;
  size_t at = 0;
  while (at + sizeof(uint64_t) <= bytes.size()) {
    uint64_t n;
    std::memcpy(&n, bytes.data() + at, sizeof n);
    at += sizeof n;
    if (at + n > bytes.size()) break;
    auto t = torch::empty({static_cast<int64_t>(n)}, torch::kUInt8);
    std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + at, n);
    at += n;
    out.push_back(t);
  }
  return out;
}

int64_t count_labels(const std::vector<int64_t>& labels) {
  int64_t n = 0;
  for (int64_t v : labels) n += v != data::kIgnoreIndex;
  return n;
}

// This rank's share of the loss of the global batch: its mean MLM cross-entropy weighted by its share of the
// masked tokens of all ranks (local / global), plus the same for NSP over labelled examples. Summing the
// gradients over the ranks then gives the gradient of the global mean: 2 processes x batch 4 compute what 1
// process x batch 8 does. In a single process both factors are 1 and this is o.loss, bit for bit.
torch::Tensor loss_share(const models::BertLMOutput& o, double local_mlm, double global_mlm, double local_nsp,
                         double global_nsp) {
  torch::Tensor loss;
  auto add = [&](const torch::Tensor& part, double local, double global) {
    if (!part.defined() || local == 0) return;
    torch::Tensor t = local == global ? part : part * (local / global);
    loss = loss.defined() ? loss + t : t;
  };
  add(o.mlm_loss, local_mlm, global_mlm);
  add(o.nsp_loss, local_nsp, global_nsp);
  return loss;
}

nlohmann::json read_json_file(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw format_error(path.string(), 0, std::string("not JSON: ") + e.what());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Trainer

struct Trainer::Impl {
  PretrainOptions opt;
  TrainingArguments& args;
  fs::path out;
  torch::Device device{torch::kCPU};
  DistributedEnv env;                 // rank / world size from the launcher's environment
  std::unique_ptr<Distributed> dist;  // the process group (identity collectives in a single process)
  std::vector<torch::Tensor> params;  // the trainable tensors, in the optimizer's order (gradient all-reduce)

  std::unique_ptr<data::Dataset> dataset;
  data::DataSplit split;
  std::unique_ptr<data::Loader> train_loader, eval_loader;
  TokenizerFiles tokenizer;
  models::BertLM model{nullptr};
  std::unique_ptr<AdamW> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  std::unique_ptr<MetricsLog> metrics;
  TrainerState state;
  std::optional<fs::path> resume_from;

  int64_t total_steps = 0;
  int64_t updates_per_epoch = 0;
  int64_t flops_per_token = 0;  // HF's 6 * parameters (embeddings excluded)

  // Logging window (checkpointed so that a resumed run logs the same means).
  double window_loss = 0;
  int64_t window_steps = 0;
  int64_t window_tokens = 0, window_samples = 0;
  double window_seconds = 0;
  double session_loss_sum = 0;
  int64_t session_samples = 0;
  double prior_elapsed = 0;  // seconds of earlier sessions of this run
  Clock::time_point session_start;
  std::string last_checkpoint;
  int64_t last_saved_step = -1;
  nlohmann::json last_eval;
  nlohmann::json effective_config;                 // setup's options, logged and saved by start_output
  std::pair<int64_t, int64_t> param_counts{0, 0};  // parameters, of which in embeddings

  explicit Impl(PretrainOptions o) : opt(std::move(o)), args(opt.args), out(opt.args.output_dir) {}

  double elapsed() const { return prior_elapsed + seconds_between(session_start, Clock::now()); }
  double current_epoch() const {
    auto st = train_loader->state();
    double per = static_cast<double>(train_loader->batches_per_epoch());
    return static_cast<double>(st.epoch) + (per > 0 ? static_cast<double>(st.position) / per : 0.0);
  }

  void connect();
  void setup();
  void start_output();
  void load_tokenizer();
  void check_compatibility(const models::BertConfig& config, const std::string& config_source) const;
  void load_checkpoint(const fs::path& dir);
  void save_checkpoint();
  void write_checkpoint_files(int64_t step, const std::vector<std::string>& rng_states);
  nlohmann::json evaluate();
  void log_record(nlohmann::json record, bool to_history);
  nlohmann::json trainer_state_json();
  void save_final_model();
};

Trainer::Trainer(PretrainOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Trainer::~Trainer() = default;

// The tokenizer: --tokenizer, or else the copy `dataset build` keeps in <dataset>/tokenizer/. Loaded once
// to know its size and fingerprint; its files are what checkpoints and the final folder get.
void Trainer::Impl::load_tokenizer() {
  fs::path path = opt.tokenizer;
  if (path.empty()) {
    fs::path copy = dataset->file().parent_path() / data::kTokenizerCopyDir;
    std::error_code ec;
    if (!fs::is_directory(copy, ec))
      throw config_error(
          "tokenizer",
          fmt::format(
              "not given, and the dataset {} holds no copy of its tokenizer ({} is missing: a dataset "
              "built before bertforge kept one); pass --tokenizer DIR, the tokenizer the dataset was "
              "built with",
              opt.dataset, copy.string()));
    path = copy;
    opt.tokenizer = copy.string();  // the effective configuration names what was used
    log_info("no --tokenizer: using {}, the copy of the tokenizer the dataset was built with", copy.string());
  }
  tokenizer = find_tokenizer_files(path);
  tokenizer.path = path;
  Tokenizer tk = Tokenizer::load(path);
  tokenizer.vocab_size = static_cast<int64_t>(tk.vocab_size());
  tokenizer.fingerprint = tk.fingerprint();
}

void Trainer::Impl::check_compatibility(const models::BertConfig& config,
                                        const std::string& config_source) const {
  const auto& vocab = dataset->vocab();
  const std::string dataset_file = dataset->file().string();
  const std::string tok = tokenizer.path.string();
  if (static_cast<int64_t>(vocab.vocab_size) != tokenizer.vocab_size)
    throw config_error(
        "tokenizer",
        fmt::format("the dataset {} was built with a vocabulary of {} ids but the tokenizer {} has {}; "
                    "pass the tokenizer the dataset was built with (or leave --tokenizer out to use the "
                    "dataset's copy), or rebuild the dataset",
                    dataset_file, vocab.vocab_size, tok, tokenizer.vocab_size));
  if (vocab.fingerprint.empty()) {
    log_warn("the dataset {} records no tokenizer fingerprint: cannot check that {} is its tokenizer",
             dataset_file, tok);
  } else if (vocab.fingerprint != tokenizer.fingerprint) {
    throw config_error(
        "tokenizer",
        fmt::format("the tokenizer {} (fingerprint {}) is not the one the dataset {} was built with "
                    "(fingerprint {}): same vocabulary size, but other tokens or settings (lowercasing, "
                    "accents, special tokens), so the ids would mean other text. Pass the tokenizer given to "
                    "`dataset build` (or leave --tokenizer out to use the dataset's copy), or rebuild the "
                    "dataset with this tokenizer",
                    tok, tokenizer.fingerprint, dataset_file, vocab.fingerprint));
  }
  if (tokenizer.vocab_size > config.vocab_size)
    throw config_error(
        "vocab_size",
        fmt::format("the tokenizer {} has {} ids but the model config {} has vocab_size {}: set "
                    "\"vocab_size\": {} there",
                    tok, tokenizer.vocab_size, config_source, config.vocab_size, tokenizer.vocab_size));
  if (tokenizer.vocab_size < config.vocab_size)
    log_warn("vocab_size {} in {} is larger than the tokenizer's {} ids: {} embedding rows stay unused",
             config.vocab_size, config_source, tokenizer.vocab_size,
             config.vocab_size - tokenizer.vocab_size);
  int64_t block =
      dataset->metadata().value("build", nlohmann::json::object()).value("block_size", int64_t{0});
  if (block > config.max_position_embeddings)
    throw config_error(
        "max_position_embeddings",
        fmt::format("the dataset {} holds examples of up to {} tokens (block_size) but the model config {} "
                    "has max_position_embeddings {}; raise it there, or rebuild the dataset with "
                    "--block-size {}",
                    dataset_file, block, config_source, config.max_position_embeddings,
                    config.max_position_embeddings));
  if (dataset->has_nsp() && config.type_vocab_size < 2)
    throw config_error("type_vocab_size",
                       fmt::format("the dataset {} has sentence pairs (NSP) but the model config {} has "
                                   "type_vocab_size {}; it needs 2",
                                   dataset_file, config_source, config.type_vocab_size));
}

// The device, then the process group of a multi-process run (every rank must get here; see distributed.h).
void Trainer::Impl::connect() {
  session_start = Clock::now();
  env = DistributedEnv::from_environment();
  std::string dev = args.device;
  if (env.distributed() && dev == "cuda") dev = fmt::format("cuda:{}", env.local_rank);  // one GPU per rank
  try {
    device = torch::Device(dev);
  } catch (const c10::Error&) {
    throw config_error("device",
                       fmt::format("'{}' is not a device: use cpu, cuda or cuda:N (--device)", dev));
  }
  if (!device.is_cpu() && !device.is_cuda())
    throw config_error("device", fmt::format("'{}': bertforge trains on cpu or cuda[:N] (--device)", dev));
  if (device.is_cuda() && !torch::cuda::is_available())
    throw Error(ErrorKind::kUnsupported,
                fmt::format("--device {}: this LibTorch has no CUDA support{} or no GPU is visible; use "
                            "--device cpu, or build bertforge against a CUDA LibTorch (docs/distributed.md)",
                            dev, built_with_cuda() ? "" : " (Debian's libtorch is CPU-only)"));
  if (device.is_cuda() && device.has_index() &&
      device.index() >= static_cast<int>(torch::cuda::device_count()))
    throw config_error("device", fmt::format("--device {}: only {} CUDA device(s) visible", dev,
                                             torch::cuda::device_count()));
  DistributedOptions d;
  d.backend = args.ddp_backend;
  d.bucket_cap_mb = args.ddp_bucket_cap_mb;
  d.timeout_seconds = args.ddp_timeout;
  dist = Distributed::connect(env, d, device);
  if (!dist->is_main()) {
    // Rank 0 reports; the others only warn.
    if (log_level() < LogLevel::kWarn) set_log_level(LogLevel::kWarn);
    ProgressBar::set_enabled(false);
  }
}

void Trainer::Impl::setup() {
  resume_from = resolve_resume_checkpoint(args);
  opt.validate(resume_from.has_value());
  check_output_dir(args);  // before anything is written

  if (args.threads > 0) torch::set_num_threads(static_cast<int>(args.threads));
  // HF's set_seed(args.seed): dropout draws from the default generator (a resume restores its state). Rank r
  // > 0 gets its own stream, so that ranks do not drop out the same units of different examples.
  const uint64_t seed = static_cast<uint64_t>(args.seed);
  torch::manual_seed(dist->rank() == 0 ? seed
                                       : data::derive_seed({seed, static_cast<uint64_t>(dist->rank())}));

  // Inputs, and every mismatch between them, before touching output_dir.
  dataset = std::make_unique<data::Dataset>(opt.dataset);
  if (dataset->size() == 0) throw config_error("dataset", fmt::format("{} holds no example", opt.dataset));
  load_tokenizer();

  models::BertConfig config;
  std::string config_source;
  if (resume_from) {
    config_source = (*resume_from / io::kConfigFile).string();
  } else if (!opt.model.empty()) {
    config_source = (fs::path(opt.model) / io::kConfigFile).string();
  } else {
    config_source = opt.model_config;
  }
  config = models::BertConfig::load(config_source);
  check_compatibility(config, config_source);

  if (resume_from) {
    model = models::make_bert(config, models::BertArch::kPreTraining, static_cast<uint64_t>(args.seed));
    io::LoadOptions lo;
    lo.arch = models::BertArch::kPreTraining;
    lo.log_warnings = false;
    io::load_weights(*model, *resume_from, lo);
  } else if (!opt.model.empty()) {
    io::LoadOptions lo;
    lo.arch = models::BertArch::kPreTraining;
    lo.init_seed = static_cast<uint64_t>(args.seed);
    model = io::load_pretrained(opt.model, lo);
  } else {
    model = models::make_bert(config, models::BertArch::kPreTraining, static_cast<uint64_t>(args.seed));
  }
  model->to(device);
  auto counts = models::count_parameters(*model);
  flops_per_token = 6 * (counts.total - counts.embeddings);

  // Data: the held-out split and the loaders.
  split = data::split_examples(dataset->size(), args.eval_fraction, static_cast<uint64_t>(args.seed));
  if (split.train.empty()) throw config_error("eval_fraction", "leaves no training example");
  data::LoaderOptions lo;
  lo.batch_size = static_cast<uint32_t>(args.per_device_train_batch_size);
  lo.seed = static_cast<uint64_t>(args.seed);
  lo.rank = static_cast<uint32_t>(dist->rank());
  lo.world_size = static_cast<uint32_t>(dist->world_size());
  lo.shuffle = true;
  lo.drop_last = args.dataloader_drop_last;
  lo.group_by_length = opt.group_by_length;
  lo.masking.mlm_probability = opt.mlm_probability;
  lo.masking.whole_word_mask = opt.whole_word_mask;
  lo.masking.seed = static_cast<uint64_t>(args.seed);
  train_loader = std::make_unique<data::Loader>(*dataset, split.train, lo);
  if (train_loader->batches_per_epoch() == 0)
    throw config_error(
        "per_device_train_batch_size",
        fmt::format("{} training examples make no full batch of {} with --dataloader-drop-last",
                    split.train.size(), args.per_device_train_batch_size));
  if (!split.eval.empty()) {
    data::LoaderOptions el = lo;
    el.batch_size = static_cast<uint32_t>(args.per_device_eval_batch_size);
    el.shuffle = false;
    el.drop_last = false;
    el.group_by_length = false;
    el.rank = 0;
    el.world_size = 1;
    // Each rank evaluates every world_size-th held-out example (no padding repeats); sums are all-reduced.
    std::vector<uint64_t> mine;
    for (size_t i = static_cast<size_t>(dist->rank()); i < split.eval.size();
         i += static_cast<size_t>(dist->world_size()))
      mine.push_back(split.eval[i]);
    eval_loader = std::make_unique<data::Loader>(*dataset, std::move(mine), el);
  } else if (args.eval_fraction > 0) {
    log_warn("--eval-fraction {} of {} examples holds out none: no evaluation", args.eval_fraction,
             dataset->size());
  }

  // Steps, as HF: optimizer steps per epoch = batches // accumulation (at least 1).
  updates_per_epoch = std::max<int64_t>(
      1, static_cast<int64_t>(train_loader->batches_per_epoch()) / args.gradient_accumulation_steps);
  total_steps =
      args.max_steps > 0
          ? args.max_steps
          : static_cast<int64_t>(std::ceil(args.num_train_epochs * static_cast<double>(updates_per_epoch)));
  total_steps = std::max<int64_t>(total_steps, 1);
  schedule = std::make_unique<LrSchedule>(args.lr_scheduler_type, args.learning_rate,
                                          args.resolved_warmup_steps(total_steps), total_steps);
  AdamWOptions ao;
  ao.lr = args.learning_rate;
  ao.beta1 = args.adam_beta1;
  ao.beta2 = args.adam_beta2;
  ao.eps = args.adam_epsilon;
  ao.weight_decay = args.weight_decay;
  optimizer = std::make_unique<AdamW>(collect_parameters(*model), ao);
  for (const auto& p : optimizer->parameters()) params.push_back(p.tensor);

  state.max_steps = total_steps;
  state.logging_steps = args.logging_steps;
  state.eval_steps = args.resolved_eval_steps();
  state.save_steps = args.save_steps;
  state.train_batch_size = args.per_device_train_batch_size;
  state.num_train_epochs = args.num_train_epochs;
  if (resume_from) load_checkpoint(*resume_from);
  effective_config = opt.to_json();
  effective_config["model_config_resolved"] = config.to_json();
  param_counts = {counts.total, counts.embeddings};
}

// After every rank's setup succeeded: rank 0 prepares output_dir, everyone starts from rank 0's weights.
void Trainer::Impl::start_output() {
  if (dist->is_main()) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw io_error(out.string(), "cannot create output_dir: " + ec.message());
    int stale = remove_stale_temporaries(out);
    if (stale > 0)
      log_info("removed {} unfinished temporary file(s) of an interrupted run in {}", stale, out.string());
    if (!resume_from && args.overwrite_output_dir) {
      // A new run: checkpoints and metrics of an earlier run would mix with ours (and "latest" would pick
      // them).
      for (auto& c : list_checkpoints(out)) fs::remove_all(c.path, ec);
      fs::remove(out / "metrics.jsonl", ec);
    }
    metrics = std::make_unique<MetricsLog>(out / "metrics.jsonl", resume_from ? state.global_step : -1);
  }
  {
    // Identical on every rank already (same seed or the same files); the broadcast makes it a guarantee.
    torch::NoGradGuard no_grad;
    dist->broadcast(params);
  }

  nlohmann::json effective = effective_config;
  effective["total_steps"] = total_steps;
  effective["warmup_steps_resolved"] = schedule->warmup_steps();
  effective["train_examples"] = split.train.size();
  effective["eval_examples"] = split.eval.size();
  effective["threads_resolved"] = torch::get_num_threads();
  effective["world_size"] = dist->world_size();
  effective["ddp_backend_resolved"] = dist->backend();
  log_info("pretrain configuration: {}", effective.dump());
  if (dist->is_main()) write_file_atomic(out / "pretrain_config.json", effective.dump(2) + "\n");
  log_info(
      "model: {} parameters ({} in embeddings); {} training examples, {} held out; {} batches of {} per "
      "epoch, "
      "{} optimizer steps{}",
      param_counts.first, param_counts.second, split.train.size(), split.eval.size(),
      train_loader->batches_per_epoch(),
      dist->active()
          ? fmt::format("{} per rank x {} ranks", args.per_device_train_batch_size, dist->world_size())
          : std::to_string(args.per_device_train_batch_size),
      total_steps,
      resume_from ? fmt::format(", resuming at step {} from {}", state.global_step, resume_from->string())
                  : "");
}

void Trainer::Impl::load_checkpoint(const fs::path& dir) {
  state = TrainerState::from_json(read_json_file(dir / "trainer_state.json"),
                                  (dir / "trainer_state.json").string());
  state.max_steps = total_steps;
  optimizer->load_state(load_tensor_file(dir / "optimizer.safetensors"),
                        (dir / "optimizer.safetensors").string());
  nlohmann::json sched = read_json_file(dir / "scheduler.json");
  if (sched.value("num_training_steps", int64_t{0}) != total_steps ||
      sched.value("lr_scheduler_type", std::string()) != schedule->type())
    log_warn(
        "the checkpoint's schedule ({} over {} steps) differs from this run's ({} over {} steps): the "
        "learning "
        "rate follows this run's arguments",
        sched.value("lr_scheduler_type", std::string("?")), sched.value("num_training_steps", int64_t{0}),
        schedule->type(), total_steps);
  TensorFile rng = load_tensor_file(dir / "rng_state.safetensors");
  if (rng.tensors.find("torch_cpu_generator") == rng.tensors.end())
    throw format_error((dir / "rng_state.safetensors").string(), 0, "no torch_cpu_generator state");
  // Rank 0's states are "torch_cpu_generator" / "torch_cuda_generator" (a single-process checkpoint's), rank
  // r's carry ".rank<r>". A rank the checkpoint has no state for (a larger world size now) starts a fresh
  // stream: dropout then differs from an uninterrupted run, the rest does not.
  const std::string suffix = dist->rank() == 0 ? "" : fmt::format(".rank{}", dist->rank());
  auto cpu_it = rng.tensors.find("torch_cpu_generator" + suffix);
  if (cpu_it != rng.tensors.end()) {
    set_generator_state(torch::kCPU, cpu_it->second);
    auto cuda_it = rng.tensors.find("torch_cuda_generator" + suffix);
    if (device.is_cuda() && cuda_it != rng.tensors.end()) set_generator_state(device, cuda_it->second);
  } else {
    torch::manual_seed(
        data::derive_seed({static_cast<uint64_t>(args.seed), static_cast<uint64_t>(dist->rank()),
                           static_cast<uint64_t>(state.global_step)}));
    log_warn(
        "rank {}: {} holds no random state for this rank (saved by a run of fewer processes): dropout "
        "draws from a fresh stream",
        dist->rank(), dir.string());
  }
  nlohmann::json ds = read_json_file(dir / "data_state.json");
  try {
    if (ds.at("train_examples").get<uint64_t>() != split.train.size())
      throw config_error(
          "resume_from_checkpoint",
          fmt::format("{} was written for {} training examples, this run has {}; resume with the same "
                      "dataset and --eval-fraction",
                      dir.string(), ds.at("train_examples").get<uint64_t>(), split.train.size()));
    // The cursor is global: (epoch, examples of the epoch's global order given out). Rank r of W takes every
    // W-th example of that order, so global batch p of (batch B, world W) is order[p*B*W, (p+1)*B*W) for
    // any W: a different world size resumes at the same example when the global batch divides it.
    auto saved = data::LoaderState::from_json(ds.at("loader"));
    const uint64_t saved_world = ds.value("world_size", uint64_t{1});
    const uint64_t saved_batch = ds.at("batch_size").get<uint64_t>();
    const uint64_t saved_global = saved_batch * saved_world;
    const uint64_t global =
        static_cast<uint64_t>(args.per_device_train_batch_size) * static_cast<uint64_t>(dist->world_size());
    if (saved_world == static_cast<uint64_t>(dist->world_size()) &&
        saved_batch == static_cast<uint64_t>(args.per_device_train_batch_size)) {
      train_loader->seek(saved);
    } else {
      const uint64_t consumed = saved.position * saved_global;
      if (consumed % global != 0)
        throw config_error(
            "per_device_train_batch_size",
            fmt::format(
                "{} stopped after {} examples of epoch {} (global batch {} = {} x {} processes); this "
                "run's global batch {} = {} x {} does not divide that: choose a batch size so that "
                "per-device batch x world size divides {} (e.g. the saved global batch {})",
                dir.string(), consumed, saved.epoch, saved_global, saved_batch, saved_world, global,
                args.per_device_train_batch_size, dist->world_size(), consumed, saved_global));
      if (saved_global != global)
        log_warn(
            "the global batch changes from {} to {} examples on resume: the loss curve and the schedule's "
            "meaning change with it",
            saved_global, global);
      log_info("resuming a run of {} process(es) x batch {} with {} x {}: epoch {}, example {} of the epoch",
               saved_world, saved_batch, dist->world_size(), args.per_device_train_batch_size, saved.epoch,
               consumed);
      train_loader->seek({saved.epoch, consumed / global});
    }
  } catch (const nlohmann::json::exception& e) {
    throw format_error((dir / "data_state.json").string(), 0, e.what());
  }
  const auto& b = state.bertforge;
  window_loss = b.value("window_loss", 0.0);
  window_steps = b.value("window_steps", int64_t{0});
  window_tokens = b.value("window_tokens", int64_t{0});
  window_samples = b.value("window_samples", int64_t{0});
  window_seconds = b.value("window_seconds", 0.0);
  prior_elapsed = b.value("elapsed_seconds", 0.0);
  last_saved_step = state.global_step;
}

nlohmann::json Trainer::Impl::trainer_state_json() {
  state.bertforge = {{"window_loss", window_loss},       {"window_steps", window_steps},
                     {"window_tokens", window_tokens},   {"window_samples", window_samples},
                     {"window_seconds", window_seconds}, {"elapsed_seconds", elapsed()},
                     {"total_steps", total_steps}};
  return state.to_json();
}

void Trainer::Impl::save_checkpoint() {
  const int64_t step = state.global_step;
  auto t0 = Clock::now();
  // Every rank's generator states go to rank 0, which alone writes; the others wait for its verdict.
  std::vector<std::string> rng_states = dist->gather_strings(generator_states_bytes(device));
  if (!dist->is_main()) {
    dist->check_all_ok(true, fmt::format("writing checkpoint-{}", step));
    last_checkpoint = (out / fmt::format("{}{}", kCheckpointPrefix, step)).string();
    last_saved_step = step;
    return;
  }
  try {
    write_checkpoint_files(step, rng_states);
  } catch (...) {
    dist->check_all_ok(false, fmt::format("writing checkpoint-{}", step));
    throw;
  }
  dist->check_all_ok(true, fmt::format("writing checkpoint-{}", step));
  log_info("saved {} in {:.1f} s", last_checkpoint, seconds_between(t0, Clock::now()));
}

void Trainer::Impl::write_checkpoint_files(int64_t step, const std::vector<std::string>& rng_states) {
  nlohmann::json ts = trainer_state_json();
  fs::path path = write_checkpoint(out, step, [&](const fs::path& tmp) {
    io::write_model_files(*model, tmp);
    copy_tokenizer_files(tokenizer, tmp);
    save_tensor_file(tmp / "optimizer.safetensors", optimizer->state());
    write_file_atomic(tmp / "scheduler.json", schedule->to_json(step).dump(2) + "\n");
    TensorFile rng;
    for (size_t r = 0; r < rng_states.size(); ++r) {
      auto states = generator_states_from_bytes(rng_states[r]);
      const std::string suffix = r == 0 ? "" : fmt::format(".rank{}", r);
      if (!states.empty()) rng.tensors["torch_cpu_generator" + suffix] = states[0];
      if (states.size() > 1) rng.tensors["torch_cuda_generator" + suffix] = states[1];
    }
    rng.metadata["format"] = "bertforge-rng-1";
    rng.metadata["world_size"] = std::to_string(rng_states.size());
    save_tensor_file(tmp / "rng_state.safetensors", rng);
    nlohmann::json ds = {{"loader", train_loader->state().to_json()},
                         {"batches_per_epoch", train_loader->batches_per_epoch()},
                         {"train_examples", split.train.size()},
                         {"eval_examples", split.eval.size()},
                         {"batch_size", args.per_device_train_batch_size},
                         {"world_size", dist->world_size()},
                         {"global_batch_size", args.per_device_train_batch_size * dist->world_size()},
                         {"seed", args.seed}};
    write_file_atomic(tmp / "data_state.json", ds.dump(2) + "\n");
    write_file_atomic(tmp / "trainer_state.json", ts.dump(2) + "\n");
    write_file_atomic(tmp / "training_args.json", nlohmann::json(args).dump(2) + "\n");
  });
  last_checkpoint = path.string();
  last_saved_step = step;
  for (auto& gone : rotate_checkpoints(out, args.save_total_limit))
    log_debug("deleted old checkpoint {} (save_total_limit {})", gone.string(), args.save_total_limit);
}

nlohmann::json Trainer::Impl::evaluate() {
  auto t0 = Clock::now();
  torch::NoGradGuard no_grad;
  model->eval();
  eval_loader->seek({0, 0});  // same masks every evaluation: (seed, epoch 0, example)
  double loss_sum = 0;
  int64_t examples = 0, masked = 0, mlm_correct = 0, nsp_total = 0, nsp_correct = 0;
  data::Batch b;
  while (eval_loader->next(b)) {
    const int64_t B = static_cast<int64_t>(b.batch_size), T = static_cast<int64_t>(b.seq_len);
    auto ids = to_tensor(b.input_ids, B, T, device);
    auto tt = to_tensor(b.token_type_ids, B, T, device);
    auto am = to_tensor(b.attention_mask, B, T, device);
    auto labels = to_tensor(b.labels, B, T, device);
    torch::Tensor nsp;
    if (dataset->has_nsp()) nsp = to_tensor(b.next_sentence_label, B, 1, device).view({B});
    models::BertLMOutput o;
    {
      AutocastScope autocast(args.bf16, device);
      o = model->forward(ids, tt, am, labels, nsp, models::MlmHead::kMaskedOnly);
    }
    if (o.loss.defined()) {
      double l = o.loss.item<double>();
      if (std::isfinite(l)) loss_sum += l * static_cast<double>(B);  // HF: batch losses weighted by size
    }
    examples += B;
    if (o.masked_positions.defined() && o.masked_positions.numel() > 0) {
      auto gold = labels.reshape({-1}).index_select(0, o.masked_positions);
      mlm_correct += o.prediction_logits.argmax(-1).eq(gold).sum().item<int64_t>();
      masked += gold.numel();
    }
    if (nsp.defined()) {
      nsp_correct += o.seq_relationship_logits.argmax(-1).eq(nsp).sum().item<int64_t>();
      nsp_total += B;
    }
  }
  model->train();
  auto totals = dist->sum({loss_sum, static_cast<double>(examples), static_cast<double>(masked),
                           static_cast<double>(mlm_correct), static_cast<double>(nsp_total),
                           static_cast<double>(nsp_correct)});
  loss_sum = totals[0];
  examples = static_cast<int64_t>(totals[1]);
  masked = static_cast<int64_t>(totals[2]);
  mlm_correct = static_cast<int64_t>(totals[3]);
  nsp_total = static_cast<int64_t>(totals[4]);
  nsp_correct = static_cast<int64_t>(totals[5]);
  double secs = seconds_between(t0, Clock::now());
  nlohmann::json r = {{"eval_loss", examples ? loss_sum / static_cast<double>(examples) : 0.0},
                      {"eval_mlm_accuracy", masked ? static_cast<double>(mlm_correct) / masked : 0.0},
                      {"eval_runtime", secs},
                      {"eval_samples_per_second", secs > 0 ? examples / secs : 0.0},
                      {"eval_examples", examples},
                      {"eval_masked_tokens", masked}};
  if (nsp_total) r["eval_nsp_accuracy"] = static_cast<double>(nsp_correct) / nsp_total;
  return r;
}

void Trainer::Impl::log_record(nlohmann::json record, bool to_history) {
  if (to_history) {
    // HF's log_history keeps its own keys; the speed fields stay in metrics.jsonl.
    nlohmann::json h = nlohmann::json::object();
    for (auto& [k, v] : record.items())
      if (k != "tokens_per_second" && k != "samples_per_second" && k != "elapsed_seconds") h[k] = v;
    state.log_history.push_back(h);
  }
  if (metrics) metrics->append(record);  // rank 0 only
}

void Trainer::Impl::save_final_model() {
  if (!dist->is_main()) {
    dist->check_all_ok(true, "saving the final model");
    return;
  }
  try {
    io::write_model_files(*model, out);
    copy_tokenizer_files(tokenizer, out);
    write_file_atomic(out / "trainer_state.json", trainer_state_json().dump(2) + "\n");
    write_file_atomic(out / "training_args.json", nlohmann::json(args).dump(2) + "\n");
    write_training_curves_svg(out / "training_curves.svg", MetricsLog::read(out / "metrics.jsonl"),
                              fmt::format("bertforge pretrain — {}", out.filename().string()));
  } catch (...) {
    dist->check_all_ok(false, "saving the final model");
    throw;
  }
  dist->check_all_ok(true, "saving the final model");
  log_info("saved the model to {} (config.json, model.safetensors, tokenizer files)", out.string());
}

TrainResult Trainer::train(const std::atomic<int>* stop_request) {
  Impl& m = *impl_;
  m.connect();
  try {
    m.setup();
  } catch (...) {
    m.dist->check_all_ok(false, "setup");  // tell the other ranks instead of leaving them waiting
    throw;
  }
  m.dist->check_all_ok(true, "setup");
  m.start_output();
  const auto& args = m.args;
  TrainResult result;
  const int64_t start_step = m.state.global_step;
  const int64_t ga = args.gradient_accumulation_steps;
  const int64_t eval_every = args.resolved_eval_steps();
  const bool has_nsp = m.dataset->has_nsp();
  const models::MlmHead head = m.opt.full_mlm_head ? models::MlmHead::kFull : models::MlmHead::kMaskedOnly;
  const double budget_seconds = args.max_minutes * 60.0;

  m.model->train();
  m.optimizer->zero_grad();
  ProgressBar bar("pretrain", static_cast<uint64_t>(std::max<int64_t>(0, m.total_steps - start_step)),
                  "steps");
  auto window_start = Clock::now();
  double grad_norm = 0;

  while (m.state.global_step < m.total_steps) {
    // ---- one optimizer step: `ga` micro-batches, their gradients summed ----
    double step_loss = 0;
    int64_t step_tokens = 0, step_samples = 0, step_inputs = 0;
    // The micro-batches of this step and their MLM / NSP label counts, summed over the ranks first: each
    // rank's loss is its share of the mean over the GLOBAL batch (see loss_share), so the world size does
    // not change the math.
    std::vector<data::Batch> micro_batches(static_cast<size_t>(ga));
    std::vector<double> local_counts(static_cast<size_t>(2 * ga), 0.0);
    for (int64_t micro = 0; micro < ga; ++micro) {
      data::Batch& b = micro_batches[static_cast<size_t>(micro)];
      while (!m.train_loader->next(b)) {
        // End of an epoch: the loader moved to the next one; accumulation carries across.
      }
      local_counts[static_cast<size_t>(2 * micro)] = static_cast<double>(count_labels(b.labels));
      if (has_nsp)
        local_counts[static_cast<size_t>(2 * micro + 1)] =
            static_cast<double>(count_labels(b.next_sentence_label));
    }
    const std::vector<double> global_counts = m.dist->sum(local_counts);
    for (int64_t micro = 0; micro < ga; ++micro) {
      const data::Batch& b = micro_batches[static_cast<size_t>(micro)];
      const size_t c = static_cast<size_t>(2 * micro);
      const int64_t B = static_cast<int64_t>(b.batch_size), T = static_cast<int64_t>(b.seq_len);
      auto ids = to_tensor(b.input_ids, B, T, m.device);
      auto tt = to_tensor(b.token_type_ids, B, T, m.device);
      auto am = to_tensor(b.attention_mask, B, T, m.device);
      auto labels = to_tensor(b.labels, B, T, m.device);
      torch::Tensor nsp;
      if (has_nsp) nsp = to_tensor(b.next_sentence_label, B, 1, m.device).view({B});
      models::BertLMOutput o;
      {
        AutocastScope autocast(args.bf16, m.device);
        o = m.model->forward(ids, tt, am, labels, nsp, head);
      }
      torch::Tensor loss =
          loss_share(o, local_counts[c], global_counts[c], local_counts[c + 1], global_counts[c + 1]);
      if (loss.defined()) {  // undefined: nothing of this micro-batch is labelled on this rank
        if (ga > 1) loss = loss / static_cast<double>(ga);
        loss.backward();
        step_loss += loss.item<double>();
      }
      int64_t tokens = 0;
      for (int64_t v : b.attention_mask) tokens += v;
      step_tokens += tokens;
      step_samples += B;
      step_inputs += B * T;
    }
    if (m.dist->active()) {
      m.dist->all_reduce_gradients(m.params);
      auto totals = m.dist->sum({step_loss, static_cast<double>(step_tokens),
                                 static_cast<double>(step_samples), static_cast<double>(step_inputs)});
      step_loss = totals[0];
      step_tokens = static_cast<int64_t>(totals[1]);
      step_samples = static_cast<int64_t>(totals[2]);
      step_inputs = static_cast<int64_t>(totals[3]);
    }
    grad_norm = m.optimizer->clip_grad_norm(args.max_grad_norm);
    const int64_t step = m.state.global_step + 1;
    if (!std::isfinite(step_loss) || !std::isfinite(grad_norm))
      throw Error(
          ErrorKind::kConfig,
          fmt::format(
              "the {} became {} at step {} ({} {}): training stopped before updating the weights; the "
              "last good checkpoint is {}. Lower --learning-rate, keep --max-grad-norm on, or add "
              "--warmup-steps",
              std::isfinite(step_loss) ? "gradient norm" : "loss",
              std::isfinite(step_loss) ? grad_norm : step_loss, step,
              std::isfinite(step_loss) ? "loss" : "gradient norm",
              std::isfinite(step_loss) ? step_loss : grad_norm,
              m.last_checkpoint.empty() ? std::string("(none yet)") : m.last_checkpoint));
    m.optimizer->set_lr(m.schedule->lr(m.state.global_step));
    m.optimizer->step();
    m.optimizer->zero_grad();
    m.state.global_step = step;
    m.state.epoch = m.current_epoch();
    m.state.total_flos += static_cast<double>(m.flops_per_token) * static_cast<double>(step_tokens);
    m.state.num_input_tokens_seen += step_inputs;
    m.window_loss += step_loss;
    m.window_steps += 1;
    m.window_tokens += step_tokens;
    m.window_samples += step_samples;
    m.session_loss_sum += step_loss;
    m.session_samples += step_samples;
    result.steps_this_session += 1;
    const double lr_now = m.schedule->lr(step);  // HF logs the scheduler's rate after its step

    // ---- logging ----
    bool log_now =
        step % args.logging_steps == 0 || (args.logging_first_step && step == 1) || step == m.total_steps;
    if (log_now && m.window_steps > 0) {
      auto now = Clock::now();
      double secs = m.window_seconds + seconds_between(window_start, now);
      nlohmann::json rec = {{"step", step},
                            {"epoch", m.state.epoch},
                            {"loss", m.window_loss / static_cast<double>(m.window_steps)},
                            {"learning_rate", lr_now},
                            {"grad_norm", grad_norm},
                            {"tokens_per_second", secs > 0 ? m.window_tokens / secs : 0.0},
                            {"samples_per_second", secs > 0 ? m.window_samples / secs : 0.0},
                            {"elapsed_seconds", m.elapsed()}};
      m.log_record(rec, true);
      if (!stderr_is_terminal())
        log_info("step {}/{} loss {:.4f} lr {:.3g} grad_norm {:.3f} {:.0f} tokens/s", step, m.total_steps,
                 rec["loss"].get<double>(), lr_now, grad_norm, rec["tokens_per_second"].get<double>());
      bar.set_message(fmt::format("step {}/{} loss {:.4f} lr {:.2e} {:.0f} tok/s", step, m.total_steps,
                                  rec["loss"].get<double>(), lr_now, rec["tokens_per_second"].get<double>()));
      m.window_loss = 0;
      m.window_steps = 0;
      m.window_tokens = 0;
      m.window_samples = 0;
      m.window_seconds = 0;
      window_start = Clock::now();
    }
    // ---- evaluation ----
    if (m.eval_loader && (step % eval_every == 0 || step == m.total_steps)) {
      nlohmann::json ev = m.evaluate();
      nlohmann::json rec = {{"step", step}, {"epoch", m.state.epoch}};
      for (auto& [k, v] : ev.items()) rec[k] = v;
      rec["elapsed_seconds"] = m.elapsed();
      m.log_record(rec, true);
      m.last_eval = ev;
      log_info("eval at step {}: loss {:.4f}, MLM accuracy {:.4f}{}", step, ev["eval_loss"].get<double>(),
               ev["eval_mlm_accuracy"].get<double>(),
               ev.contains("eval_nsp_accuracy")
                   ? fmt::format(", NSP accuracy {:.4f}", ev["eval_nsp_accuracy"].get<double>())
                   : "");
      window_start = Clock::now();  // evaluation time does not count as training throughput
    }
    bar.advance();

    // ---- checkpoints, stop requests ----
    if (args.save_steps > 0 && step % args.save_steps == 0) m.save_checkpoint();
    int sig = stop_request ? stop_request->load() : 0;
    bool over_budget = budget_seconds > 0 &&
                       seconds_between(m.session_start, Clock::now()) >= budget_seconds &&
                       step < m.total_steps;
    if (m.dist->active()) {
      // A signal or the time budget seen by any rank stops all of them at this same step.
      auto agreed = m.dist->max({static_cast<double>(sig), over_budget ? 1.0 : 0.0});
      sig = static_cast<int>(agreed[0]);
      over_budget = agreed[1] > 0;
    }
    if (sig != 0) {
      // Keep the window's partial time so the resumed run's first log covers the same steps.
      m.window_seconds += seconds_between(window_start, Clock::now());
      if (m.last_saved_step != step) m.save_checkpoint();
      bar.finish();
      log_warn("stopped by signal {} after step {}; resume with --resume-from-checkpoint latest", sig, step);
      result.stop_signal = sig;
      break;
    }
    if (over_budget) {
      log_warn("time budget of {} minutes reached after step {} of {}: saving and stopping", args.max_minutes,
               step, m.total_steps);
      result.time_budget_reached = true;
      break;
    }
  }
  bar.finish();

  result.global_step = m.state.global_step;
  result.epoch = m.state.epoch;
  result.runtime_seconds = seconds_between(m.session_start, Clock::now());
  result.train_loss = result.steps_this_session ? m.session_loss_sum / result.steps_this_session : 0.0;
  result.last_eval = m.last_eval;
  if (result.stop_signal == 0) {
    if (m.last_saved_step != m.state.global_step) m.save_checkpoint();
    nlohmann::json summary = {
        {"step", m.state.global_step},
        {"epoch", m.state.epoch},
        {"train_runtime", result.runtime_seconds},
        {"train_loss", result.train_loss},
        {"train_samples_per_second",
         result.runtime_seconds > 0 ? m.session_samples / result.runtime_seconds : 0.0},
        {"train_steps_per_second",
         result.runtime_seconds > 0 ? result.steps_this_session / result.runtime_seconds : 0.0},
        {"total_flos", m.state.total_flos}};
    m.state.log_history.push_back(summary);
    m.save_final_model();
  }
  result.last_checkpoint = m.last_checkpoint;
  return result;
}

}  // namespace bertforge::training
