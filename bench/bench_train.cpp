// bench/bench_train.cpp — training throughput of `bertforge pretrain` (the real trainer: loader with dynamic
// masking and padding to the longest, BertForPreTraining with the MLM head at the masked positions, backward,
// clipping, AdamW, linear schedule) against the HF Trainer's inner loop in plain PyTorch
// (bench/train_reference.py: DataCollatorForLanguageModeling, the MLM head over every position, padded to
// the longest, torch.optim.AdamW, clip_grad_norm_, LambdaLR), on the same examples in the same batches.
//
//   build/bench/bench_train [--dataset DIR --tokenizer DIR] [--shapes tiny,small,base] [--steps N]
//                           [--warmup N] [--threads 2] [--batch 32] [--vocab 30522] [--group-by-length]
//                           [--no-python] [--keep DIR]
//
// Without --dataset it writes a synthetic NSP dataset (random ids, lengths as the NSP builder makes them on
// long documents: 90% fill the 128-token block, 10% are shorter) and a matching vocab.txt. With --dataset
// (e.g. demo-output/dataset from scripts/demo.sh) it uses those examples; the model's vocab_size stays
// --vocab. Per step: tokens/s = non-padding tokens / step time (ours from metrics.jsonl with logging_steps
// 1, the reference's own timer), and tokens per CPU-second (ours: the process's utime+stime sampled from
// /proc each time metrics.jsonl gains a line; the reference: time.process_time()). Medians over the steps
// after --warmup. Prints a table with ratio = bertforge / reference.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/format.h"
#include "data/loader.h"
#include "models/bert_config.h"
#include "tokenizers/tokenizer.h"

namespace fs = std::filesystem;
using bertforge::data::Batch;
using bertforge::data::Dataset;
using bertforge::data::Loader;
using bertforge::data::LoaderOptions;
using bertforge::models::BertConfig;

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  std::string name;
  int64_t hidden, layers, heads, intermediate;
  int steps, warmup;  // measured steps, steps before them (defaults; --steps / --warmup override)
};

struct Options {
  std::string dataset, tokenizer, shapes = "tiny,small,base", keep;
  int steps = 0, warmup = -1, threads = 2, batch = 32;
  int64_t vocab = 30522;
  bool group_by_length = false, python = true;
  uint64_t seed = 42;
};

struct StepStats {
  std::vector<double> tokens_per_s, tokens_per_cpu_s;
  double median_tps() const { return median(tokens_per_s); }
  double median_tpc() const { return median(tokens_per_cpu_s); }
  static double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  }
};

double cpu_seconds_of(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the command name start at field 3 (state); utime is field 14, stime field 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// A synthetic dataset + tokenizer folder with `vocab` ids: ids 0-4 are [PAD] [UNK] [CLS] [SEP] [MASK].
void write_synthetic(const fs::path& dir, int64_t vocab, int64_t examples, uint64_t seed) {
  fs::create_directories(dir / "tokenizer");
  fs::create_directories(dir / "dataset");
  {
    std::ofstream v(dir / "tokenizer" / "vocab.txt");
    v << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (int64_t i = 5; i < vocab; ++i) v << "w" << i << "\n";
  }
  bertforge::data::VocabInfo info;
  info.vocab_size = static_cast<uint32_t>(vocab);
  info.flags.assign(static_cast<size_t>(vocab), 0);
  for (int i = 0; i < 5; ++i) info.flags[i] = bertforge::data::kVocabSpecial;
  // The trainer checks that --tokenizer is the dataset's tokenizer by this fingerprint.
  info.fingerprint = bertforge::Tokenizer::load(dir / "tokenizer" / "vocab.txt").fingerprint();
  nlohmann::json meta = {{"build", {{"block_size", 128}, {"nsp", true}, {"synthetic", true}}},
                         {"vocab", info.ids_json()}};
  bertforge::data::DatasetWriter w(dir / "dataset" / bertforge::data::kDataFileName, info, meta, true);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> word(5, static_cast<uint32_t>(vocab - 1));
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<uint32_t> a, b;
  for (int64_t e = 0; e < examples; ++e) {
    // HF's NSP builder: target 125 tokens (block 128 minus 3 specials), a random shorter target 10% of the
    // time.
    size_t total = u(rng) < 0.1 ? 2 + static_cast<size_t>(u(rng) * 123) : 125;
    size_t len_a = 1 + static_cast<size_t>(u(rng) * static_cast<double>(total - 1));
    a.resize(len_a);
    b.resize(total - len_a);
    for (auto& x : a) x = word(rng);
    for (auto& x : b) x = word(rng);
    w.add(a.data(), a.size(), b.data(), b.size(), u(rng) < 0.5 ? 1 : 0);
  }
  std::ofstream(dir / "dataset" / bertforge::data::kMetaFileName) << w.finish().dump(2) << "\n";
}

// The first `steps` batches of the trainer's loader (same options as `pretrain` with eval_fraction 0),
// written as unmasked examples (JSON lines, in batch order) + the batch plan for train_reference.py.
// Returns the non-padding tokens of each batch.
std::vector<int64_t> export_batches(const Options& o, const fs::path& dataset_dir, int64_t tokenizer_vocab,
                                    int steps, const fs::path& examples_out, const fs::path& plan_out) {
  Dataset ds(dataset_dir);
  auto split = bertforge::data::split_examples(ds.size(), 0.0, o.seed);
  LoaderOptions lo;
  lo.batch_size = static_cast<uint32_t>(o.batch);
  lo.seed = o.seed;
  lo.shuffle = true;
  lo.group_by_length = o.group_by_length;
  lo.masking.seed = o.seed;
  Loader loader(ds, split.train, lo);
  std::ofstream ex(examples_out);
  nlohmann::json batches = nlohmann::json::array();
  std::vector<int64_t> tokens;
  std::vector<int64_t> ids, types;
  int64_t row = 0;
  Batch b;
  for (int s = 0; s < steps; ++s) {
    while (!loader.next(b)) {
    }
    nlohmann::json rows = nlohmann::json::array();
    int64_t t = 0;
    for (uint64_t idx : b.example_indices) {
      ds.assemble(idx, ids, types);
      int label = ds.example(idx).label;
      ex << nlohmann::json({{"input_ids", ids}, {"token_type_ids", types}, {"next_sentence_label", label}})
                .dump()
         << "\n";
      rows.push_back(row++);
      t += static_cast<int64_t>(ids.size());
    }
    batches.push_back(rows);
    tokens.push_back(t);
  }
  const auto& v = ds.vocab();
  std::vector<uint32_t> special;
  for (uint32_t i = 0; i < v.vocab_size; ++i)
    if (v.is_special(i)) special.push_back(i);
  nlohmann::json plan = {{"batches", batches},
                         {"mlm_probability", 0.15},
                         {"special",
                          {{"pad_id", v.pad_id},
                           {"mask_id", v.mask_id},
                           {"special_ids", special},
                           {"tokenizer_vocab_size", tokenizer_vocab}}}};
  std::ofstream(plan_out) << plan.dump() << "\n";
  return tokens;
}

fs::path self_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

// Runs `bertforge pretrain` for warmup + steps optimizer steps and samples its CPU time whenever a metrics
// line appears.
StepStats run_ours(const Options& o, const fs::path& work, const fs::path& dataset, const fs::path& tokenizer,
                   const fs::path& config, const std::vector<int64_t>& tokens, int warmup, int steps) {
  const fs::path cli = self_dir().parent_path() / "bertforge";
  const fs::path out = work / "ours";
  fs::remove_all(out);
  std::vector<std::string> args = {cli.string(),
                                   "pretrain",
                                   "--dataset",
                                   dataset.string(),
                                   "--tokenizer",
                                   tokenizer.string(),
                                   "--model-config",
                                   config.string(),
                                   "--output_dir",
                                   out.string(),
                                   "--max_steps",
                                   std::to_string(warmup + steps),
                                   "--per_device_train_batch_size",
                                   std::to_string(o.batch),
                                   "--logging_steps",
                                   "1",
                                   "--save_steps",
                                   "0",
                                   "--threads",
                                   std::to_string(o.threads),
                                   "--seed",
                                   std::to_string(o.seed),
                                   "--eval_fraction",
                                   "0"};
  if (o.group_by_length) args.push_back("--group_by_length");
  const fs::path log = work / "ours.log";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const fs::path metrics = out / "metrics.jsonl";
  std::vector<double> cpu_at_line;  // CPU seconds when line k appeared
  int status = 0;
  size_t seen = 0;
  double cpu_start = -1;
  while (true) {
    double cpu = cpu_seconds_of(pid);
    if (cpu_start < 0 && cpu >= 0) cpu_start = cpu;
    struct stat st {};
    if (::stat(metrics.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) != seen) {
      seen = static_cast<size_t>(st.st_size);
      size_t n = lines_of(read_text(metrics)).size();
      while (cpu_at_line.size() < n) cpu_at_line.push_back(cpu);
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print(stderr, "bertforge pretrain failed; log:\n{}\n", read_text(log));
    std::exit(1);
  }
  StepStats s;
  auto recs = lines_of(read_text(metrics));
  for (size_t k = 0; k < recs.size(); ++k) {
    auto j = nlohmann::json::parse(recs[k]);
    if (!j.contains("tokens_per_second")) continue;
    int64_t step = j["step"].get<int64_t>();
    if (step <= warmup || step > warmup + steps) continue;
    double tps = j["tokens_per_second"].get<double>();
    s.tokens_per_s.push_back(tps);
    if (k >= 1 && k < cpu_at_line.size()) {
      double dc = cpu_at_line[k] - cpu_at_line[k - 1];
      if (dc > 0)
        s.tokens_per_cpu_s.push_back(static_cast<double>(tokens[static_cast<size_t>(step - 1)]) / dc);
    }
  }
  if (o.keep.empty()) fs::remove_all(out);
  return s;
}

std::string find_python() {
  const char* env = std::getenv("BERTFORGE_PYTHON");
  for (std::string c :
       {std::string(env ? env : ""), std::string("/usr/bin/python3"), std::string("python3")}) {
    if (c.empty()) continue;
    if (std::system((c + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0) return c;
  }
  return "";
}

StepStats run_reference(const Options& o, const std::string& python, const fs::path& work,
                        const fs::path& config, const fs::path& examples, const fs::path& plan, int warmup,
                        int steps) {
  std::string cmd = fmt::format(
      "{} {}/bench/train_reference.py --config {} --examples {} --plan {} --steps {} --threads {} --seed {} "
      "2>{}",
      python, BERTFORGE_SOURCE_DIR, config.string(), examples.string(), plan.string(), warmup + steps,
      o.threads, o.seed, (work / "reference.log").string());
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  int rc = p ? pclose(p) : -1;
  StepStats s;
  if (rc != 0) {
    fmt::print(stderr, "train_reference.py failed:\n{}\n", read_text(work / "reference.log"));
    return s;
  }
  for (auto& line : lines_of(out)) {
    auto j = nlohmann::json::parse(line);
    if (!j.contains("step")) continue;
    if (j["step"].get<int>() <= warmup) continue;
    double tokens = j["tokens"].get<double>();
    s.tokens_per_s.push_back(tokens / j["seconds"].get<double>());
    double c = j["cpu_seconds"].get<double>();
    if (c > 0) s.tokens_per_cpu_s.push_back(tokens / c);
  }
  return s;
}

std::string fmt_num(double v) {
  return v > 0 ? fmt::format("{:.0f}", v) : std::string("-");
}
std::string fmt_ratio(double a, double b) {
  return a > 0 && b > 0 ? fmt::format("{:.2f}x", a / b) : std::string("-");
}

int usage() {
  fmt::print(stderr,
             "usage: bench_train [--dataset DIR --tokenizer DIR] [--shapes tiny,small,base] [--steps N] "
             "[--warmup N] [--threads 2] [--batch 32] [--vocab 30522] [--group-by-length] [--no-python] "
             "[--keep DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--dataset")
      o.dataset = value();
    else if (a == "--tokenizer")
      o.tokenizer = value();
    else if (a == "--shapes")
      o.shapes = value();
    else if (a == "--steps")
      o.steps = std::stoi(value());
    else if (a == "--warmup")
      o.warmup = std::stoi(value());
    else if (a == "--threads")
      o.threads = std::stoi(value());
    else if (a == "--batch")
      o.batch = std::stoi(value());
    else if (a == "--vocab")
      o.vocab = std::stoll(value());
    else if (a == "--group-by-length")
      o.group_by_length = true;
    else if (a == "--no-python")
      o.python = false;
    else if (a == "--keep")
      o.keep = value();
    else
      return usage();
  }
  if (o.dataset.empty() != o.tokenizer.empty()) return usage();

  fs::path work = o.keep.empty() ? fs::temp_directory_path() / fmt::format("bench_train_{}", ::getpid())
                                 : fs::path(o.keep);
  fs::create_directories(work);
  fs::path dataset = o.dataset, tokenizer = o.tokenizer;
  int64_t tokenizer_vocab = o.vocab;
  if (o.dataset.empty()) {
    write_synthetic(work / "synthetic", o.vocab, 4096, o.seed);
    dataset = work / "synthetic" / "dataset";
    tokenizer = work / "synthetic" / "tokenizer";
  } else {
    tokenizer_vocab = Dataset(dataset).vocab().vocab_size;
  }
  const std::string py = o.python ? find_python() : "";
  if (o.python && py.empty()) fmt::print(stderr, "no python3 with torch found: reference column skipped\n");

  const std::vector<Shape> all = {
      {"tiny", 128, 2, 2, 512, 10, 3}, {"small", 256, 4, 4, 1024, 6, 2}, {"base", 768, 12, 12, 3072, 2, 1}};
  {
    Dataset ds(dataset);
    fmt::print(
        "training step, batch {}, vocab {}, {} threads, data: {} ({} examples{}); medians over the "
        "measured steps\n",
        o.batch, o.vocab, o.threads, o.dataset.empty() ? "synthetic" : o.dataset, ds.size(),
        o.group_by_length ? ", group_by_length" : "");
  }
  fmt::print("{:<6} {:>5} {:>7} | {:>10} {:>10} {:>7} | {:>10} {:>10} {:>7}\n", "shape", "steps", "pad%",
             "ours tok/s", "ref tok/s", "ratio", "ours tok/cpu-s", "ref", "ratio");
  for (const auto& s : all) {
    if (o.shapes.find(s.name) == std::string::npos) continue;
    const int steps = o.steps > 0 ? o.steps : s.steps;
    const int warmup = o.warmup >= 0 ? o.warmup : s.warmup;
    BertConfig c;
    c.vocab_size = o.vocab;
    c.hidden_size = s.hidden;
    c.num_hidden_layers = s.layers;
    c.num_attention_heads = s.heads;
    c.intermediate_size = s.intermediate;
    const fs::path config = work / (s.name + "_config.json");
    c.save(config);
    const fs::path examples = work / (s.name + "_examples.jsonl"), plan = work / (s.name + "_plan.json");
    auto tokens = export_batches(o, dataset, tokenizer_vocab, warmup + steps, examples, plan);
    // Padding share of the measured batches (the reference pads each batch to its longest example too).
    double padded = 0, real = 0;
    {
      auto pj = nlohmann::json::parse(read_text(plan));
      auto ex = lines_of(read_text(examples));
      for (size_t k = static_cast<size_t>(warmup); k < pj["batches"].size(); ++k) {
        size_t longest = 0, n = 0;
        for (auto& r : pj["batches"][k]) {
          size_t len = nlohmann::json::parse(ex[r.get<size_t>()])["input_ids"].size();
          longest = std::max(longest, len);
          real += static_cast<double>(len);
          ++n;
        }
        padded += static_cast<double>(longest * n);
      }
    }
    auto ours = run_ours(o, work, dataset, tokenizer, config, tokens, warmup, steps);
    StepStats ref;
    if (!py.empty()) ref = run_reference(o, py, work, config, examples, plan, warmup, steps);
    fmt::print("{:<6} {:>5} {:>6.1f}% | {:>10} {:>10} {:>7} | {:>14} {:>10} {:>7}\n", s.name, steps,
               padded > 0 ? 100.0 * (1.0 - real / padded) : 0.0, fmt_num(ours.median_tps()),
               fmt_num(ref.median_tps()), fmt_ratio(ours.median_tps(), ref.median_tps()),
               fmt_num(ours.median_tpc()), fmt_num(ref.median_tpc()),
               fmt_ratio(ours.median_tpc(), ref.median_tpc()));
    std::fflush(stdout);
  }
  if (o.keep.empty()) fs::remove_all(work);
  return 0;
}
