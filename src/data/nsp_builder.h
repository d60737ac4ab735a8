// data/nsp_builder.h — turns tokenized documents into pre-training examples: HF's
// TextDatasetForNextSentencePrediction algorithm (itself Google BERT's create_pretraining_data), or
// contiguous full blocks for MLM-only training (--no-nsp, RoBERTa style).
//
// Input: a TokenStore (documents -> sentences -> token ids, no special tokens). Output: examples as spans
// of that store, [CLS] A [SEP] B [SEP] once the specials are added, with label 0 = B follows A, 1 = random B.
//
// Differences from HF, on purpose (docs/dataset.md):
//  - max_num_tokens = block_size - 3. HF subtracts the 3 special tokens twice (block_size - 6 for pairs),
//    so its examples never reach block_size; ours fill the block.
//  - The random document is drawn uniformly among the *other* non-empty documents. HF tries 10 times to
//    avoid the current document and otherwise uses it; with one document only, ours (like HF) takes B from
//    the same document and still labels it 1 (the build warns).
//  - Empty documents (no sentence with a token) are dropped. HF keeps a trailing empty document and
//    crashes (randint(0, -1)) when it picks it as the random document.
//  - The random stream is our own (data/rng.h): same seed, same examples, but not Python's numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "data/pod_buffer.h"

namespace bertforge::data {

struct NspOptions {
  uint32_t block_size = 128;           // examples are at most this long, specials included
  double short_seq_probability = 0.1;  // chance that a document's target length is drawn in [2, max]
  double nsp_probability = 0.5;        // chance that B is taken from another document
  uint64_t seed = 42;                  // every random choice flows from it
  uint32_t dupe_factor = 1;            // passes over the corpus, each with its own random stream
  bool nsp = true;                     // false: MLM-only contiguous blocks (--no-nsp)

  void validate() const;  // config_error naming the field
  uint32_t max_num_tokens() const { return block_size - 3; }
  nlohmann::json to_json() const;
  static NspOptions from_json(const nlohmann::json& j);
};

// Token ids of a corpus in memory: one flat array plus sentence and document boundaries (8 bytes per
// sentence), so memory grows with the token count only. T = uint16_t when the vocab fits, else uint32_t.
template <typename T>
class TokenStore {
 public:
  // Appends a sentence to the current document (empty sentences are ignored, as HF does).
  void add_sentence(const uint32_t* ids, size_t n);
  // Closes the current document; a document without sentences is dropped.
  void end_document();
  void shrink_to_fit();

  size_t num_documents() const { return doc_end_.size(); }
  size_t num_sentences() const { return sent_end_.size(); }
  uint64_t num_tokens() const { return tokens_.size(); }
  // Sentences of document d: [doc_begin(d), doc_end(d)).
  uint64_t doc_begin(size_t d) const { return d == 0 ? 0 : doc_end_[d - 1]; }
  uint64_t doc_end(size_t d) const { return doc_end_[d]; }
  // Tokens of sentence s: [sent_begin(s), sent_end(s)).
  uint64_t sent_begin(uint64_t s) const { return s == 0 ? 0 : sent_end_[s - 1]; }
  uint64_t sent_end(uint64_t s) const { return sent_end_[s]; }
  const T* tokens() const { return tokens_.data(); }
  uint64_t memory_bytes() const {
    return tokens_.size() * sizeof(T) + (sent_end_.size() + doc_end_.size()) * sizeof(uint64_t);
  }

 private:
  PodBuffer<T> tokens_;
  PodBuffer<uint64_t> sent_end_;  // cumulative token count after each sentence
  PodBuffer<uint64_t> doc_end_;   // cumulative sentence count after each document
  uint64_t open_doc_sentences_ = 0;
};

// One example as spans of the store. For MLM-only blocks a/b point into a scratch buffer instead (the
// blocks cross documents with a [SEP] between them), and doc/a_begin give the block's stream position.
struct ExampleSpan {
  uint64_t a_begin = 0, b_begin = 0;  // token positions in the store
  uint32_t a_len = 0, b_len = 0;
  int label = 0;       // 0 = B follows A, 1 = random B, -1 = MLM-only block
  uint64_t doc = 0;    // document of A
  uint64_t b_doc = 0;  // document of B
  uint32_t pass = 0;   // dupe-factor pass
};

template <typename T>
using ExampleSink = std::function<void(const ExampleSpan& span, const T* a, const T* b)>;

// Runs the algorithm over every document, dupe_factor times. `sep_id` separates documents in MLM-only
// blocks. `on_document` (optional) is called after each document of each pass (progress bars).
template <typename T>
void build_examples(const TokenStore<T>& store, const NspOptions& options, uint32_t sep_id,
                    const ExampleSink<T>& sink, const std::function<void()>& on_document = {});

}  // namespace bertforge::data
