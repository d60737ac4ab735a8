// bench/bench_model.cpp — forward+backward throughput of bertforge's BERT (LibTorch) against the
// plain-PyTorch reference (tests/reference/bert_reference.py, run in the same invocation), for the shapes of
// issue 4: tiny (128 hidden, 2 layers), small (256, 4), base (768, 12); vocab 20000, seq 128, batch 32, 2
// threads; the MLM head over all positions (HF) and only over the ~15% masked positions (bertforge's default
// in training).
//
//   build/bench/bench_model [--shapes tiny,small,base] [--steps N] [--threads 2] [--no-python]
// Prints tokens/s (median step) for both and the ratio bertforge / reference.
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "models/bert.h"

using namespace bertforge::models;

namespace {

struct Shape {
  std::string name;
  int64_t hidden, layers, heads, intermediate;
  int steps;  // measured steps (after one warm-up)
};

BertConfig config_of(const Shape& s) {
  BertConfig c;
  c.vocab_size = 20000;
  c.hidden_size = s.hidden;
  c.num_hidden_layers = s.layers;
  c.num_attention_heads = s.heads;
  c.intermediate_size = s.intermediate;
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double bench_cpp(const BertConfig& c, int64_t batch, int64_t seq, int steps, bool masked_only) {
  auto model = make_bert(c, BertArch::kPreTraining, 0);
  model->train();
  torch::manual_seed(0);
  auto ids = torch::randint(5, c.vocab_size, {batch, seq}, torch::kLong);
  auto labels = torch::full_like(ids, kIgnoreIndex);
  auto pick = torch::rand({batch, seq}) < 0.15;
  labels.masked_scatter_(pick, ids.masked_select(pick));
  auto nsp = torch::randint(0, 2, {batch}, torch::kLong);
  auto types = torch::zeros_like(ids), mask = torch::ones_like(ids);
  std::vector<double> times;
  for (int step = 0; step < steps + 1; ++step) {
    auto t0 = std::chrono::steady_clock::now();
    auto out =
        model->forward(ids, types, mask, labels, nsp, masked_only ? MlmHead::kMaskedOnly : MlmHead::kFull);
    out.loss.backward();
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step > 0) times.push_back(dt);
  }
  return batch * seq / median(times);
}

std::string find_python() {
  for (std::string c : {std::string(std::getenv("BERTFORGE_PYTHON") ? std::getenv("BERTFORGE_PYTHON") : ""),
                        std::string("/usr/bin/python3"), std::string("python3")}) {
    if (c.empty()) continue;
    if (std::system((c + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0) return c;
  }
  return "";
}

double bench_python(const std::string& python, const BertConfig& c, int64_t batch, int64_t seq, int steps,
                    bool masked_only, int threads) {
  const std::string cfg = "/tmp/bench_model_" + std::to_string(::getpid()) + ".json";
  std::ofstream(cfg) << c.to_json().dump();
  std::string cmd = fmt::format(
      "{} {}/tests/reference/bert_reference.py bench --config {} --batch {} --seq {} --steps {} "
      "--threads {}{}",
      python, BERTFORGE_SOURCE_DIR, cfg, batch, seq, steps, threads, masked_only ? " --masked-only" : "");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  int rc = p ? pclose(p) : -1;
  std::remove(cfg.c_str());
  if (rc != 0) return -1;
  return nlohmann::json::parse(out.substr(out.rfind('{')))["tokens_per_s"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  std::string shapes_arg = "tiny,small,base";
  int steps_override = 0, threads = 2;
  bool python = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--shapes" && i + 1 < argc)
      shapes_arg = argv[++i];
    else if (a == "--steps" && i + 1 < argc)
      steps_override = std::stoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = std::stoi(argv[++i]);
    else if (a == "--no-python")
      python = false;
    else {
      fmt::print(stderr,
                 "usage: bench_model [--shapes tiny,small,base] [--steps N] [--threads 2] [--no-python]\n");
      return 2;
    }
  }
  at::set_num_threads(threads);
  const std::vector<Shape> all = {
      {"tiny", 128, 2, 2, 512, 5}, {"small", 256, 4, 4, 1024, 3}, {"base", 768, 12, 12, 3072, 2}};
  const std::string py = python ? find_python() : "";
  if (python && py.empty()) fmt::print(stderr, "no python3 with torch found: reference column skipped\n");
  const int64_t batch = 32, seq = 128;
  fmt::print("BERT forward+backward, batch {} x seq {}, vocab 20000, {} threads (tokens/s, median step)\n",
             batch, seq, threads);
  fmt::print("{:<6} {:<12} {:>14} {:>14} {:>8}\n", "shape", "mlm head", "bertforge", "reference", "ratio");
  for (const auto& s : all) {
    if (shapes_arg.find(s.name) == std::string::npos) continue;
    const int steps = steps_override > 0 ? steps_override : s.steps;
    for (bool masked : {false, true}) {
      auto c = config_of(s);
      double ours = bench_cpp(c, batch, seq, steps, masked);
      double ref = py.empty() ? -1 : bench_python(py, c, batch, seq, steps, masked, threads);
      fmt::print("{:<6} {:<12} {:>14.0f} {:>14} {:>8}\n", s.name, masked ? "masked-only" : "full", ours,
                 ref > 0 ? fmt::format("{:.0f}", ref) : "-",
                 ref > 0 ? fmt::format("{:.2f}x", ours / ref) : "-");
      std::fflush(stdout);
    }
  }
  return 0;
}
