// pipelines/evaluate.cpp — see evaluate.h.
#include "pipelines/evaluate.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <numeric>
#include <unordered_map>

#include "common/error.h"
#include "common/progress.h"
#include "data/loader.h"

namespace bertforge::pipelines {

void EvaluateOptions::validate() const {
  if (batch_size == 0) throw config_error("batch_size", "must be >= 1");
  masking.validate();
}

nlohmann::json EvaluateResult::to_json() const {
  nlohmann::json j = {{"examples", examples},
                      {"masked_tokens", masked_tokens},
                      {"eval_loss", loss},
                      {"eval_mlm_accuracy", mlm_accuracy},
                      {"baseline_accuracy", baseline_accuracy},
                      {"baseline_token", baseline_token}};
  if (nsp_accuracy >= 0) j["eval_nsp_accuracy"] = nsp_accuracy;
  return j;
}

EvaluateResult evaluate(models::BertLMImpl& model, const data::Dataset& dataset,
                        const EvaluateOptions& options, std::vector<uint64_t> examples) {
  options.validate();
  if (dataset.vocab().vocab_size > static_cast<uint64_t>(model.config().vocab_size))
    throw Error(
        ErrorKind::kConfig,
        fmt::format("{}: the dataset was built with a vocab of {} tokens but the model's vocab_size is {}",
                    dataset.file().string(), dataset.vocab().vocab_size, model.config().vocab_size));
  if (examples.empty()) {
    examples.resize(dataset.size());
    std::iota(examples.begin(), examples.end(), 0);
  }
  if (options.max_examples > 0 && examples.size() > options.max_examples)
    examples.resize(options.max_examples);
  if (examples.empty())
    throw Error(ErrorKind::kConfig, fmt::format("{}: no examples to evaluate", dataset.file().string()));

  data::LoaderOptions lo;
  lo.batch_size = options.batch_size;
  lo.shuffle = false;
  lo.seed = options.seed;
  lo.mlm = true;
  lo.masking = options.masking;
  lo.masking.seed = options.seed;
  data::Loader loader(dataset, examples, lo);

  const bool nsp = model.has_nsp() && dataset.has_nsp();
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  EvaluateResult r;
  r.examples = examples.size();
  uint64_t correct = 0, nsp_correct = 0, nsp_total = 0, batches = 0;
  double loss_sum = 0;
  std::unordered_map<int64_t, uint64_t> label_counts;
  ProgressBar bar("evaluate", loader.batches_per_epoch(), "batches");
  data::Batch b;
  while (loader.next(b)) {
    const int64_t B = static_cast<int64_t>(b.batch_size), T = static_cast<int64_t>(b.seq_len);
    auto opts = torch::TensorOptions().dtype(torch::kInt64);
    auto ids = torch::from_blob(b.input_ids.data(), {B, T}, opts);
    auto types = torch::from_blob(b.token_type_ids.data(), {B, T}, opts);
    auto att = torch::from_blob(b.attention_mask.data(), {B, T}, opts);
    auto labels = torch::from_blob(b.labels.data(), {B, T}, opts);
    torch::Tensor nsp_labels;
    if (nsp) nsp_labels = torch::from_blob(b.next_sentence_label.data(), {B}, opts);
    auto out = model.forward(ids, types, att, labels, nsp_labels, models::MlmHead::kMaskedOnly);
    if (out.loss.defined()) loss_sum += out.loss.item<double>();
    ++batches;
    if (out.prediction_logits.defined() && out.prediction_logits.size(0) > 0) {
      auto pred = out.prediction_logits.argmax(-1);  // (N,) in row-major order of the masked positions
      auto target = labels.reshape({-1}).index_select(0, out.masked_positions);
      correct += pred.eq(target).sum().item<int64_t>();
      r.masked_tokens += static_cast<uint64_t>(target.size(0));
      auto t = target.contiguous();
      const int64_t* tp = t.data_ptr<int64_t>();
      for (int64_t i = 0; i < t.size(0); ++i) ++label_counts[tp[i]];
    }
    if (nsp && out.seq_relationship_logits.defined()) {
      nsp_correct += out.seq_relationship_logits.argmax(-1).eq(nsp_labels).sum().item<int64_t>();
      nsp_total += static_cast<uint64_t>(B);
    }
    bar.advance();
  }
  bar.finish();
  if (was_training) model.train();
  r.loss = batches ? loss_sum / static_cast<double>(batches) : 0;
  r.mlm_accuracy = r.masked_tokens ? static_cast<double>(correct) / r.masked_tokens : 0;
  if (nsp_total) r.nsp_accuracy = static_cast<double>(nsp_correct) / nsp_total;
  uint64_t best = 0;
  for (auto& [tok, n] : label_counts)
    if (n > best || (n == best && tok < r.baseline_token)) {
      best = n;
      r.baseline_token = tok;
    }
  r.baseline_accuracy = r.masked_tokens ? static_cast<double>(best) / r.masked_tokens : 0;
  return r;
}

}  // namespace bertforge::pipelines
