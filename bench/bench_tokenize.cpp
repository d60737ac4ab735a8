// bench/bench_tokenize.cpp — encode throughput of bertforge's Tokenizer against HF's real `tokenizers`
// (npm binding, encodeBatch) on the same tokenizer.json and the same lines, one thread each and all threads
// each; medians of several passes; checks that both produce identical ids first.
//
//   build/bench/bench_tokenize [--corpus FILE] [--tokenizer tokenizer.json] [--repeat 5] [--min-mb 4]
//
// Without --corpus it uses demo-output/corpus.txt, else tests/data/tokenizer/ko_en_mixed.txt repeated to
// --min-mb MB. Without --tokenizer it trains one with HF (ref_tokenizer.js train, vocab 30000) on the corpus.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tokenizers/tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kSource = BERTFORGE_SOURCE_DIR;

std::string shared_reference() {
  for (const char* rel : {"/../shared/reference", "/../../shared/reference"}) {
    if (fs::exists(kSource + rel)) return kSource + rel;
  }
  return kSource + "/../shared/reference";
}

std::string q(const std::string& s) {
  return "'" + s + "'";
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) {
    std::fprintf(stderr, "command failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& data) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    lines.push_back(data.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Timing {
  double wall, cpu;  // medians over passes, seconds
};

template <typename F>
Timing median_seconds(int repeat, F&& f) {
  std::vector<double> wall, cpu;
  for (int r = 0; r < repeat; ++r) {
    auto s = std::chrono::steady_clock::now();
    double c = cpu_now();
    f();
    cpu.push_back(cpu_now() - c);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
  }
  return {median(wall), median(cpu)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus, tokenizer;
  int repeat = 5;
  double min_mb = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--corpus")
      corpus = argv[i + 1];
    else if (a == "--tokenizer")
      tokenizer = argv[i + 1];
    else if (a == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--min-mb")
      min_mb = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::string node_env = "TOKENIZERS_NODE_DIR=" + q(kSource + "/tests/reference/node") + " ";
  const fs::path work =
      fs::temp_directory_path() / ("bertforge_bench_tokenize_" + std::to_string(::getpid()));
  fs::create_directories(work);

  if (corpus.empty()) {
    if (fs::exists(kSource + "/demo-output/corpus.txt")) {
      corpus = kSource + "/demo-output/corpus.txt";
    } else {
      std::string base = bertforge::read_file(kSource + "/tests/data/tokenizer/ko_en_mixed.txt");
      std::string data;
      while (data.size() < min_mb * 1e6) data += base;
      corpus = (work / "corpus.txt").string();
      bertforge::write_file_atomic(corpus, data);
    }
  }
  if (tokenizer.empty()) {
    run_capture(node_env + "node " + q(shared_reference() + "/ref_tokenizer.js") + " train " + q(corpus) +
                " " + q((work / "hf").string()) + " > /dev/null");
    tokenizer = (work / "hf" / "tokenizer.json").string();
  }
  const std::vector<std::string> lines = split_lines(bertforge::read_file(corpus));
  size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();
  bertforge::Tokenizer tok = bertforge::Tokenizer::load(tokenizer);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf("corpus: %s (%zu lines, %.2f MB)\ntokenizer: %s (%zu tokens)\nmachine: %u hardware threads\n",
              corpus.c_str(), lines.size(), bytes / 1e6, tokenizer.c_str(), tok.vocab_size(), cores);

  // 1. Identical output: HF's ids for every line (ref_tokenizer.js encode, encodeBatch) against ours.
  const std::string ref_out = (work / "hf.jsonl").string();
  run_capture(node_env + "node " + q(shared_reference() + "/ref_tokenizer.js") + " encode " + q(tokenizer) +
              " " + q(corpus) + " " + q(ref_out) + " > /dev/null");
  const std::vector<std::string> ref_lines = split_lines(bertforge::read_file(ref_out));
  size_t mismatches = ref_lines.size() == lines.size() ? 0 : lines.size();
  uint64_t tokens = 0;
  for (size_t i = 0; i < ref_lines.size() && i < lines.size(); ++i) {
    auto ids = json::parse(ref_lines[i])["ids"].get<std::vector<uint32_t>>();
    auto ours = tok.encode(lines[i]).ids;
    tokens += ours.size();
    if (ids != ours && ++mismatches <= 3) std::printf("MISMATCH line %zu: %s\n", i + 1, lines[i].c_str());
  }
  std::printf("identical output: %s (%zu lines compared, %zu mismatches, %llu tokens)\n",
              mismatches == 0 ? "yes" : "NO", lines.size(), mismatches,
              static_cast<unsigned long long>(tokens));

  // 2. HF encodeBatch timings (batches of 8192 lines, as ref_tokenizer.js).
  auto hf_bench = [&](const std::string& env) {
    std::string out =
        run_capture(env + node_env + "node " + q(kSource + "/tests/reference/encode_ref.js") + " --bench " +
                    q(tokenizer) + " " + q(corpus) + " --repeat " + std::to_string(repeat));
    json j = json::parse(out);
    return Timing{median(j["passes_seconds"].get<std::vector<double>>()),
                  median(j["cpu_seconds"].get<std::vector<double>>())};
  };
  const Timing hf1 = hf_bench("TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 ");
  const Timing hfn = hf_bench("");

  // 3. Ours: encode_batch (full Encoding: tokens, offsets, masks) and the encode_ids dataset path.
  auto ours_batch = [&](unsigned threads) {
    return median_seconds(repeat, [&] {
      for (size_t i = 0; i < lines.size(); i += 8192) {
        std::vector<std::string> chunk(lines.begin() + i, lines.begin() + std::min(lines.size(), i + 8192));
        auto encs = tok.encode_batch(chunk, true, threads);
        if (encs.size() != chunk.size()) std::abort();
      }
    });
  };
  const Timing our1 = ours_batch(1);
  const Timing ourn = ours_batch(cores);
  std::vector<uint32_t> ids;
  const Timing ids1 = median_seconds(repeat, [&] {
    for (const auto& l : lines) {
      ids.clear();
      tok.encode_ids(l, ids);
    }
  });

  auto row = [&](const char* name, Timing t) {
    std::printf("  %-38s %8.3f s %7.2f MB/s %9.0f lines/s | cpu %8.3f s %7.2f MB/s\n", name, t.wall,
                bytes / 1e6 / t.wall, lines.size() / t.wall, t.cpu, bytes / 1e6 / t.cpu);
  };
  std::printf("median of %d passes (wall clock | process CPU time):\n", repeat);
  row("HF encodeBatch, 1 thread", hf1);
  row("bertforge encode_batch, 1 thread", our1);
  row("bertforge encode_ids, 1 thread", ids1);
  row("HF encodeBatch, all threads", hfn);
  row("bertforge encode_batch, all threads", ourn);
  std::printf(
      "ratio 1 thread (HF / bertforge): encode_batch %.1fx wall, %.1fx cpu; encode_ids %.1fx wall, %.1fx "
      "cpu\n",
      hf1.wall / our1.wall, hf1.cpu / our1.cpu, hf1.wall / ids1.wall, hf1.cpu / ids1.cpu);
  std::printf("ratio all threads: encode_batch %.1fx wall\n", hfn.wall / ourn.wall);
  std::error_code ec;
  fs::remove_all(work, ec);
  return mismatches == 0 ? 0 : 1;
}
