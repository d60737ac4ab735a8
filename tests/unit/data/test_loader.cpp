// tests/unit/data/test_loader.cpp — batches: padding and layout, per-epoch shuffling from the seed, seek
// equals replay, sharding partitions the examples, masks independent of batch size / world size, length
// grouping, the deterministic eval split.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "data/build.h"
#include "data/loader.h"
#include "data_test_util.h"

namespace bertforge::data {
namespace {

using testing::synthetic_vocab;
using testing::TempDir;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto docs = testing::random_documents(21, 80, 1, 12, 1, 15);
    NspOptions o;
    o.block_size = 40;
    write_dataset_from_documents(tmp_ / "ds", docs, o, synthetic_vocab());
    ds_ = std::make_unique<Dataset>(tmp_ / "ds");
    ASSERT_GT(ds_->size(), 100u);
  }
  TempDir tmp_;
  std::unique_ptr<Dataset> ds_;
};

TEST_F(LoaderTest, BatchLayoutAndPadding) {
  LoaderOptions o;
  o.batch_size = 5;
  o.mlm = false;
  o.pad_to_multiple_of = 8;
  Loader loader(*ds_, o);
  Batch b = loader.batch_at(0, 0);
  ASSERT_EQ(b.batch_size, 5u);
  EXPECT_EQ(b.seq_len % 8, 0u);
  ASSERT_EQ(b.input_ids.size(), 5 * b.seq_len);
  uint64_t longest = 0;
  for (size_t r = 0; r < 5; ++r) {
    std::vector<int64_t> ids, types;
    ds_->assemble(b.example_indices[r], ids, types);
    longest = std::max<uint64_t>(longest, ids.size());
    for (size_t t = 0; t < b.seq_len; ++t) {
      size_t k = r * b.seq_len + t;
      if (t < ids.size()) {
        EXPECT_EQ(b.input_ids[k], ids[t]);
        EXPECT_EQ(b.token_type_ids[k], types[t]);
        EXPECT_EQ(b.attention_mask[k], 1);
      } else {
        EXPECT_EQ(b.input_ids[k], 0);  // [PAD]
        EXPECT_EQ(b.token_type_ids[k], 0);
        EXPECT_EQ(b.attention_mask[k], 0);
        EXPECT_EQ(b.labels[k], -100);
      }
      EXPECT_EQ(b.labels[k], -100);  // mlm off
    }
    EXPECT_EQ(b.next_sentence_label[r], ds_->example(b.example_indices[r]).label);
  }
  EXPECT_EQ(b.seq_len, (longest + 7) / 8 * 8);
}

TEST_F(LoaderTest, EpochsCoverAllExamplesInDifferentOrders) {
  LoaderOptions o;
  o.batch_size = 7;
  Loader loader(*ds_, o);
  std::vector<std::vector<uint64_t>> orders;
  for (int e = 0; e < 2; ++e) {
    std::vector<uint64_t> seen;
    Batch b;
    while (loader.next(b)) seen.insert(seen.end(), b.example_indices.begin(), b.example_indices.end());
    EXPECT_EQ(loader.state(), (LoaderState{static_cast<uint64_t>(e + 1), 0}));
    std::vector<uint64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted.size(), ds_->size());
    for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
    orders.push_back(seen);
  }
  EXPECT_NE(orders[0], orders[1]) << "each epoch has its own order";
  o.shuffle = false;
  Loader plain(*ds_, o);
  auto order = plain.rank_order(5);
  for (size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], i);
}

TEST_F(LoaderTest, SeekEqualsReplay) {
  LoaderOptions o;
  o.batch_size = 6;
  Loader replay(*ds_, o);
  std::vector<Batch> all;
  Batch b;
  for (int step = 0; step < 60; ++step) {
    if (!replay.next(b)) continue;
    all.push_back(b);
  }
  ASSERT_GT(all.size(), 40u);
  for (size_t k : {0ul, 1ul, 13ul, all.size() - 1}) {
    Loader resumed(*ds_, o);
    resumed.seek({all[k].epoch, all[k].position});
    // Save/restore through JSON as a checkpoint would.
    LoaderState s = LoaderState::from_json(resumed.state().to_json());
    Loader again(*ds_, o);
    again.seek(s);
    ASSERT_TRUE(again.next(b));
    EXPECT_EQ(b.example_indices, all[k].example_indices);
    EXPECT_EQ(b.input_ids, all[k].input_ids) << "masks must be identical after a resume";
    EXPECT_EQ(b.labels, all[k].labels);
    EXPECT_EQ(b.next_sentence_label, all[k].next_sentence_label);
  }
}

TEST_F(LoaderTest, ShardingPartitionsExamples) {
  for (uint32_t world : {1u, 2u, 3u, 4u}) {
    std::map<uint64_t, int> count;
    uint64_t per_rank = 0;
    for (uint32_t rank = 0; rank < world; ++rank) {
      LoaderOptions o;
      o.batch_size = 4;
      o.rank = rank;
      o.world_size = world;
      Loader loader(*ds_, o);
      per_rank = loader.examples_per_rank();
      auto order = loader.rank_order(2);
      EXPECT_EQ(order.size(), per_rank);
      for (uint64_t e : order) ++count[e];
    }
    // Every example on some rank; the only duplicates are the padding to a multiple of world (< world).
    EXPECT_EQ(count.size(), ds_->size()) << world;
    uint64_t dupes = per_rank * world - ds_->size();
    EXPECT_LT(dupes, world);
    uint64_t extra = 0;
    for (auto [e, c] : count) extra += c - 1;
    EXPECT_EQ(extra, dupes);
  }
}

TEST_F(LoaderTest, ShardedMasksEqualSingleProcessMasks) {
  // The mask of an example depends on (seed, epoch, example) only: compare rows across configurations.
  auto rows = [&](uint32_t batch, uint32_t world) {
    std::map<uint64_t, std::vector<int64_t>> out;
    for (uint32_t rank = 0; rank < world; ++rank) {
      LoaderOptions o;
      o.batch_size = batch;
      o.rank = rank;
      o.world_size = world;
      Loader loader(*ds_, o);
      for (uint64_t p = 0; p < loader.batches_per_epoch(); ++p) {
        Batch b = loader.batch_at(1, p);
        for (size_t r = 0; r < b.batch_size; ++r) {
          std::vector<int64_t> row(b.input_ids.begin() + r * b.seq_len,
                                   b.input_ids.begin() + r * b.seq_len + ds_->length(b.example_indices[r]));
          out[b.example_indices[r]] = row;
        }
      }
    }
    return out;
  };
  auto single = rows(8, 1);
  EXPECT_EQ(single, rows(3, 1));
  EXPECT_EQ(single, rows(5, 3));
}

TEST_F(LoaderTest, DropLastAndBatchCounts) {
  LoaderOptions o;
  o.batch_size = 16;
  Loader keep(*ds_, o);
  o.drop_last = true;
  Loader drop(*ds_, o);
  uint64_t n = ds_->size();
  EXPECT_EQ(keep.batches_per_epoch(), (n + 15) / 16);
  EXPECT_EQ(drop.batches_per_epoch(), n / 16);
  Batch last = keep.batch_at(0, keep.batches_per_epoch() - 1);
  EXPECT_EQ(last.batch_size, n % 16 == 0 ? 16 : n % 16);
  EXPECT_THROW(keep.seek({0, keep.batches_per_epoch() + 1}), Error);
}

TEST_F(LoaderTest, GroupByLengthCutsPadding) {
  LoaderOptions o;
  o.batch_size = 4;
  o.mlm = false;
  auto padding = [&](const Loader& l) {
    uint64_t pad = 0;
    for (uint64_t p = 0; p < l.batches_per_epoch(); ++p) {
      Batch b = l.batch_at(0, p);
      for (int64_t m : b.attention_mask) pad += m == 0;
    }
    return pad;
  };
  Loader plain(*ds_, o);
  o.group_by_length = true;
  Loader grouped(*ds_, o);
  EXPECT_LT(padding(grouped), padding(plain));
  auto order = grouped.rank_order(0);
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], i);
}

TEST_F(LoaderTest, SubsetLoader) {
  DataSplit split = split_examples(ds_->size(), 0.1, 42);
  LoaderOptions o;
  o.batch_size = 3;
  o.shuffle = false;
  Loader eval(*ds_, split.eval, o);
  std::vector<uint64_t> seen;
  Batch b;
  while (eval.next(b)) seen.insert(seen.end(), b.example_indices.begin(), b.example_indices.end());
  EXPECT_EQ(seen, split.eval);
}

TEST(DataSplit, DeterministicDisjointAndSized) {
  DataSplit a = split_examples(1000, 0.05, 42), b = split_examples(1000, 0.05, 42),
            c = split_examples(1000, 0.05, 7);
  EXPECT_EQ(a.eval, b.eval);
  EXPECT_NE(a.eval, c.eval);
  EXPECT_EQ(a.eval.size(), 50u);
  EXPECT_EQ(a.train.size(), 950u);
  std::set<uint64_t> all(a.train.begin(), a.train.end());
  for (uint64_t e : a.eval) EXPECT_TRUE(all.insert(e).second);
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_TRUE(split_examples(10, 0, 1).eval.empty());
  EXPECT_THROW(split_examples(10, 1.0, 1), Error);
}

TEST(LoaderOptionsTest, Validation) {
  LoaderOptions o;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  o.batch_size = 0;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  EXPECT_EQ(LoaderOptions::from_json(o.to_json()).to_json(), o.to_json());
}

}  // namespace
}  // namespace bertforge::data
