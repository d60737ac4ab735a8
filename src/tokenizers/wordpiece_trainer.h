// tokenizers/wordpiece_trainer.h — the WordPiece trainer behind `bertforge tokenizer train`: corpus files ->
// word counts (BertNormalizer + BertPreTokenizer, parallel) -> HF's BPE-style merge loop -> vocab in id
// order (specials, alphabet by code point, "##c" tokens, merged tokens in merge order).
// It reproduces HF tokenizers' WordPieceTrainer (../shared/reference/hf-tokenizers-spec.md §1c) merge for
// merge, and is deterministic where HF is not (see docs/tokenizer-train.md, "Deterministic order"):
//   - "##c" ids follow the first occurrence of the continuation char in the corpus (file, line, position);
//   - limit_alphabet ties at the cut drop the char first seen latest in the corpus;
//   - `reference_vocab` replaces both choices by the order found in an HF vocab.txt (byte-for-byte checks).
// Example: lines {"ab ab abc"} with vocab_size 9, no specials ->
//   a b c ##b ##c ab(a+##b) abc(ab+##c) ... (see tests/unit/tokenizers/test_trainer.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "corpus/line_reader.h"
#include "text/bert_normalizer.h"

namespace bertforge {

struct WordPieceTrainerOptions {
  uint32_t vocab_size = 30000;  // stop merging when the whole vocab (specials included) has this many tokens
  uint64_t min_frequency = 2;   // stop merging when the best pair occurs fewer times than this
  uint32_t limit_alphabet = 1000;  // keep at most this many distinct chars (most frequent); 0 = no limit
  // Chars always in the alphabet; as HF's Python binding, only the FIRST char of each string counts.
  std::vector<std::string> initial_alphabet;
  // Added first, in this order (ids 0..k-1), duplicates skipped.
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string wordpieces_prefix = "##";  // continuing-subword prefix
  unsigned threads = 0;                  // word counting threads; 0 = all cores
  // Normalizer used to count words (and saved in tokenizer.json). bertforge default: no lowercase (Korean).
  text::BertNormalizerOptions normalizer;
  // Optional HF vocab.txt: its "##c" order (and, with limit_alphabet, which tied chars are kept) replace
  // our first-occurrence choices, so the result can be compared byte for byte with that HF run.
  std::string reference_vocab;
  // What to do with invalid UTF-8 in the corpus: error (default, names file:line), replace, skip.
  InvalidUtf8Policy on_invalid_utf8 = InvalidUtf8Policy::kError;

  void validate() const;           // throws config_error naming the field
  nlohmann::json to_json() const;  // flat keys, the CLI's snake_case names (usable as --config)
  static WordPieceTrainerOptions from_json(const nlohmann::json& j);  // missing keys keep defaults
};

// Distinct words of a corpus with their counts, in order of first occurrence (file, line, position).
struct WordCounts {
  std::vector<std::string> words;
  std::vector<uint64_t> counts;
  uint64_t lines = 0;          // lines read (including empty ones)
  uint64_t total_words = 0;    // word occurrences
  uint64_t bytes = 0;          // bytes read
  uint64_t skipped_lines = 0;  // lines dropped by on_invalid_utf8=skip
};

// Progress callbacks: (done, total). Called from the calling thread only.
using TrainProgress = std::function<void(uint64_t done, uint64_t total)>;

// Counts the words of `files` (BertNormalizer + BertPreTokenizer per line, as HF's train_from_files), on
// options.threads threads. Errors (missing/empty file, invalid UTF-8 with policy error) name file and line.
// `sample` (optional) receives up to `sample_size` lines drawn evenly from the corpus (for the report).
WordCounts count_words_in_files(const std::vector<std::filesystem::path>& files,
                                const WordPieceTrainerOptions& options, const TrainProgress& progress = {},
                                std::vector<std::string>* sample = nullptr, size_t sample_size = 0);

// Same counting over in-memory lines (tests, small inputs); single-threaded.
WordCounts count_words_in_lines(const std::vector<std::string>& lines,
                                const text::BertNormalizerOptions& norm);

struct WordPieceTrainResult {
  std::vector<std::string> vocab;         // id order
  uint32_t num_special = 0;               // ids [0, num_special)
  uint32_t alphabet_size = 0;             // ids [num_special, num_special + alphabet_size)
  uint32_t continuation_size = 0;         // "##c" tokens, right after the alphabet
  uint64_t merges = 0;                    // merge operations done (a merge can produce an existing token)
  uint32_t dropped_chars = 0;             // distinct chars removed by limit_alphabet
  uint64_t dropped_char_occurrences = 0;  // their occurrences in the corpus
  bool stopped_by_min_frequency = false;
};

class WordPieceTrainer {
 public:
  explicit WordPieceTrainer(WordPieceTrainerOptions options);
  const WordPieceTrainerOptions& options() const { return options_; }

  // The merge loop on counted words. `progress` gets (tokens added by merges, budget).
  WordPieceTrainResult train(const WordCounts& counts, const TrainProgress& progress = {}) const;

  // Reads the "##c" order and the single-char tokens of an HF vocab.txt (used by `reference_vocab`).
  struct ReferenceOrder {
    std::vector<std::string> continuation_chars;  // the c of each "##c", in file order
    std::vector<std::string> single_chars;        // single-char tokens (the kept alphabet)
  };
  static ReferenceOrder read_reference_vocab(const std::filesystem::path& path, const std::string& prefix);

 private:
  WordPieceTrainerOptions options_;
};

}  // namespace bertforge
