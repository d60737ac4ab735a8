// bench/bench_line_reader.cpp — throughput of corpus/line_reader (and CorpusReader on top) against the
// obvious reference: std::getline on an ifstream plus text::utf8_find_invalid on each line.
//   build/bench/bench_line_reader CORPUS.txt [RUNS]
// Prints the median wall time of RUNS passes each, MB/s, and the ratio.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "corpus/corpus_reader.h"
#include "corpus/line_reader.h"
#include "text/utf8.h"

namespace {
template <typename F>
double median_seconds(int runs, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS.txt [RUNS]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  size_t lines_ref = 0, lines_ours = 0, docs = 0, bytes = 0;

  double ref = median_seconds(runs, [&] {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    lines_ref = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (bertforge::text::utf8_find_invalid(line) != std::string::npos) std::abort();
      ++lines_ref;
    }
  });
  double ours = median_seconds(runs, [&] {
    bertforge::LineReader r(path);
    std::string_view line;
    lines_ours = 0;
    while (r.next(line)) ++lines_ours;
    bytes = r.bytes_read();
  });
  double corpus = median_seconds(runs, [&] {
    bertforge::CorpusReader r({path});
    std::vector<std::string> doc;
    docs = 0;
    while (r.next(doc)) ++docs;
  });
  if (lines_ref != lines_ours) {
    std::fprintf(stderr, "line counts differ: %zu vs %zu\n", lines_ref, lines_ours);
    return 1;
  }
  double mb = bytes / 1e6;
  std::printf("input: %s, %.1f MB, %zu lines, %zu documents, median of %d runs\n", path.c_str(), mb,
              lines_ours, docs, runs);
  std::printf("std::getline + utf8_find_invalid: %7.3f s %7.1f MB/s\n", ref, mb / ref);
  std::printf("LineReader:                       %7.3f s %7.1f MB/s  (%.1fx)\n", ours, mb / ours, ref / ours);
  std::printf("CorpusReader (documents):         %7.3f s %7.1f MB/s\n", corpus, mb / corpus);
  return 0;
}
