// bench/bench_fill_mask.cpp — `bertforge fill-mask` against transformers' fill-mask pipeline rebuilt in
// Python (tests/reference/fill_mask_reference.py: plain PyTorch, the same model folder), in one run:
//   cold start   process start -> model + tokenizer loaded -> first answer printed (CLI vs Python script),
//                with the part of it that is only loading LibTorch (`bertforge fill-mask --help`, which loads
//                the torch plug-in and stops) or `import torch`;
//   per query    one text at a time, and a batch of --batch texts, in-process (FillMask::run vs the Python
//                pipeline), next to a bare forward pass on the same ids (encoder + MLM head at the masks),
//                so the pipeline's own overhead (tokenize, pad, softmax/top-k, decode) shows.
// Queries: lines of --corpus (default demo-output/heldout.txt) with one word in the middle replaced by
// [MASK]. Medians; wall and CPU time (CPU = user + system of the process or of the child processes).
//
//   build/bench/bench_fill_mask --model demo-output/model [--corpus FILE] [--runs 5] [--queries 20]
//                               [--batch 32] [--threads 1] [--no-python]
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <torch/torch.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/model_dir.h"
#include "pipelines/fill_mask.h"
#include "tokenizers/tokenizer.h"

using namespace bertforge;
namespace fs = std::filesystem;

namespace {

struct Timing {
  double wall = 0, cpu = 0;  // seconds
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Timing median(const std::vector<Timing>& ts) {
  std::vector<double> w, c;
  for (const auto& t : ts) {
    w.push_back(t.wall);
    c.push_back(t.cpu);
  }
  return {median(w), median(c)};
}

double process_cpu() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double children_cpu() {
  rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command line (output discarded) and returns its wall time and its CPU time (children's rusage).
Timing run_timed(const std::string& cmd, bool* ok) {
  double c0 = children_cpu();
  auto t0 = std::chrono::steady_clock::now();
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  Timing t{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), children_cpu() - c0};
  if (rc != 0) *ok = false;
  return t;
}

Timing cold(const std::string& cmd, int runs, bool* ok) {
  std::vector<Timing> ts;
  run_timed(cmd, ok);  // page cache warm-up: cold start here means a new process, not a cold disk
  for (int i = 0; i < runs; ++i) ts.push_back(run_timed(cmd, ok));
  return median(ts);
}

template <typename F>
Timing in_process(F&& fn) {
  double c0 = process_cpu();
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), process_cpu() - c0};
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

// Lines of the corpus with 6..40 words, the middle word replaced by [MASK].
std::vector<std::string> make_queries(const fs::path& corpus, size_t n) {
  std::ifstream in(corpus);
  std::vector<std::string> out;
  for (std::string line; out.size() < n && std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 6 || w.size() > 40) continue;
    w[w.size() / 2] = "[MASK]";
    std::string q;
    for (const auto& x : w) q += (q.empty() ? "" : " ") + x;
    out.push_back(q);
  }
  return out;
}

// The forward pass alone, as FillMask::run does it (padded batch, MLM head at the [MASK] positions only).
void bare_forward(models::BertLM& model, const std::vector<std::vector<uint32_t>>& ids, uint32_t mask_id) {
  torch::NoGradGuard ng;
  int64_t B = static_cast<int64_t>(ids.size()), T = 0;
  for (const auto& e : ids) T = std::max<int64_t>(T, e.size());
  auto x = torch::zeros({B, T}, torch::kInt64), att = torch::zeros({B, T}, torch::kInt64);
  auto labels = torch::full({B, T}, models::kIgnoreIndex, torch::kInt64);
  for (int64_t b = 0; b < B; ++b)
    for (size_t t = 0; t < ids[b].size(); ++t) {
      x[b][t] = static_cast<int64_t>(ids[b][t]);
      att[b][t] = 1;
      if (ids[b][t] == mask_id) labels[b][t] = 0;
    }
  auto out = model->forward(x, torch::zeros_like(x), att, labels, {}, models::MlmHead::kMaskedOnly);
  (void)out.prediction_logits.sum().item<float>();
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, corpus = std::string(BERTFORGE_SOURCE_DIR) + "/demo-output/heldout.txt";
  int runs = 5, n_queries = 20, batch = 32, threads = 1;
  bool python = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model")
      model_dir = next();
    else if (a == "--corpus")
      corpus = next();
    else if (a == "--runs")
      runs = std::stoi(next());
    else if (a == "--queries")
      n_queries = std::stoi(next());
    else if (a == "--batch")
      batch = std::stoi(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--no-python")
      python = false;
    else {
      fmt::print(stderr,
                 "usage: bench_fill_mask --model DIR [--corpus FILE] [--runs 5] [--queries 20] [--batch 32] "
                 "[--threads 1] [--no-python]\n");
      return 2;
    }
  }
  if (model_dir.empty()) {
    fmt::print(stderr, "bench_fill_mask: --model DIR is required (e.g. demo-output/model)\n");
    return 2;
  }
  torch::set_num_threads(threads);
  auto queries = make_queries(corpus, std::max(n_queries, batch));
  if (queries.size() < static_cast<size_t>(std::max(n_queries, batch))) {
    fmt::print(stderr, "bench_fill_mask: {} gives only {} usable lines\n", corpus, queries.size());
    return 1;
  }
  const std::string py = python ? find_python() : "";
  if (python && py.empty()) fmt::print(stderr, "no python3 with torch: the reference column is skipped\n");

  // In-process: bertforge's pipeline.
  io::LoadOptions lo;
  lo.arch = models::BertArch::kMaskedLM;
  models::BertLM model = io::load_pretrained(model_dir, lo);
  Tokenizer tok = Tokenizer::load(model_dir);
  pipelines::FillMaskOptions fo;
  fo.batch_size = batch;
  pipelines::FillMask pipe(model, tok, fo);
  std::vector<std::vector<uint32_t>> ids;
  for (const auto& q : queries) ids.push_back(tok.encode(q).ids);
  std::vector<std::string> batch_texts(queries.begin(), queries.begin() + batch);
  std::vector<std::vector<uint32_t>> batch_ids(ids.begin(), ids.begin() + batch);

  pipe.run_one(queries[0]);  // warm-up
  bare_forward(model, {ids[0]}, tok.mask_id());
  std::vector<Timing> single, single_fwd, batched, batched_fwd;
  for (int i = 0; i < n_queries; ++i) {
    single.push_back(in_process([&] { pipe.run_one(queries[i]); }));
    single_fwd.push_back(in_process([&] { bare_forward(model, {ids[i]}, tok.mask_id()); }));
  }
  for (int r = 0; r < runs; ++r) {
    batched.push_back(in_process([&] { pipe.run(batch_texts); }));
    batched_fwd.push_back(in_process([&] { bare_forward(model, batch_ids, tok.mask_id()); }));
  }
  Timing s = median(single), sf = median(single_fwd), b = median(batched), bf = median(batched_fwd);

  // Cold start, both sides, as new processes.
  bool ok = true;
  const std::string cli = std::string(BERTFORGE_SOURCE_DIR) + "/build/bertforge";
  const std::string bin = fs::exists(cli) ? cli : "bertforge";
  Timing cold_cli = cold(fmt::format("{} fill-mask --threads {} --json --model {} {}", quote(bin), threads,
                                     quote(model_dir), quote(queries[0])),
                         runs, &ok);
  // `fill-mask --help` loads the LibTorch plug-in and stops: the start-up cost before any model work.
  Timing cold_version = cold(quote(bin) + " fill-mask --help", runs, &ok);
  if (!ok) {
    fmt::print(stderr, "bench_fill_mask: the CLI failed (is {} built?)\n", bin);
    return 1;
  }

  nlohmann::json ref;
  Timing cold_py, cold_import;
  if (!py.empty()) {
    const std::string ids_file =
        (fs::temp_directory_path() / fmt::format("bench_fill_mask_{}.json", getpid()));
    std::ofstream(ids_file) << nlohmann::json(ids).dump();
    const std::string script = std::string(BERTFORGE_SOURCE_DIR) + "/tests/reference/fill_mask_reference.py";
    cold_py = cold(fmt::format("{} {} cold --threads {} --model {} --ids {}", py, quote(script), threads,
                               quote(model_dir), quote(ids_file)),
                   runs, &ok);
    cold_import =
        cold(fmt::format("{} -c 'import torch; torch.set_num_threads({})'", py, threads), runs, &ok);
    std::string cmd =
        fmt::format("{} {} bench --threads {} --model {} --ids {} --queries {} --batch {} --reps {}", py,
                    quote(script), threads, quote(model_dir), quote(ids_file), n_queries, batch, runs);
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    int rc = p ? pclose(p) : -1;
    fs::remove(ids_file);
    if (rc != 0 || !ok || out.find('{') == std::string::npos) {
      fmt::print(stderr, "bench_fill_mask: the Python reference failed:\n{}\n", out);
      return 1;
    }
    ref = nlohmann::json::parse(out.substr(out.rfind('{')));
  }

  auto ms = [](double s) { return fmt::format("{:.1f}", s * 1e3); };
  auto ratio = [](double ref_s, double ours_s) {
    return ours_s > 0 ? fmt::format("{:.2f}x", ref_s / ours_s) : "-";
  };
  fmt::print(
      "fill-mask, model {} ({} layers, hidden {}, vocab {}), {} thread(s), medians ({} runs; {} single "
      "queries; batch of {})\n",
      model_dir, model->config().num_hidden_layers, model->config().hidden_size, model->config().vocab_size,
      threads, runs, n_queries, batch);
  fmt::print("{:<44} {:>11} {:>11} {:>11} {:>11} {:>9}\n", "", "ours wall", "ours CPU", "ref wall", "ref CPU",
             "ref/ours");
  auto row = [&](const std::string& name, Timing o, double rw, double rc) {
    fmt::print("{:<44} {:>8} ms {:>8} ms {:>8} ms {:>8} ms {:>9}\n", name, ms(o.wall), ms(o.cpu),
               py.empty() ? "-" : ms(rw), py.empty() ? "-" : ms(rc), py.empty() ? "-" : ratio(rw, o.wall));
  };
  row("cold start: process -> first answer", cold_cli, cold_py.wall, cold_py.cpu);
  row("  of which LibTorch load (fill-mask --help / import torch)", cold_version, cold_import.wall,
      cold_import.cpu);
  auto f = [&](const char* k) { return py.empty() ? 0.0 : ref[k].get<double>(); };
  row("one query", s, f("single_wall_s"), f("single_cpu_s"));
  row("  bare forward pass (same ids)", sf, f("single_forward_wall_s"), f("single_forward_cpu_s"));
  row(fmt::format("batch of {}", batch), b, f("batch_wall_s"), f("batch_cpu_s"));
  row("  bare forward pass (same ids)", bf, f("batch_forward_wall_s"), f("batch_forward_cpu_s"));
  fmt::print(
      "pipeline overhead over the bare forward (CPU): one query {:+.1f} ms ({:.0f}%), batch {:+.1f} ms "
      "({:.0f}%)\n",
      (s.cpu - sf.cpu) * 1e3, sf.cpu > 0 ? 100 * (s.cpu - sf.cpu) / sf.cpu : 0, (b.cpu - bf.cpu) * 1e3,
      bf.cpu > 0 ? 100 * (b.cpu - bf.cpu) / bf.cpu : 0);
  fmt::print("per query in a batch: ours {} ms wall, {} ms CPU\n", ms(b.wall / batch), ms(b.cpu / batch));
  return 0;
}
