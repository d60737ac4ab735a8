// tests/reference/test_train_parity.cpp — WordPiece training against HF's real `tokenizers` (npm binding,
// driven by ../shared/reference/ref_tokenizer.js). The binding trains with vocab_size 30000,
// min_frequency 0, no alphabet limit; ref_tokenizer.js prepends the 5 BERT special tokens, which is
// exactly HF's WordPieceTrainer with those specials (hf-tokenizers-spec.md §2).
//   (1) with --reference-vocab (HF's "##c" order, which HF takes from a random hash order): vocab.txt
//       byte-identical;
//   (2) without it: same specials + alphabet block, same "##c" set, same size, merged tokens within HF's
//       own run-to-run spread.
// Corpora: one generated here (pseudo-Korean with Latin, digits, CJK, punctuation) and, when present, the
// demo corpus (demo-output/corpus.txt, made by scripts/demo.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "text/utf8.h"

namespace {

namespace fs = std::filesystem;

// shared/ sits beside the clone (CI, /work/main); a git worktree under /work/wt is one level deeper.
const std::string kRefDir = fs::exists(BERTFORGE_SOURCE_DIR "/../shared/reference")
                                ? BERTFORGE_SOURCE_DIR "/../shared/reference"
                                : BERTFORGE_SOURCE_DIR "/../../shared/reference";
const std::string kNodeDir = BERTFORGE_SOURCE_DIR "/tests/reference/node";

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run(const std::string& cmd, std::string* output = nullptr) {
  std::string full = cmd + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (output) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> read_vocab(const fs::path& p) {
  std::vector<std::string> v;
  std::ifstream in(p, std::ios::binary);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

bool oracle_available(std::string* why) {
  if (!fs::exists(kNodeDir + "/node_modules/tokenizers")) {
    *why = "HF tokenizers npm package missing: run scripts/install-deps.sh";
    return false;
  }
  if (!fs::exists(kRefDir + "/ref_tokenizer.js")) {
    *why = "ref_tokenizer.js missing at " + kRefDir;
    return false;
  }
  if (run("node --version") != 0) {
    *why = "node not installed";
    return false;
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("bf_train_parity_" + std::to_string(::getpid()) + "_" + std::to_string(n_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  static inline int n_ = 0;
};

// Deterministic pseudo-Korean: Zipf-like word choice from syllable strings, particles, Latin words,
// numbers, a few CJK ideographs and accented Latin, punctuation; a blank line between "documents".
void write_corpus(const fs::path& path, size_t lines) {
  uint64_t x = 20240611;
  auto next = [&]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<std::string> syll;
  for (int i = 0; i < 420; ++i) {
    std::string s;
    uint64_t r = next();
    // Favour a few initials/vowels so that syllable frequencies are skewed, as in real Korean.
    uint64_t initial = (r % 19) * ((r >> 8) % 3) % 19;
    uint64_t vowel = (r >> 16) % 21, final = (r >> 24) % 4 == 0 ? (r >> 32) % 28 : 0;
    char32_t cp = 0xAC00 + static_cast<char32_t>(initial * 588 + vowel * 28 + final);
    bertforge::text::utf8_append(s, cp);
    syll.push_back(s);
  }
  std::vector<std::string> words;
  for (int i = 0; i < 2500; ++i) {
    uint64_t r = next();
    std::string w;
    int len = 1 + static_cast<int>(r % 4);
    for (int k = 0; k < len; ++k) w += syll[(next() % 420) * (next() % 420) / 420];
    words.push_back(w);
  }
  const std::vector<std::string> particles = {"은", "는",   "이",   "가",   "을",   "를",
                                              "의", "에서", "으로", "하다", "했다", ""};
  const std::vector<std::string> latin = {"LibreOffice", "Calc", "cell",     "merge",  "A1",    "Ctrl+C",
                                          "naïve",       "Élan", "file.txt", "x86_64", "don't", "e-mail"};
  const std::vector<std::string> punct = {".", ",", "?", "!", "(", ")", "\"", "'", "…", "·", "-", ":"};
  std::ofstream out(path, std::ios::binary);
  for (size_t l = 0; l < lines; ++l) {
    if (next() % 12 == 0) {
      out << "\n";
      continue;
    }
    int n = 3 + static_cast<int>(next() % 12);
    std::string line;
    for (int k = 0; k < n; ++k) {
      uint64_t r = next();
      if (k) line += " ";
      if (r % 17 == 0) {
        line += latin[(r >> 8) % latin.size()];
      } else if (r % 23 == 0) {
        line += std::to_string((r >> 8) % 2000);
      } else if (r % 61 == 0) {
        std::string c;
        bertforge::text::utf8_append(c, 0x4E00 + static_cast<char32_t>((r >> 8) % 300));
        line += c;
      } else {
        size_t a = (r >> 8) % words.size(), b = (r >> 24) % words.size();
        line += words[a * b / words.size()];  // skewed towards small indices
        line += particles[(r >> 40) % particles.size()];
      }
      if (next() % 9 == 0) line += punct[next() % punct.size()];
    }
    out << line << (next() % 5 == 0 ? "." : "") << "\n";
  }
}

// Our trainer through the CLI with the binding's settings.
int train_ours(const fs::path& corpus, const fs::path& out, const std::string& extra, std::string* log) {
  std::string cmd = std::string(shell_quote(BERTFORGE_CLI)) + " -q tokenizer train --files " +
                    shell_quote(corpus.string()) + " --output " + shell_quote(out.string()) +
                    " --min-frequency 0 --limit-alphabet 0 --vocab-size 30000 --overwrite " + extra;
  return run(cmd, log);
}

int train_hf(const fs::path& corpus, const fs::path& out, std::string* log) {
  std::string cmd = "cd " + shell_quote(kNodeDir) + " && TOKENIZERS_NODE_DIR=" + shell_quote(kNodeDir) +
                    " node " + shell_quote(kRefDir + "/ref_tokenizer.js") + " train " +
                    shell_quote(corpus.string()) + " " + shell_quote(out.string());
  return run(cmd, log);
}

// Number of leading single-char and "##c" tokens after `specials`.
struct Blocks {
  size_t alphabet = 0, cont = 0;
};
Blocks blocks(const std::vector<std::string>& v, size_t specials) {
  Blocks b;
  size_t i = specials;
  while (i < v.size() && bertforge::text::utf8_length(v[i]) == 1) ++i, ++b.alphabet;
  while (i < v.size() && v[i].size() > 2 && v[i].compare(0, 2, "##") == 0 &&
         bertforge::text::utf8_length(v[i]) == 3)
    ++i, ++b.cont;
  return b;
}

void check_corpus(const fs::path& corpus, int hf_runs) {
  TempDir dir;
  std::vector<std::vector<std::string>> hf;
  std::string log;
  for (int r = 0; r < hf_runs; ++r) {
    fs::path out = dir.path() / ("hf" + std::to_string(r));
    ASSERT_EQ(train_hf(corpus, out, &log), 0) << log;
    hf.push_back(read_vocab(out / "vocab.txt"));
  }
  const fs::path hf_vocab = dir.path() / "hf0" / "vocab.txt";

  // (1) replay HF's ##c order: byte-identical vocab.txt.
  fs::path ours_ref = dir.path() / "ours_ref";
  ASSERT_EQ(train_ours(corpus, ours_ref, "--reference-vocab " + shell_quote(hf_vocab.string()), &log), 0)
      << log;
  EXPECT_TRUE(read_all(ours_ref / "vocab.txt") == read_all(hf_vocab))
      << "vocab.txt differs from HF's with --reference-vocab";

  // (2) our own deterministic order.
  fs::path ours = dir.path() / "ours";
  ASSERT_EQ(train_ours(corpus, ours, "", &log), 0) << log;
  auto v = read_vocab(ours / "vocab.txt");
  const auto& h = hf[0];
  // With vocab_size reached, the size is exact. When merges run out first (a small corpus), a merge that
  // re-creates an existing string adds nothing, and which ones do depends on tie order: HF's own runs then
  // differ in size too, so allow HF's spread (or 0.1%).
  if (h.size() == 30000u) {
    ASSERT_EQ(v.size(), h.size());
  } else {
    size_t size_spread = 0;
    for (int r = 1; r < hf_runs; ++r)
      size_spread =
          std::max(size_spread, hf[r].size() > h.size() ? hf[r].size() - h.size() : h.size() - hf[r].size());
    size_t diff = v.size() > h.size() ? v.size() - h.size() : h.size() - v.size();
    std::printf("vocab size: ours %zu, HF %zu (HF vs HF: %zu)\n", v.size(), h.size(), size_spread);
    EXPECT_LE(diff, std::max(size_spread * 2, h.size() / 1000 + 1));
  }
  Blocks bv = blocks(v, 5), bh = blocks(h, 5);
  ASSERT_EQ(bv.alphabet, bh.alphabet);
  ASSERT_EQ(bv.cont, bh.cont);
  const size_t fixed = 5 + bv.alphabet;
  EXPECT_TRUE(std::equal(v.begin(), v.begin() + fixed, h.begin())) << "specials + alphabet block differs";
  std::set<std::string> cv(v.begin() + fixed, v.begin() + fixed + bv.cont),
      ch(h.begin() + fixed, h.begin() + fixed + bh.cont);
  EXPECT_EQ(cv, ch) << "##c sets differ";
  const size_t start = fixed + bv.cont;
  ASSERT_GE(v.size(), start);
  std::set<std::string> mv(v.begin() + start, v.end());
  // HF's spread: tokens of one HF run missing from another (ties decided by its random ##c order).
  size_t spread = 0;
  for (int r = 1; r < hf_runs; ++r) {
    ASSERT_GE(hf[r].size(), start);
    std::set<std::string> other(hf[r].begin() + start, hf[r].end());
    size_t missing = 0;
    for (size_t i = start; i < h.size(); ++i) missing += other.count(h[i]) == 0;
    spread = std::max(spread, missing);
  }
  size_t missing = 0;
  for (size_t i = start; i < h.size(); ++i) missing += mv.count(h[i]) == 0;
  const size_t merged = h.size() - start;
  std::printf("merged tokens: %zu; ours vs HF run 0: %zu differ; HF vs HF: up to %zu differ\n", merged,
              missing, spread);
  // Within HF's own spread, with a floor of 1% for corpora where HF happened to agree with itself.
  EXPECT_LE(missing, std::max(spread * 2, merged / 100 + 1));
}

TEST(TrainParity, GeneratedCorpusMatchesHfByteForByteWithReferenceOrder) {
  std::string why;
  if (!oracle_available(&why)) GTEST_SKIP() << why;
  TempDir dir;
  fs::path corpus = dir.path() / "corpus.txt";
  write_corpus(corpus, 9000);
  check_corpus(corpus, 2);
}

TEST(TrainParity, SmallVocabSizeIsAPrefixOfHfsResult) {
  std::string why;
  if (!oracle_available(&why)) GTEST_SKIP() << why;
  TempDir dir;
  fs::path corpus = dir.path() / "corpus.txt";
  write_corpus(corpus, 3000);
  std::string log;
  ASSERT_EQ(train_hf(corpus, dir.path() / "hf", &log), 0) << log;
  auto full = read_vocab(dir.path() / "hf" / "vocab.txt");
  Blocks b = blocks(full, 5);
  const size_t n = 5 + b.alphabet + b.cont + 200;
  ASSERT_LT(n, full.size());
  fs::path ours = dir.path() / "ours";
  ASSERT_EQ(train_ours(corpus, ours,
                       "--reference-vocab " + shell_quote((dir.path() / "hf" / "vocab.txt").string()) +
                           " --vocab-size " + std::to_string(n),
                       &log),
            0)
      << log;
  auto v = read_vocab(ours / "vocab.txt");
  ASSERT_EQ(v.size(), n);
  EXPECT_TRUE(std::equal(v.begin(), v.end(), full.begin()));
}

TEST(TrainParity, DemoCorpusWhenPresent) {
  std::string why;
  if (!oracle_available(&why)) GTEST_SKIP() << why;
  fs::path corpus = fs::path(BERTFORGE_SOURCE_DIR) / "demo-output" / "corpus.txt";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no demo corpus at " << corpus << " (scripts/demo.sh makes it)";
  check_corpus(corpus, 2);
}

}  // namespace
