// bench/bench_dataset_build.cpp — `bertforge dataset build` throughput and memory against the seed's Python
// algorithm (tests/reference/nsp_reference.py, a port of HF's TextDatasetForNextSentencePrediction).
//
//   build/bench/bench_dataset_build [--size-mb N] [--corpus FILE] [--tokenizer DIR] [--threads 2]
//                                   [--python-max-mb 200] [--work DIR] [--keep]
//
// 1. Corpus: --corpus FILE, else demo-output/corpus.txt when present, else generated text; when --size-mb
//    is given the corpus is grown to that size by concatenating its documents in shuffled order.
// 2. Tokenizer: --tokenizer DIR, else a WordPiece vocab of 20000 (the seed's size) trained on the first
//    20 MB of the corpus.
// 3. Runs the real CLI (`bertforge dataset build`) as a child process: wall time, MB/s of corpus
// (tokenization
//    included) and the child's peak RSS (wait4), compared with the token ids' size and the dataset's size.
// 4. Python reference on the same token ids (written by this program, one sentence a line), when the corpus
// is
//    at most --python-max-mb: its time (reading ids + examples + pickle cache; NO tokenization, which the
//    seed does in Python too and would make it much slower), its peak RSS and its cache size. Prints ratios.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "corpus/corpus_reader.h"
#include "data/format.h"
#include "data/rng.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/wordpiece_trainer.h"

namespace fs = std::filesystem;
using bertforge::data::Rng;

namespace {

// A plausible Korean/English corpus: a Zipf-like lexicon of Hangul words with particles, English words,
// numbers; sentences of 4-24 words; documents of 1-30 sentences.
struct Lexicon {
  std::vector<std::string> words;
  explicit Lexicon(Rng& rng) {
    std::vector<char32_t> syllables;
    for (int i = 0; i < 900; ++i) syllables.push_back(0xAC00 + static_cast<char32_t>(rng.below(11172)));
    const char* particles[] = {"은", "는", "이", "가", "을", "를", "에서", "의", "에", "으로", "와", "도"};
    auto utf8 = [](std::string& s, char32_t cp) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    };
    for (int i = 0; i < 60000; ++i) {
      std::string w;
      if (rng.uniform() < 0.8) {
        int n = static_cast<int>(1 + rng.below(4));
        // Skew syllable choice so some are much more common.
        for (int k = 0; k < n; ++k) utf8(w, syllables[static_cast<size_t>(900 * std::pow(rng.uniform(), 2))]);
        if (rng.uniform() < 0.5) w += particles[rng.below(12)];
      } else {
        int n = static_cast<int>(2 + rng.below(8));
        for (int k = 0; k < n; ++k)
          w += static_cast<char>('a' + static_cast<int>(26 * std::pow(rng.uniform(), 1.5)));
        if (rng.uniform() < 0.15) w[0] = static_cast<char>(w[0] - 32);
      }
      words.push_back(w);
    }
  }
  const std::string& pick(Rng& rng) const {
    return words[static_cast<size_t>(words.size() * std::pow(rng.uniform(), 3))];
  }
};

std::string generated_document(const Lexicon& lex, Rng& rng) {
  std::string doc;
  int sentences = static_cast<int>(1 + std::min<uint64_t>(29, rng.below(6) + rng.below(6) * rng.below(5)));
  for (int s = 0; s < sentences; ++s) {
    int words = static_cast<int>(4 + rng.below(21));
    for (int w = 0; w < words; ++w) {
      if (w) doc += ' ';
      if (rng.uniform() < 0.03)
        doc += std::to_string(rng.below(3000));
      else
        doc += lex.pick(rng);
      if (w + 1 < words && rng.uniform() < 0.05) doc += ',';
    }
    const char* ends[] = {".", ".", ".", "?", "!"};
    doc += ends[rng.below(5)];
    doc += '\n';
  }
  return doc;
}

// Documents of an existing corpus (text with the trailing blank line), for shuffled concatenation.
std::vector<std::string> read_documents(const fs::path& corpus) {
  bertforge::CorpusReader reader({corpus});
  std::vector<std::string> docs, sentences;
  while (reader.next(sentences)) {
    std::string d;
    for (const auto& s : sentences) d += s + "\n";
    docs.push_back(std::move(d));
  }
  return docs;
}

void make_corpus(const fs::path& out, uint64_t target_bytes, const fs::path& base) {
  Rng rng(12345);
  std::ofstream f(out, std::ios::binary);
  uint64_t written = 0;
  if (!base.empty()) {
    std::vector<std::string> docs = read_documents(base);
    if (docs.empty()) throw std::runtime_error("base corpus has no documents");
    std::vector<size_t> order(docs.size());
    while (written < target_bytes) {
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
      for (size_t i : order) {
        f << docs[i] << '\n';
        written += docs[i].size() + 1;
        if (written >= target_bytes) break;
      }
    }
    return;
  }
  Lexicon lex(rng);
  while (written < target_bytes) {
    std::string d = generated_document(lex, rng);
    f << d << '\n';
    written += d.size() + 1;
  }
}

fs::path train_tokenizer(const fs::path& corpus, const fs::path& dir) {
  // Train on the first 20 MB (a sample file) so the bench does not spend its time training.
  fs::path sample = dir / "sample.txt";
  {
    std::ifstream in(corpus, std::ios::binary);
    std::ofstream out(sample, std::ios::binary);
    std::string line;
    uint64_t n = 0;
    while (n < (20ull << 20) && std::getline(in, line)) {
      out << line << '\n';
      n += line.size() + 1;
    }
  }
  bertforge::WordPieceTrainerOptions o;
  o.vocab_size = 20000;
  bertforge::WordCounts counts = bertforge::count_words_in_files({sample}, o);
  bertforge::WordPieceTrainResult r = bertforge::WordPieceTrainer(o).train(counts);
  bertforge::TokenizerSettings settings;
  settings.normalizer = o.normalizer;
  bertforge::Tokenizer tok = bertforge::Tokenizer::from_vocab(r.vocab, settings);
  fs::path tdir = dir / "tokenizer";
  fs::create_directories(tdir);
  tok.save(tdir);
  fs::remove(sample);
  return tdir;
}

struct ChildRun {
  int status = -1;
  double seconds = 0;
  uint64_t peak_rss = 0;
  double cpu_seconds = 0;  // user + system: what the run cost when the machine is shared
};

ChildRun run_child(const std::vector<std::string>& argv, const fs::path& stdout_file) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::freopen(stdout_file.c_str(), "w", stdout);
    (void)f;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ChildRun r;
  struct rusage ru {};
  ::wait4(pid, &r.status, 0, &ru);
  r.cpu_seconds =
      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss = static_cast<uint64_t>(ru.ru_maxrss) * 1024;
  return r;
}

// One sentence a line as ids, blank line between documents: the Python port's input.
uint64_t write_ids(const fs::path& corpus, const fs::path& tokenizer, const fs::path& out) {
  bertforge::Tokenizer tok = bertforge::Tokenizer::load(tokenizer);
  bertforge::CorpusReader reader({corpus});
  std::ofstream f(out);
  std::vector<std::string> sentences;
  std::vector<uint32_t> ids;
  uint64_t tokens = 0;
  std::string line;
  while (reader.next(sentences)) {
    for (const auto& s : sentences) {
      ids.clear();
      tok.encode_ids(s, ids);
      line.clear();
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i) line += ' ';
        line += std::to_string(ids[i]);
      }
      tokens += ids.size();
      f << line << '\n';
    }
    f << '\n';
  }
  return tokens;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t size_mb = 0, python_max_mb = 200;
  unsigned threads = 2;
  fs::path corpus, tokenizer, work;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--size-mb")
      size_mb = std::stoull(val());
    else if (a == "--corpus")
      corpus = val();
    else if (a == "--tokenizer")
      tokenizer = val();
    else if (a == "--threads")
      threads = static_cast<unsigned>(std::stoul(val()));
    else if (a == "--python-max-mb")
      python_max_mb = std::stoull(val());
    else if (a == "--work")
      work = val();
    else if (a == "--keep")
      keep = true;
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  const fs::path src = BERTFORGE_SOURCE_DIR;
  const fs::path cli = fs::path(BERTFORGE_SOURCE_DIR) / "build" / "bertforge";
  if (work.empty()) work = fs::temp_directory_path() / fmt::format("bench-dataset-{}", ::getpid());
  fs::create_directories(work);

  fs::path base = corpus;
  if (base.empty() && fs::exists(src / "demo-output" / "corpus.txt"))
    base = src / "demo-output" / "corpus.txt";
  fs::path used = base;
  if (base.empty() || size_mb > 0) {
    used = work / "corpus.txt";
    uint64_t target = (size_mb ? size_mb : 50) << 20;
    std::cerr << fmt::format("generating {} corpus {} ...\n",
                             base.empty() ? "synthetic" : "shuffled-documents", used.string());
    make_corpus(used, target, base);
  }
  const uint64_t corpus_bytes = fs::file_size(used);
  if (tokenizer.empty()) {
    std::cerr << "training a 20000-token WordPiece vocab on the first 20 MB ...\n";
    tokenizer = train_tokenizer(used, work);
  }

  // bertforge, the real CLI.
  fs::path out = work / "dataset";
  fs::remove_all(out);
  ChildRun ours =
      run_child({cli.string(), "-q", "dataset", "build", "--corpus", used.string(), "--tokenizer",
                 tokenizer.string(), "--output", out.string(), "--threads", std::to_string(threads)},
                work / "build.out");
  if (!WIFEXITED(ours.status) || WEXITSTATUS(ours.status) != 0) {
    std::cerr << "dataset build failed\n";
    return 1;
  }
  // The CLI's fixed cost: it links LibTorch, whose loading alone shows in the peak RSS.
  ChildRun idle = run_child({cli.string(), "--version"}, work / "version.out");
  bertforge::data::Dataset ds(out);
  // Token ids of the corpus (before the dupe factor and random-B copies), as counted by the build.
  uint64_t corpus_tokens = ds.metadata().at("corpus_stats").at("tokens").get<uint64_t>();
  uint64_t stored_tokens = ds.num_tokens();
  uint64_t dataset_bytes = ds.file_size();
  double mbps = corpus_bytes / 1e6 / ours.seconds;

  nlohmann::json report = {{"machine", "see docs/performance.md"},
                           {"corpus", used.string()},
                           {"corpus_mb", corpus_bytes / 1e6},
                           {"threads", threads},
                           {"examples", ds.size()},
                           {"stored_tokens", stored_tokens},
                           {"bertforge_seconds", ours.seconds},
                           {"bertforge_mb_per_s", mbps},
                           {"bertforge_cpu_seconds", ours.cpu_seconds},
                           {"bertforge_mb_per_cpu_s", corpus_bytes / 1e6 / ours.cpu_seconds},
                           {"bertforge_peak_rss_mb", ours.peak_rss / 1e6},
                           {"dataset_mb", dataset_bytes / 1e6},
                           {"dataset_bytes_per_token", static_cast<double>(dataset_bytes) / stored_tokens}};

  if (corpus_bytes <= (python_max_mb << 20)) {
    fs::path ids = work / "ids.txt";
    write_ids(used, tokenizer, ids);
    ChildRun py = run_child({"python3", (src / "tests/reference/nsp_reference.py").string(), "--ids",
                             ids.string(), "--block-size", "128", "--pickle", (work / "cache.pkl").string()},
                            work / "py.json");
    std::ifstream pj(work / "py.json");
    nlohmann::json pr = nlohmann::json::parse(pj);
    double py_seconds = pr["read_seconds"].get<double>() + pr["examples_seconds"].get<double>() +
                        pr["pickle_seconds"].get<double>();
    report["python_seconds_without_tokenization"] = py_seconds;
    report["python_process_seconds"] = py.seconds;
    report["python_cpu_seconds"] = py.cpu_seconds;
    report["python_peak_rss_mb"] = py.peak_rss / 1e6;
    report["python_examples"] = pr["examples"];
    report["python_cache_mb"] = pr["pickle_bytes"].get<double>() / 1e6;
    report["speedup_vs_python_without_its_tokenization"] = py_seconds / ours.seconds;
    report["rss_ratio_python_over_bertforge"] = static_cast<double>(py.peak_rss) / ours.peak_rss;
    report["cache_size_ratio_python_over_bertforge"] = pr["pickle_bytes"].get<double>() / dataset_bytes;
    fs::remove(ids);
    fs::remove(work / "cache.pkl");
  } else {
    report["python"] = fmt::format("not run: corpus above --python-max-mb {}", python_max_mb);
  }
  if (corpus_tokens > 0) {
    report["corpus_tokens"] = corpus_tokens;
    report["token_id_mb"] = corpus_tokens * 2 / 1e6;
    report["peak_rss_over_token_id_bytes"] = static_cast<double>(ours.peak_rss) / (corpus_tokens * 2.0);
    report["cli_baseline_rss_mb"] = idle.peak_rss / 1e6;
    report["peak_rss_above_baseline_over_token_id_bytes"] =
        (static_cast<double>(ours.peak_rss) - static_cast<double>(idle.peak_rss)) / (corpus_tokens * 2.0);
  }
  std::cout << report.dump(2) << std::endl;
  if (!keep) fs::remove_all(work);
  return 0;
}
