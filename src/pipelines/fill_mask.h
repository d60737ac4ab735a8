// pipelines/fill_mask.h — HF's `pipeline('fill-mask')` in C++: the last step of the seed recipe and the
// probe of the "[MASK] token attack". For each [MASK] in a text: the top-k tokens with their softmax
// probability, the token string and the text with the mask filled, decoded as HF decodes.
// Example: "이순신은 [MASK] 중기의 무신이다." -> [{score 0.41, token_str "조선", sequence "이순신은 조선
// 중기의 무신이다."}, ...]
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/bert.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::pipelines {

struct FillMaskOptions {
  int top_k = 5;                     // candidates per mask (HF's top_k)
  std::vector<std::string> targets;  // score only these words (HF's targets); empty = whole vocab
  int batch_size = 32;               // texts per forward pass
  void validate() const;
  nlohmann::json to_json() const;
};

struct FillMaskCandidate {
  double score = 0;       // softmax probability over the vocab (over all of it, also with targets)
  uint32_t token = 0;     // id
  std::string token_str;  // tokenizer.decode([id])
  std::string sequence;   // the input with this mask filled, decoded
};

// One text's answer: one candidate list per [MASK], in text order.
struct FillMaskResult {
  std::string input;
  std::vector<std::vector<FillMaskCandidate>> masks;
  std::string error;  // set instead of `masks` when this text cannot be answered (no [MASK], too long)
};

class FillMask {
 public:
  // The model is put in eval mode. Targets are resolved against the tokenizer's vocab here (an unknown
  // target is replaced by its first sub-token, with a warning, as HF does).
  FillMask(models::BertLM model, const Tokenizer& tokenizer, FillMaskOptions options);

  // Answers texts in batches of options.batch_size; one result per text, in order. Never throws for a
  // bad text: its result carries `error`.
  std::vector<FillMaskResult> run(const std::vector<std::string>& texts) const;
  FillMaskResult run_one(const std::string& text) const;

  // Logits over the vocab at every [MASK] of already-encoded sequences (ids with [CLS]/[SEP], none longer
  // than max_position_embeddings), in one forward pass: (N,V) float32, one row per [MASK] in sequence then
  // position order. run() answers texts with it; the privacy audit scores answers and secrets with it.
  // ids (B, <=T) -> logits (N,V)
  torch::Tensor mask_logits(const std::vector<const std::vector<uint32_t>*>& sequences) const;

  // HF's output shape: a list of candidates for one mask, a list of lists for several.
  static nlohmann::json to_json(const FillMaskResult& result);
  const std::vector<uint32_t>& target_ids() const { return target_ids_; }

 private:
  mutable models::BertLM model_;  // forward() is non-const in LibTorch
  const Tokenizer& tokenizer_;
  FillMaskOptions options_;
  std::vector<uint32_t> target_ids_;
  int64_t max_positions_;
};

}  // namespace bertforge::pipelines
