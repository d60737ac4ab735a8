// bench/gen_scale_corpus.cpp — makes a large corpus.txt (many GB) for the scale run (bench/scale.sh,
// docs/performance.md "Scale") out of a small real one, without it being N verbatim copies.
//
//   build/bench/gen_scale_corpus --source demo-output/corpus.txt [--source other.txt ...]
//                                --size-mb 5120 --output big.txt [--seed 1] [--word-mutation 0.03]
//
// Each output document starts from a randomly chosen source document (corpus format: one sentence a line,
// blank line between documents) and is perturbed from the seed:
//   - its sentences are shuffled with probability 0.3; each sentence is dropped with probability 0.1, and a
//     random sentence of another document is inserted before it with probability 0.1;
//   - each whitespace-separated word is mutated with probability --word-mutation: one character changes (a
//     Hangul syllable gets another vowel or final consonant, an ASCII letter another letter, a digit another
//     digit), so the vocabulary keeps growing with the corpus (as real text does, Heaps' law) instead of
//     being fixed at the source's;
//   - numbers in the text are rewritten digit by digit with probability 0.5 per word.
// The result has the source's script mix and sentence/document length distributions, new documents (sentence
// combinations) everywhere, and several million distinct word forms at GB scale. Output is written to
// <output>.tmp and renamed. Prints one JSON line: bytes, lines, documents, seconds.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/rng.h"

namespace fs = std::filesystem;
using bertforge::data::Rng;

namespace {

using Doc = std::vector<std::string>;

void read_documents(const std::string& path, std::vector<Doc>& docs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  Doc cur;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool blank = line.find_first_not_of(" \t") == std::string::npos;
    if (blank) {
      if (!cur.empty()) docs.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(line);
    }
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
}

// Decodes the UTF-8 sequence at s[i] (valid input assumed: the sources are corpus.txt files); returns its
// length and stores the code point.
size_t decode(const std::string& s, size_t i, uint32_t& cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  if (i + n > s.size()) {
    cp = c;
    return 1;
  }
  cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return n;
}

void encode(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t mutate_char(uint32_t cp, Rng& rng) {
  if (cp >= 0xAC00 && cp <= 0xD7A3) {  // Hangul syllable = 0xAC00 + (lead * 21 + vowel) * 28 + tail
    uint32_t k = cp - 0xAC00, tail = k % 28, vowel = (k / 28) % 21, lead = k / (28 * 21);
    if (rng.bernoulli(0.5))
      tail = static_cast<uint32_t>(rng.below(28));
    else
      vowel = static_cast<uint32_t>(rng.below(21));
    return 0xAC00 + (lead * 21 + vowel) * 28 + tail;
  }
  if (cp >= 'a' && cp <= 'z') return 'a' + static_cast<uint32_t>(rng.below(26));
  if (cp >= 'A' && cp <= 'Z') return 'A' + static_cast<uint32_t>(rng.below(26));
  if (cp >= '0' && cp <= '9') return '0' + static_cast<uint32_t>(rng.below(10));
  return cp;
}

// Appends `sentence` to `out` with its words perturbed.
void perturb(const std::string& sentence, double word_mutation, Rng& rng, std::string& out,
             std::vector<uint32_t>& cps) {
  size_t i = 0, n = sentence.size();
  while (i < n) {
    size_t j = sentence.find(' ', i);
    if (j == std::string::npos) j = n;
    bool mutate = rng.bernoulli(word_mutation);
    bool has_digit = false;
    for (size_t k = i; k < j && !has_digit; ++k) has_digit = sentence[k] >= '0' && sentence[k] <= '9';
    bool renumber = has_digit && rng.bernoulli(0.5);
    if (!mutate && !renumber) {
      out.append(sentence, i, j - i);
    } else {
      cps.clear();
      for (size_t k = i; k < j;) {
        uint32_t cp;
        k += decode(sentence, k, cp);
        cps.push_back(cp);
      }
      if (renumber)
        for (auto& cp : cps)
          if (cp >= '0' && cp <= '9') cp = '0' + static_cast<uint32_t>(rng.below(10));
      if (mutate && !cps.empty()) {
        size_t at = rng.below(cps.size());
        cps[at] = mutate_char(cps[at], rng);
      }
      for (uint32_t cp : cps) encode(cp, out);
    }
    if (j < n) out += ' ';
    i = j + 1;
  }
  out += '\n';
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sources;
  std::string output;
  double size_mb = 0, word_mutation = 0.03;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--source")
      sources.push_back(value());
    else if (a == "--output")
      output = value();
    else if (a == "--size-mb")
      size_mb = std::stod(value());
    else if (a == "--seed")
      seed = std::stoull(value());
    else if (a == "--word-mutation")
      word_mutation = std::stod(value());
    else {
      std::cerr << "usage: gen_scale_corpus --source FILE [--source FILE...] --size-mb N --output FILE "
                   "[--seed S] [--word-mutation P]\n";
      return 2;
    }
  }
  if (sources.empty() || output.empty() || !(size_mb > 0)) {
    std::cerr << "gen_scale_corpus: --source, --output and --size-mb are required\n";
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Doc> docs;
  for (auto& s : sources) read_documents(s, docs);
  if (docs.empty()) {
    std::cerr << "gen_scale_corpus: the sources hold no document\n";
    return 1;
  }
  const uint64_t target = static_cast<uint64_t>(size_mb * 1024 * 1024);
  const std::string tmp = output + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    std::cerr << "gen_scale_corpus: cannot write " << tmp << "\n";
    return 1;
  }
  Rng rng(bertforge::data::derive_seed({seed, 0x5343414C /* "SCAL" */}));
  uint64_t bytes = 0, lines = 0, documents = 0;
  std::string buf;
  std::vector<uint32_t> cps;
  std::vector<size_t> order;
  while (bytes < target) {
    const Doc& d = docs[rng.below(docs.size())];
    order.resize(d.size());
    for (size_t k = 0; k < d.size(); ++k) order[k] = k;
    if (rng.bernoulli(0.3))
      for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
    buf.clear();
    size_t kept = 0;
    for (size_t k : order) {
      if (rng.bernoulli(0.1)) {
        const Doc& other = docs[rng.below(docs.size())];
        perturb(other[rng.below(other.size())], word_mutation, rng, buf, cps);
        ++kept;
      }
      if (rng.bernoulli(0.1)) continue;
      perturb(d[k], word_mutation, rng, buf, cps);
      ++kept;
    }
    if (kept == 0) continue;
    buf += '\n';
    lines += kept + 1;
    ++documents;
    bytes += buf.size();
    if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
      std::cerr << "gen_scale_corpus: write failed (disk full?)\n";
      return 1;
    }
  }
  if (std::fclose(f) != 0) {
    std::cerr << "gen_scale_corpus: write failed\n";
    return 1;
  }
  fs::rename(tmp, output);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json r = {{"output", output},
                      {"bytes", bytes},
                      {"lines", lines},
                      {"documents", documents},
                      {"source_documents", docs.size()},
                      {"seconds", secs}};
  std::printf("%s\n", r.dump().c_str());
  return 0;
}
