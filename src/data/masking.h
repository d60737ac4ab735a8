// data/masking.h — dynamic MLM masking, as HF's DataCollatorForLanguageModeling (and, with whole_word_mask,
// DataCollatorForWholeWordMask) does it per batch:
//   - each non-special token is selected with probability mlm_probability (special tokens such as [CLS],
//     [SEP], [PAD], [UNK], [MASK] never are, and padding is added after masking, so never either);
//   - a selected token becomes [MASK] with probability mask_replace_prob (0.8), a uniformly random vocab id
//     with probability random_replace_prob (0.1), and stays as is otherwise;
//   - labels = the original id at selected positions, -100 elsewhere.
// Whole-word masking selects whole words (a token plus its "##" continuations): words are shuffled and taken
// while the number of selected tokens stays <= max(1, round(length * mlm_probability)) (length with
// specials, as HF), capped at max_predictions; 80/10/10 is then applied per token.
//
// The mask of an example is a pure function of (seed, epoch, example index): it does not depend on the batch
// size, the order of examples or the number of processes, so a resumed or sharded run masks identically.
//
// Example (mlm_probability 1, mask_replace_prob 1): [CLS] 이 ##순 [SEP] -> [CLS] [MASK] [MASK] [SEP],
// labels -100 이 ##순 -100.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/format.h"

namespace bertforge::data {

inline constexpr int64_t kIgnoreIndex = -100;  // labels that the loss ignores (PyTorch's ignore_index)

struct MaskingOptions {
  double mlm_probability = 0.15;     // share of (non-special) tokens selected for prediction
  double mask_replace_prob = 0.8;    // of the selected: replaced by [MASK]
  double random_replace_prob = 0.1;  // of the selected: replaced by a random token (rest: unchanged)
  bool whole_word_mask = false;      // select whole words ("##" continuations follow their first piece)
  uint32_t max_predictions = 512;    // whole-word masking: cap on selected tokens per example (HF: 512)
  uint64_t seed = 42;                // with (epoch, example index) decides every mask

  void validate() const;
  nlohmann::json to_json() const;
  static MaskingOptions from_json(const nlohmann::json& j);
};

class Masker {
 public:
  Masker(const VocabInfo& vocab, MaskingOptions options);

  // Masks ids[0, len) in place (an example with its specials, no padding) and writes labels[0, len).
  void apply(uint64_t epoch, uint64_t example_index, int64_t* ids, int64_t* labels, size_t len) const;

  const MaskingOptions& options() const { return options_; }

 private:
  VocabInfo vocab_;
  MaskingOptions options_;
};

}  // namespace bertforge::data
