// data/masking.cpp — see masking.h.
#include "data/masking.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "common/error.h"
#include "data/rng.h"

namespace bertforge::data {

void MaskingOptions::validate() const {
  if (!(mlm_probability >= 0 && mlm_probability <= 1))
    throw config_error("mlm_probability",
                       fmt::format("--mlm-probability {} must be in [0, 1]", mlm_probability));
  if (!(mask_replace_prob >= 0 && mask_replace_prob <= 1))
    throw config_error("mask_replace_prob", "--mask-replace-prob must be in [0, 1]");
  if (!(random_replace_prob >= 0 && random_replace_prob <= 1))
    throw config_error("random_replace_prob", "--random-replace-prob must be in [0, 1]");
  if (mask_replace_prob + random_replace_prob > 1 + 1e-12)
    throw config_error("random_replace_prob",
                       fmt::format("--mask-replace-prob ({}) + --random-replace-prob ({}) must not exceed 1",
                                   mask_replace_prob, random_replace_prob));
  if (max_predictions < 1) throw config_error("max_predictions", "must be at least 1");
}

nlohmann::json MaskingOptions::to_json() const {
  return {{"mlm_probability", mlm_probability},         {"mask_replace_prob", mask_replace_prob},
          {"random_replace_prob", random_replace_prob}, {"whole_word_mask", whole_word_mask},
          {"max_predictions", max_predictions},         {"seed", seed}};
}

MaskingOptions MaskingOptions::from_json(const nlohmann::json& j) {
  MaskingOptions o;
  o.mlm_probability = j.value("mlm_probability", o.mlm_probability);
  o.mask_replace_prob = j.value("mask_replace_prob", o.mask_replace_prob);
  o.random_replace_prob = j.value("random_replace_prob", o.random_replace_prob);
  o.whole_word_mask = j.value("whole_word_mask", o.whole_word_mask);
  o.max_predictions = j.value("max_predictions", o.max_predictions);
  o.seed = j.value("seed", o.seed);
  return o;
}

Masker::Masker(const VocabInfo& vocab, MaskingOptions options) : vocab_(vocab), options_(options) {
  options_.validate();
  vocab_.validate();
}

void Masker::apply(uint64_t epoch, uint64_t example_index, int64_t* ids, int64_t* labels, size_t len) const {
  Rng rng(derive_seed({options_.seed, 0x4D4C4D /* "MLM" */, epoch, example_index}));
  auto special = [&](int64_t id) {
    return id < 0 || static_cast<uint64_t>(id) >= vocab_.vocab_size ||
           vocab_.is_special(static_cast<uint32_t>(id));
  };
  for (size_t i = 0; i < len; ++i) labels[i] = kIgnoreIndex;

  if (!options_.whole_word_mask) {
    for (size_t i = 0; i < len; ++i)
      if (!special(ids[i]) && rng.uniform() < options_.mlm_probability) labels[i] = ids[i];
  } else {
    // Words: start at a non-special token that is not a continuation (or follows a special), and extend over
    // the "##" continuations after it.
    std::vector<std::pair<uint32_t, uint32_t>> words;  // [begin, end)
    for (size_t i = 0; i < len; ++i) {
      if (special(ids[i])) continue;
      bool cont = vocab_.is_continuation(static_cast<uint32_t>(ids[i]));
      if (cont && !words.empty() && words.back().second == i)
        words.back().second = static_cast<uint32_t>(i + 1);
      else
        words.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1));
    }
    // Fisher-Yates shuffle of the words.
    for (size_t k = words.size(); k > 1; --k) std::swap(words[k - 1], words[rng.below(k)]);
    double expected = std::nearbyint(static_cast<double>(len) *
                                     options_.mlm_probability);  // ties to even, as Python's round
    uint64_t num_to_predict =
        std::min<uint64_t>(options_.max_predictions, std::max<uint64_t>(1, static_cast<uint64_t>(expected)));
    uint64_t covered = 0;
    for (auto [b, e] : words) {
      if (covered >= num_to_predict) break;
      if (covered + (e - b) > num_to_predict) continue;
      for (uint32_t i = b; i < e; ++i) labels[i] = ids[i];
      covered += e - b;
    }
  }

  // 80/10/10 on the selected positions, in position order.
  const double random_given_not_mask =
      options_.mask_replace_prob >= 1 ? 0 : options_.random_replace_prob / (1 - options_.mask_replace_prob);
  for (size_t i = 0; i < len; ++i) {
    if (labels[i] == kIgnoreIndex) continue;
    if (rng.uniform() < options_.mask_replace_prob) {
      ids[i] = vocab_.mask_id;
    } else if (rng.uniform() < random_given_not_mask) {
      // Uniform over the whole vocabulary, as HF (torch.randint(len(tokenizer))) and Google's BERT do.
      ids[i] = static_cast<int64_t>(rng.below(vocab_.vocab_size));
    }
  }
}

}  // namespace bertforge::data
