// pipelines/fill_mask.cpp — see fill_mask.h. Follows transformers' FillMaskPipeline.postprocess: softmax over
// the vocab at each [MASK], top-k (restricted to targets when given), the sequence decoded with the other
// tokens kept, special tokens skipped only when the text has a single mask.
#include "pipelines/fill_mask.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "text/utf8.h"

namespace bertforge::pipelines {
namespace {

// transformers' clean_up_tokenization (tokenizer_config clean_up_tokenization_spaces=true for BERT), applied
// to the whole decoded string as PreTrainedTokenizerBase.decode does.
std::string clean_up_tokenization(std::string s) {
  static const std::pair<const char*, const char*> rules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto& [from, to] : rules) {
    std::string out;
    std::string_view f(from);
    size_t pos = 0;
    for (;;) {
      size_t hit = s.find(f, pos);
      if (hit == std::string::npos) break;
      out.append(s, pos, hit - pos);
      out.append(to);
      pos = hit + f.size();
    }
    out.append(s, pos, std::string::npos);
    s = std::move(out);
  }
  return s;
}

}  // namespace

void FillMaskOptions::validate() const {
  if (top_k < 1) throw config_error("top_k", fmt::format("must be >= 1, got {}", top_k));
  if (batch_size < 1) throw config_error("batch_size", fmt::format("must be >= 1, got {}", batch_size));
}

nlohmann::json FillMaskOptions::to_json() const {
  return {{"top_k", top_k}, {"targets", targets}, {"batch_size", batch_size}};
}

FillMask::FillMask(models::BertLM model, const Tokenizer& tokenizer, FillMaskOptions options)
    : model_(std::move(model)), tokenizer_(tokenizer), options_(std::move(options)) {
  options_.validate();
  model_->eval();
  max_positions_ = model_->config().max_position_embeddings;
  if (static_cast<int64_t>(tokenizer_.vocab_size()) > model_->config().vocab_size) {
    throw Error(
        ErrorKind::kConfig,
        fmt::format("the tokenizer has {} tokens but the model's vocab_size is {}: they do not belong "
                    "together (pass the model's own tokenizer with --tokenizer)",
                    tokenizer_.vocab_size(), model_->config().vocab_size));
  }
  std::set<uint32_t> seen;
  for (const auto& target : options_.targets) {
    int64_t id = tokenizer_.token_to_id(target);
    if (id < 0) {
      std::vector<uint32_t> pieces;
      tokenizer_.encode_ids(target, pieces);
      if (pieces.empty()) {
        log_warn("target '{}' gives no token; ignored", target);
        continue;
      }
      id = pieces[0];
      log_warn("target '{}' is not in the vocabulary; using its first piece '{}' instead", target,
               tokenizer_.id_to_token(pieces[0]));
    }
    if (seen.insert(static_cast<uint32_t>(id)).second) target_ids_.push_back(static_cast<uint32_t>(id));
  }
  if (!options_.targets.empty() && target_ids_.empty())
    throw config_error("targets", "none of the targets maps to a token of this tokenizer");
}

FillMaskResult FillMask::run_one(const std::string& text) const {
  return run({text}).at(0);
}

std::vector<FillMaskResult> FillMask::run(const std::vector<std::string>& texts) const {
  std::vector<FillMaskResult> results(texts.size());
  const uint32_t mask_id = tokenizer_.mask_id();
  const uint32_t pad_id = tokenizer_.pad_id();
  torch::NoGradGuard no_grad;

  // Encode everything first; texts that cannot be answered get their error now.
  std::vector<std::vector<uint32_t>> encoded(texts.size());
  std::vector<size_t> answerable;
  for (size_t i = 0; i < texts.size(); ++i) {
    results[i].input = texts[i];
    if (size_t bad = text::utf8_find_invalid(texts[i]); bad != std::string::npos) {
      results[i].error = fmt::format("invalid UTF-8 at byte {}: the text must be UTF-8", bad);
      continue;
    }
    Encoding enc = tokenizer_.encode(texts[i], true);
    size_t masks = std::count(enc.ids.begin(), enc.ids.end(), mask_id);
    if (masks == 0) {
      results[i].error = fmt::format("no {} token in the text: put {} where the word to guess goes",
                                     tokenizer_.settings().mask_token, tokenizer_.settings().mask_token);
    } else if (static_cast<int64_t>(enc.ids.size()) > max_positions_) {
      results[i].error = fmt::format(
          "the text is {} tokens long but the model takes at most {} (max_position_embeddings): shorten it",
          enc.ids.size(), max_positions_);
    } else {
      encoded[i] = std::move(enc.ids);
      answerable.push_back(i);
    }
  }

  const int64_t vocab = model_->config().vocab_size;
  int64_t k_all = options_.top_k;
  if (!target_ids_.empty()) k_all = std::min<int64_t>(k_all, static_cast<int64_t>(target_ids_.size()));
  k_all = std::min<int64_t>(k_all, vocab);
  torch::Tensor target_tensor;
  if (!target_ids_.empty()) {
    std::vector<int64_t> t(target_ids_.begin(), target_ids_.end());
    target_tensor = torch::tensor(t, torch::kInt64);
  }

  for (size_t start = 0; start < answerable.size(); start += options_.batch_size) {
    size_t end = std::min(answerable.size(), start + static_cast<size_t>(options_.batch_size));
    int64_t B = static_cast<int64_t>(end - start);
    int64_t T = 0;
    for (size_t j = start; j < end; ++j) T = std::max<int64_t>(T, encoded[answerable[j]].size());
    auto ids = torch::full({B, T}, static_cast<int64_t>(pad_id), torch::kInt64);
    auto attention = torch::zeros({B, T}, torch::kInt64);
    auto labels = torch::full({B, T}, models::kIgnoreIndex, torch::kInt64);
    auto ids_a = ids.accessor<int64_t, 2>();
    auto att_a = attention.accessor<int64_t, 2>();
    auto lab_a = labels.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& e = encoded[answerable[start + b]];
      for (size_t t = 0; t < e.size(); ++t) {
        ids_a[b][t] = e[t];
        att_a[b][t] = 1;
        if (e[t] == mask_id) lab_a[b][t] = 0;  // any valid id: marks the positions whose logits we need
      }
    }
    // The MLM head runs only at the [MASK] positions (row-major order over (b, t)).
    auto out =
        model_->forward(ids, torch::zeros_like(ids), attention, labels, {}, models::MlmHead::kMaskedOnly);
    torch::Tensor logits = out.prediction_logits;  // (N,V)
    torch::Tensor probs = torch::softmax(logits.to(torch::kFloat32), -1);
    if (target_tensor.defined()) probs = probs.index_select(1, target_tensor);
    auto [values, indices] = probs.topk(k_all, -1);
    values = values.to(torch::kFloat64).contiguous();
    indices = indices.contiguous();
    auto v_a = values.accessor<double, 2>();
    auto i_a = indices.accessor<int64_t, 2>();

    int64_t row = 0;
    for (int64_t b = 0; b < B; ++b) {
      FillMaskResult& res = results[answerable[start + b]];
      const auto& e = encoded[answerable[start + b]];
      std::vector<size_t> mask_positions;
      for (size_t t = 0; t < e.size(); ++t)
        if (e[t] == mask_id) mask_positions.push_back(t);
      const bool single_mask = mask_positions.size() == 1;
      for (size_t m = 0; m < mask_positions.size(); ++m, ++row) {
        std::vector<FillMaskCandidate> cands;
        for (int64_t k = 0; k < k_all; ++k) {
          FillMaskCandidate c;
          c.score = v_a[row][k];
          int64_t p = i_a[row][k];
          c.token = target_ids_.empty() ? static_cast<uint32_t>(p) : target_ids_[p];
          std::vector<uint32_t> filled;
          filled.reserve(e.size());
          for (size_t t = 0; t < e.size(); ++t) {
            uint32_t id = t == mask_positions[m] ? c.token : e[t];
            if (id != pad_id) filled.push_back(id);
          }
          c.sequence = clean_up_tokenization(tokenizer_.decode(filled, single_mask));
          c.token_str = clean_up_tokenization(tokenizer_.decode({c.token}, false));
          cands.push_back(std::move(c));
        }
        res.masks.push_back(std::move(cands));
      }
    }
  }
  return results;
}

nlohmann::json FillMask::to_json(const FillMaskResult& result) {
  if (!result.error.empty()) return {{"input", result.input}, {"error", result.error}};
  auto list = [](const std::vector<FillMaskCandidate>& cands) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : cands)
      arr.push_back(
          {{"score", c.score}, {"token", c.token}, {"token_str", c.token_str}, {"sequence", c.sequence}});
    return arr;
  };
  if (result.masks.size() == 1) return list(result.masks[0]);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& m : result.masks) all.push_back(list(m));
  return all;
}

}  // namespace bertforge::pipelines
