// data/loader.h — batches for the trainer: shuffled per epoch from the seed, sharded by (rank, world size),
// masked (data/masking.h), padded to the longest example in the batch. No torch here: batches are plain
// row-major int64 vectors that the trainer wraps into tensors (torch::from_blob(...).clone() or similar).
//
// Order of one epoch (all ranks compute the same global order, then take their share):
//   1. permutation of the split's examples from (seed, epoch) (identity with shuffle = false);
//   2. group_by_length: cut into megabatches of batch_size * world_size * 50 and sort each by length,
//      longest first (HF's LengthGroupedSampler idea), so batches need less padding;
//   3. sharding as torch's DistributedSampler: the order is padded by repeating its start to a multiple of
//      world_size and rank r takes positions r, r + W, r + 2W, ...;
//   4. consecutive runs of batch_size make the batches; drop_last drops the last incomplete batch.
// State = (epoch, position = batches already given in that epoch). seek() restores it in O(1) batches: no
// batch is replayed (building the epoch's order is O(examples), done once per epoch).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/format.h"
#include "data/masking.h"

namespace bertforge::data {

struct LoaderOptions {
  uint32_t batch_size = 8;          // examples per batch on this process (per_device_train_batch_size)
  uint64_t seed = 42;               // shuffling (and, through masking.seed, masks)
  bool shuffle = true;              // false: the split's order (evaluation)
  bool drop_last = false;           // drop the last incomplete batch of an epoch (dataloader_drop_last)
  uint32_t pad_to_multiple_of = 0;  // round the padded length up to a multiple (0 = off)
  bool group_by_length = false;     // batches of similar lengths (less padding)
  uint32_t rank = 0;                // this process among world_size
  uint32_t world_size = 1;
  bool mlm = true;         // apply MLM masking (false: labels all -100, inputs unmasked)
  MaskingOptions masking;  // set masking.seed = seed unless you want them different

  void validate() const;
  nlohmann::json to_json() const;
  static LoaderOptions from_json(const nlohmann::json& j);
};

struct LoaderState {
  uint64_t epoch = 0;
  uint64_t position = 0;  // batches of `epoch` already produced
  nlohmann::json to_json() const { return {{"epoch", epoch}, {"position", position}}; }
  static LoaderState from_json(const nlohmann::json& j) {
    return {j.at("epoch").get<uint64_t>(), j.at("position").get<uint64_t>()};
  }
  bool operator==(const LoaderState& o) const { return epoch == o.epoch && position == o.position; }
};

// B x T row-major. next_sentence_label: 0/1, or -100 for MLM-only datasets.
struct Batch {
  uint64_t batch_size = 0;                   // B (the last batch of an epoch can be smaller)
  uint64_t seq_len = 0;                      // T
  std::vector<int64_t> input_ids;            // masked when mlm; [PAD] after the example
  std::vector<int64_t> token_type_ids;       // 0 for [CLS] A [SEP] and padding, 1 for B [SEP]
  std::vector<int64_t> attention_mask;       // 1 on tokens, 0 on padding
  std::vector<int64_t> labels;               // original id at masked positions, -100 elsewhere
  std::vector<int64_t> next_sentence_label;  // B entries
  std::vector<uint64_t> example_indices;     // dataset index of each row (for debugging / tests)
  uint64_t epoch = 0, position = 0;          // where this batch sits
};

// Deterministic hold-out: round(n * eval_fraction) examples chosen by a permutation from `seed`; both lists
// sorted. Depends only on (n, eval_fraction, seed).
struct DataSplit {
  std::vector<uint64_t> train;
  std::vector<uint64_t> eval;
};
DataSplit split_examples(uint64_t num_examples, double eval_fraction, uint64_t seed);

class Loader {
 public:
  // Over all examples of the dataset.
  Loader(const Dataset& dataset, LoaderOptions options);
  // Over a subset (e.g. DataSplit::train), dataset indices.
  Loader(const Dataset& dataset, std::vector<uint64_t> examples, LoaderOptions options);

  uint64_t num_examples() const { return examples_.size(); }  // in the split, all ranks
  uint64_t examples_per_rank() const;                         // per epoch, padding included
  uint64_t batches_per_epoch() const;

  // Next batch of the current epoch. At the end of the epoch returns false and moves to (epoch + 1, 0).
  bool next(Batch& batch);
  LoaderState state() const { return state_; }
  void seek(LoaderState state);  // any (epoch, position); position <= batches_per_epoch()

  // The batch at (epoch, position), independent of the loader's state (what next() gives there).
  Batch batch_at(uint64_t epoch, uint64_t position) const;
  // This rank's example order of `epoch` (dataset indices), padding included.
  std::vector<uint64_t> rank_order(uint64_t epoch) const;

  const LoaderOptions& options() const { return options_; }

 private:
  void ensure_order(uint64_t epoch) const;
  void fill_batch(const uint64_t* indices, size_t count, uint64_t epoch, Batch& batch) const;

  const Dataset& dataset_;
  std::vector<uint64_t> examples_;
  LoaderOptions options_;
  Masker masker_;
  LoaderState state_;
  mutable uint64_t cached_epoch_ = UINT64_MAX;
  mutable std::vector<uint64_t> cached_order_;
};

}  // namespace bertforge::data
