// tests/unit/data/data_test_util.h — shared fixtures for the dataset tests: a synthetic vocabulary, temp
// dirs, random documents of token ids.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "data/format.h"
#include "data/rng.h"

namespace bertforge::data::testing {

namespace fs = std::filesystem;

// Ids 0..4 = [PAD] [UNK] [CLS] [SEP] [MASK]; ids in [cont_begin, vocab_size) are "##" continuations.
inline VocabInfo synthetic_vocab(uint32_t vocab_size = 1000, uint32_t cont_begin = 0) {
  VocabInfo v;
  v.vocab_size = vocab_size;
  v.pad_id = 0;
  v.unk_id = 1;
  v.cls_id = 2;
  v.sep_id = 3;
  v.mask_id = 4;
  v.flags.assign(vocab_size, 0);
  for (uint32_t i = 0; i < 5; ++i) v.flags[i] = kVocabSpecial;
  if (cont_begin > 0)
    for (uint32_t i = cont_begin; i < vocab_size; ++i) v.flags[i] |= kVocabContinuation;
  v.fingerprint = "synthetic-" + std::to_string(vocab_size);
  return v;
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("bertforge-data-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

using Documents = std::vector<std::vector<std::vector<uint32_t>>>;

// Random documents: sentences of [min_len, max_len] tokens, ids in [5, vocab). With unique_ids, the id of
// the token at corpus position p is 5 + p, so examples can be traced back to their positions.
inline Documents random_documents(uint64_t seed, int num_docs, int min_sent, int max_sent, int min_len,
                                  int max_len, uint32_t vocab = 1000, bool unique_ids = false) {
  Rng rng(seed);
  Documents docs(num_docs);
  uint32_t next = 5;
  for (auto& d : docs) {
    int ns = static_cast<int>(rng.randint(min_sent, max_sent));
    for (int s = 0; s < ns; ++s) {
      int len = static_cast<int>(rng.randint(min_len, max_len));
      std::vector<uint32_t> sent;
      for (int t = 0; t < len; ++t)
        sent.push_back(unique_ids ? next++ : static_cast<uint32_t>(rng.randint(5, vocab - 1)));
      d.push_back(std::move(sent));
    }
  }
  return docs;
}

inline std::string file_bytes(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  std::string s;
  if (!f) return s;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

}  // namespace bertforge::data::testing
