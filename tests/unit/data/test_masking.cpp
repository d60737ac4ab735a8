// tests/unit/data/test_masking.cpp — DataCollatorForLanguageModeling semantics: selection rate and 80/10/10
// within binomial bounds, special tokens never touched, labels exact, whole-word masking, purity in
// (seed, epoch, example).
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "data/masking.h"
#include "data_test_util.h"

namespace bertforge::data {
namespace {

using testing::synthetic_vocab;

// |x - n p| <= 5 sigma: fails by chance with probability < 1e-6.
void expect_binomial(uint64_t x, uint64_t n, double p, const char* what) {
  double mean = n * p, sd = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(x), mean, 5 * sd + 1) << what << ": " << x << " of " << n;
}

std::vector<int64_t> example(Rng& rng, size_t len, uint32_t vocab) {
  std::vector<int64_t> ids = {2};  // [CLS] A [SEP] B [SEP] with a few [UNK] inside
  for (size_t i = 0; i < len; ++i)
    ids.push_back(rng.uniform() < 0.02 ? 1 : static_cast<int64_t>(rng.randint(5, vocab - 1)));
  ids[len / 2] = 3;
  ids.push_back(3);
  return ids;
}

TEST(Masking, RatesLabelsAndSpecials) {
  auto vocab = synthetic_vocab(1000);
  MaskingOptions o;
  Masker m(vocab, o);
  Rng rng(1);
  uint64_t eligible = 0, selected = 0, to_mask = 0, to_random_or_same = 0, unchanged = 0;
  for (uint64_t ex = 0; ex < 3000; ++ex) {
    auto orig = example(rng, 100, 1000);
    auto ids = orig;
    std::vector<int64_t> labels(ids.size());
    m.apply(0, ex, ids.data(), labels.data(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      bool special = vocab.is_special(static_cast<uint32_t>(orig[i]));
      if (special) {
        ASSERT_EQ(ids[i], orig[i]) << "special token changed";
        ASSERT_EQ(labels[i], kIgnoreIndex);
        continue;
      }
      ++eligible;
      if (labels[i] == kIgnoreIndex) {
        ASSERT_EQ(ids[i], orig[i]) << "unselected token changed";
        continue;
      }
      ASSERT_EQ(labels[i], orig[i]) << "label must be the original id";
      ++selected;
      if (ids[i] == vocab.mask_id)
        ++to_mask;
      else {
        ++to_random_or_same;
        if (ids[i] == orig[i]) ++unchanged;
        ASSERT_GE(ids[i], 0);
        ASSERT_LT(ids[i], 1000);
      }
    }
  }
  expect_binomial(selected, eligible, 0.15, "selected");
  expect_binomial(to_mask, selected, 0.8, "[MASK]");
  // The random replacement may draw the original id (1 in 1000): unchanged ~ 0.5 of the non-[MASK] share.
  expect_binomial(unchanged, to_random_or_same, 0.5 + 0.5 / 1000, "unchanged");
}

TEST(Masking, ConfigurableRatios) {
  auto vocab = synthetic_vocab(1000);
  MaskingOptions o;
  o.mlm_probability = 0.4;
  o.mask_replace_prob = 0.5;
  o.random_replace_prob = 0.0;
  Masker m(vocab, o);
  Rng rng(2);
  uint64_t eligible = 0, selected = 0, masked = 0;
  for (uint64_t ex = 0; ex < 1000; ++ex) {
    auto orig = example(rng, 50, 1000);
    auto ids = orig;
    std::vector<int64_t> labels(ids.size());
    m.apply(3, ex, ids.data(), labels.data(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (vocab.is_special(static_cast<uint32_t>(orig[i]))) continue;
      ++eligible;
      if (labels[i] != kIgnoreIndex) {
        ++selected;
        if (ids[i] == 4)
          ++masked;
        else
          ASSERT_EQ(ids[i], orig[i]) << "random_replace_prob 0: no random tokens";
      }
    }
  }
  expect_binomial(selected, eligible, 0.4, "selected");
  expect_binomial(masked, selected, 0.5, "masked");
}

TEST(Masking, AllOrNothing) {
  auto vocab = synthetic_vocab(100);
  std::vector<int64_t> orig = {2, 10, 11, 3, 12, 3};
  MaskingOptions o;
  o.mlm_probability = 1;
  o.mask_replace_prob = 1;
  o.random_replace_prob = 0;
  auto ids = orig;
  std::vector<int64_t> labels(ids.size());
  Masker(vocab, o).apply(0, 0, ids.data(), labels.data(), ids.size());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 4, 4, 3, 4, 3}));
  EXPECT_EQ(labels, (std::vector<int64_t>{-100, 10, 11, -100, 12, -100}));
  o.mlm_probability = 0;
  ids = orig;
  Masker(vocab, o).apply(0, 0, ids.data(), labels.data(), ids.size());
  EXPECT_EQ(ids, orig);
  EXPECT_EQ(labels, std::vector<int64_t>(6, -100));
}

TEST(Masking, PureFunctionOfSeedEpochExample) {
  auto vocab = synthetic_vocab(1000);
  MaskingOptions o;
  Masker m(vocab, o);
  Rng rng(3);
  auto orig = example(rng, 200, 1000);
  auto run = [&](const Masker& mk, uint64_t epoch, uint64_t ex) {
    auto ids = orig;
    std::vector<int64_t> labels(ids.size());
    mk.apply(epoch, ex, ids.data(), labels.data(), ids.size());
    return std::make_pair(ids, labels);
  };
  auto base = run(m, 1, 17);
  EXPECT_EQ(base, run(m, 1, 17));
  EXPECT_NE(base, run(m, 2, 17));
  EXPECT_NE(base, run(m, 1, 18));
  o.seed = 43;
  EXPECT_NE(base, run(Masker(vocab, o), 1, 17));
}

TEST(Masking, WholeWordMasksWholeWords) {
  // Ids >= 500 are "##" continuations.
  auto vocab = synthetic_vocab(1000, 500);
  MaskingOptions o;
  o.whole_word_mask = true;
  o.mask_replace_prob = 1;
  o.random_replace_prob = 0;
  Masker m(vocab, o);
  Rng rng(4);
  uint64_t total_selected = 0, total_len = 0;
  for (uint64_t ex = 0; ex < 500; ++ex) {
    // Words of 1-3 pieces: a head in [5, 500), continuations in [500, 1000).
    std::vector<int64_t> orig = {2};
    std::vector<std::pair<size_t, size_t>> words;
    int n_words = static_cast<int>(rng.randint(5, 40));
    for (int w = 0; w < n_words; ++w) {
      size_t b = orig.size();
      orig.push_back(rng.randint(5, 499));
      int pieces = static_cast<int>(rng.randint(0, 2));
      for (int p = 0; p < pieces; ++p) orig.push_back(rng.randint(500, 999));
      words.emplace_back(b, orig.size());
      if (w == n_words / 2) orig.push_back(3);
    }
    orig.push_back(3);
    // A continuation right after [SEP] starts its own word (it does not join the word before [SEP]).
    auto ids = orig;
    std::vector<int64_t> labels(ids.size());
    m.apply(0, ex, ids.data(), labels.data(), ids.size());
    uint64_t selected = 0;
    for (auto [b, e] : words) {
      bool first = labels[b] != kIgnoreIndex;
      for (size_t i = b; i < e; ++i) {
        ASSERT_EQ(labels[i] != kIgnoreIndex, first) << "word partly masked in example " << ex;
        if (first) {
          ASSERT_EQ(labels[i], orig[i]);
          ASSERT_EQ(ids[i], 4);
          ++selected;
        }
      }
    }
    for (size_t i = 0; i < orig.size(); ++i)
      if (orig[i] < 5) ASSERT_EQ(labels[i], kIgnoreIndex);
    // HF: at most max(1, round(len * p)) tokens, whole words only.
    uint64_t budget = std::max<uint64_t>(1, static_cast<uint64_t>(std::nearbyint(orig.size() * 0.15)));
    ASSERT_LE(selected, budget);
    ASSERT_GE(selected + 2, std::min<uint64_t>(budget, orig.size()))
        << "greedy fill leaves at most a 3-piece word's gap";
    total_selected += selected;
    total_len += orig.size();
  }
  EXPECT_NEAR(static_cast<double>(total_selected) / total_len, 0.15, 0.03);
}

TEST(Masking, OptionsValidated) {
  MaskingOptions o;
  o.mask_replace_prob = 0.9;
  o.random_replace_prob = 0.2;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  o.mlm_probability = -0.1;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  EXPECT_EQ(MaskingOptions::from_json(o.to_json()).to_json(), o.to_json());
}

}  // namespace
}  // namespace bertforge::data
