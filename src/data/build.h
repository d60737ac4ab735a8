// data/build.h — `bertforge dataset build` as a library call: corpus.txt files + a tokenizer -> a dataset
// folder (data/format.h), cached under a file lock.
//
//   1. Lock `<output>.lock` (flock). A second builder of the same output waits here, then finds the finished
//      dataset and reuses it.
//   2. Cache check: if `<output>` holds a dataset whose build key (corpus identity, tokenizer fingerprint,
//      every parameter, format version) equals ours, reuse it (logged); a different key is an error naming
//      what differs unless overwrite_cache. Corpus identity = absolute path + size + mtime of each file.
//   3. Stream the corpus (CorpusReader), tokenize chunks of documents on `threads` threads, keep the ids in a
//      TokenStore (uint16 when the vocab fits): memory grows with the token count only.
//   4. Run the NSP algorithm (data/nsp_builder.h) and stream the examples into `<output>.tmp-*/dataset.bin`,
//      then rename the folder into place. A killed build leaves only the temp folder (removed by the next
//      build), never a dataset that looks complete.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "data/format.h"
#include "data/nsp_builder.h"

namespace bertforge::data {

struct DatasetBuildOptions {
  std::vector<std::string> corpus;        // corpus.txt files, read in this order (a file starts a document)
  std::string output;                     // dataset folder (the cache)
  NspOptions nsp;                         // block_size, short_seq_probability, nsp_probability, seed, ...
  bool overwrite_cache = false;           // rebuild even when a matching or different dataset is there
  unsigned threads = 0;                   // tokenization threads (0 = all cores)
  std::string on_invalid_utf8 = "error";  // corpus lines with invalid UTF-8: error | replace | skip
  bool progress = true;                   // show a progress bar

  void validate() const;
  nlohmann::json to_json() const;
};

// Appends the ids of `text` to `ids` (no [CLS]/[SEP] added), as Tokenizer::encode_ids does. Must be
// thread-safe: it is called concurrently from the tokenization threads.
using EncodeFn = std::function<void(std::string_view text, std::vector<uint32_t>& ids)>;

struct BuildResult {
  fs::path dir;                // the dataset folder
  bool reused = false;         // true when the cache was valid and nothing was built
  nlohmann::json metadata;     // as stored in the header
  uint64_t corpus_bytes = 0;   // bytes of corpus read (0 when reused)
  uint64_t corpus_tokens = 0;  // token ids of the corpus (before dupe factor)
  uint64_t store_bytes = 0;    // memory held by the token store
  double tokenize_seconds = 0, examples_seconds = 0, total_seconds = 0;
};

// The cache key of a build: everything that changes the bytes of the dataset.
nlohmann::json build_key(const DatasetBuildOptions& options, const VocabInfo& vocab);

BuildResult build_dataset(const DatasetBuildOptions& options, const VocabInfo& vocab, const EncodeFn& encode);

// Examples of already tokenized documents written as a dataset folder (no corpus, no cache check): for
// tests and tools that tokenize differently. documents[d][s] = token ids of sentence s of document d.
void write_dataset_from_documents(const fs::path& dir,
                                  const std::vector<std::vector<std::vector<uint32_t>>>& documents,
                                  const NspOptions& options, const VocabInfo& vocab,
                                  const nlohmann::json& extra_build_key = {});

}  // namespace bertforge::data
