// data/loader.cpp — see loader.h.
#include "data/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "data/rng.h"

namespace bertforge::data {

void LoaderOptions::validate() const {
  if (batch_size < 1) throw config_error("per_device_train_batch_size", "batch size must be at least 1");
  if (world_size < 1) throw config_error("world_size", "must be at least 1");
  if (rank >= world_size)
    throw config_error("rank", fmt::format("rank {} is not below world size {}", rank, world_size));
  masking.validate();
}

nlohmann::json LoaderOptions::to_json() const {
  return {{"batch_size", batch_size},
          {"seed", seed},
          {"shuffle", shuffle},
          {"drop_last", drop_last},
          {"pad_to_multiple_of", pad_to_multiple_of},
          {"group_by_length", group_by_length},
          {"rank", rank},
          {"world_size", world_size},
          {"mlm", mlm},
          {"masking", masking.to_json()}};
}

LoaderOptions LoaderOptions::from_json(const nlohmann::json& j) {
  LoaderOptions o;
  o.batch_size = j.value("batch_size", o.batch_size);
  o.seed = j.value("seed", o.seed);
  o.shuffle = j.value("shuffle", o.shuffle);
  o.drop_last = j.value("drop_last", o.drop_last);
  o.pad_to_multiple_of = j.value("pad_to_multiple_of", o.pad_to_multiple_of);
  o.group_by_length = j.value("group_by_length", o.group_by_length);
  o.rank = j.value("rank", o.rank);
  o.world_size = j.value("world_size", o.world_size);
  o.mlm = j.value("mlm", o.mlm);
  if (j.contains("masking")) o.masking = MaskingOptions::from_json(j.at("masking"));
  return o;
}

DataSplit split_examples(uint64_t n, double eval_fraction, uint64_t seed) {
  if (!(eval_fraction >= 0 && eval_fraction < 1))
    throw config_error("eval_fraction", fmt::format("--eval-fraction {} must be in [0, 1)", eval_fraction));
  uint64_t k = static_cast<uint64_t>(std::llround(static_cast<double>(n) * eval_fraction));
  if (k > n) k = n;
  std::vector<uint64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(derive_seed({seed, 0x4556414C /* "EVAL" */}));
  // Partial Fisher-Yates: the first k positions are a uniform sample.
  for (uint64_t i = 0; i < k; ++i) std::swap(perm[i], perm[i + rng.below(n - i)]);
  DataSplit split;
  split.eval.assign(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(split.eval.begin(), split.eval.end());
  std::vector<uint8_t> is_eval(n, 0);
  for (uint64_t e : split.eval) is_eval[e] = 1;
  split.train.reserve(n - k);
  for (uint64_t i = 0; i < n; ++i)
    if (!is_eval[i]) split.train.push_back(i);
  return split;
}

Loader::Loader(const Dataset& dataset, LoaderOptions options)
    : Loader(dataset, std::vector<uint64_t>(), options) {
  examples_.resize(dataset.size());
  std::iota(examples_.begin(), examples_.end(), 0);
}

Loader::Loader(const Dataset& dataset, std::vector<uint64_t> examples, LoaderOptions options)
    : dataset_(dataset),
      examples_(std::move(examples)),
      options_(options),
      masker_(dataset.vocab(), options.masking) {
  options_.validate();
  for (uint64_t e : examples_)
    if (e >= dataset.size())
      throw config_error("examples",
                         fmt::format("example {} is not in the dataset ({} examples)", e, dataset.size()));
}

uint64_t Loader::examples_per_rank() const {
  uint64_t n = examples_.size(), w = options_.world_size;
  return (n + w - 1) / w;
}

uint64_t Loader::batches_per_epoch() const {
  uint64_t per_rank = examples_per_rank(), b = options_.batch_size;
  return options_.drop_last ? per_rank / b : (per_rank + b - 1) / b;
}

void Loader::ensure_order(uint64_t epoch) const {
  if (cached_epoch_ == epoch) return;
  const uint64_t n = examples_.size();
  std::vector<uint64_t> order(examples_);
  if (options_.shuffle) {
    Rng rng(derive_seed({options_.seed, 0x53485546 /* "SHUF" */, epoch}));
    for (uint64_t k = n; k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
  }
  if (options_.group_by_length && n > 0) {
    const uint64_t mega = static_cast<uint64_t>(options_.batch_size) * options_.world_size * 50;
    for (uint64_t s = 0; s < n; s += mega) {
      auto b = order.begin() + static_cast<std::ptrdiff_t>(s);
      auto e = order.begin() + static_cast<std::ptrdiff_t>(std::min(n, s + mega));
      std::stable_sort(b, e, [&](uint64_t x, uint64_t y) { return dataset_.length(x) > dataset_.length(y); });
    }
  }
  const uint64_t w = options_.world_size, per_rank = examples_per_rank();
  cached_order_.clear();
  cached_order_.reserve(per_rank);
  for (uint64_t k = 0; k < per_rank && n > 0; ++k)
    cached_order_.push_back(order[(options_.rank + k * w) % n]);
  cached_epoch_ = epoch;
}

std::vector<uint64_t> Loader::rank_order(uint64_t epoch) const {
  ensure_order(epoch);
  return cached_order_;
}

void Loader::fill_batch(const uint64_t* indices, size_t count, uint64_t epoch, Batch& batch) const {
  std::vector<std::vector<int64_t>> ids(count), types(count);
  uint64_t longest = 0;
  for (size_t r = 0; r < count; ++r) {
    dataset_.assemble(indices[r], ids[r], types[r]);
    longest = std::max<uint64_t>(longest, ids[r].size());
  }
  uint64_t t = longest;
  if (options_.pad_to_multiple_of > 1)
    t = (t + options_.pad_to_multiple_of - 1) / options_.pad_to_multiple_of * options_.pad_to_multiple_of;
  batch.batch_size = count;
  batch.seq_len = t;
  batch.input_ids.assign(count * t, dataset_.vocab().pad_id);
  batch.token_type_ids.assign(count * t, 0);
  batch.attention_mask.assign(count * t, 0);
  batch.labels.assign(count * t, kIgnoreIndex);
  batch.next_sentence_label.assign(count, kIgnoreIndex);
  batch.example_indices.assign(indices, indices + count);
  for (size_t r = 0; r < count; ++r) {
    const size_t len = ids[r].size();
    int64_t* row_ids = batch.input_ids.data() + r * t;
    std::copy(ids[r].begin(), ids[r].end(), row_ids);
    std::copy(types[r].begin(), types[r].end(),
              batch.token_type_ids.begin() + static_cast<std::ptrdiff_t>(r * t));
    std::fill_n(batch.attention_mask.begin() + static_cast<std::ptrdiff_t>(r * t), len, 1);
    if (options_.mlm) masker_.apply(epoch, indices[r], row_ids, batch.labels.data() + r * t, len);
    int label = dataset_.example(indices[r]).label;
    batch.next_sentence_label[r] = label == kNoNspLabel ? kIgnoreIndex : label;
  }
}

Batch Loader::batch_at(uint64_t epoch, uint64_t position) const {
  if (position >= batches_per_epoch())
    throw config_error("position", fmt::format("batch {} is past the end of the epoch ({} batches)", position,
                                               batches_per_epoch()));
  ensure_order(epoch);
  const uint64_t b = options_.batch_size;
  const uint64_t begin = position * b;
  const uint64_t count = std::min<uint64_t>(b, cached_order_.size() - begin);
  Batch batch;
  fill_batch(cached_order_.data() + begin, count, epoch, batch);
  batch.epoch = epoch;
  batch.position = position;
  return batch;
}

bool Loader::next(Batch& batch) {
  if (state_.position >= batches_per_epoch()) {
    state_ = {state_.epoch + 1, 0};
    return false;
  }
  batch = batch_at(state_.epoch, state_.position);
  ++state_.position;
  return true;
}

void Loader::seek(LoaderState state) {
  if (state.position > batches_per_epoch())
    throw config_error("position",
                       fmt::format("saved data position {} is past the end of the epoch ({} batches); "
                                   "was the batch size or the world size changed?",
                                   state.position, batches_per_epoch()));
  state_ = state;
}

}  // namespace bertforge::data
