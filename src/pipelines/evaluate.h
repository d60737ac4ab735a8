// pipelines/evaluate.h — masked-LM and NSP accuracy of a model on a dataset: the demo's held-out check and
// `bertforge evaluate`. Masks are drawn as in training (data/masking.h, from a fixed seed), so two runs on
// the same model and dataset give the same figures. The baseline is the accuracy of always answering the
// single most frequent original token among the masked positions (the best constant guess, so a fair bar).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/format.h"
#include "data/masking.h"
#include "models/bert.h"

namespace bertforge::pipelines {

struct EvaluateOptions {
  uint32_t batch_size = 32;      // examples per forward pass
  uint64_t max_examples = 0;     // 0 = all examples of the dataset
  uint64_t seed = 1;             // masking seed (fixed: the same masks every run)
  data::MaskingOptions masking;  // mlm_probability etc.; seed is overridden by `seed`
  void validate() const;
};

struct EvaluateResult {
  uint64_t examples = 0;
  uint64_t masked_tokens = 0;
  double loss = 0;               // mean over batches of mlm_loss (+ nsp_loss when the model has NSP)
  double mlm_accuracy = 0;       // top-1 correct / masked tokens
  double nsp_accuracy = -1;      // -1 when not available (MaskedLM model or MLM-only dataset)
  double baseline_accuracy = 0;  // always the most frequent masked token
  int64_t baseline_token = -1;   // that token's id
  nlohmann::json to_json() const;
};

// `examples`: dataset indices to use (empty = all, capped by max_examples).
EvaluateResult evaluate(models::BertLMImpl& model, const data::Dataset& dataset,
                        const EvaluateOptions& options, std::vector<uint64_t> examples = {});

}  // namespace bertforge::pipelines
