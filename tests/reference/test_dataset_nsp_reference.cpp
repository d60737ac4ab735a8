// tests/reference/test_dataset_nsp_reference.cpp — bertforge's NSP builder against a plain-Python port of
// HF's TextDatasetForNextSentencePrediction (tests/reference/nsp_reference.py), fed the same token ids. The
// random streams differ, so the comparison is statistical: example count, NSP label balance, length
// distribution.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "data/build.h"
#include "data/stats.h"
#include "unit/data/data_test_util.h"

namespace bertforge::data {
namespace {

using testing::TempDir;

// A corpus shaped like wiki text: documents of 1-30 sentences, sentences of 3-45 tokens, some one-liners.
testing::Documents wiki_like(uint64_t seed, int n) {
  testing::Documents docs = testing::random_documents(seed, n, 1, 30, 3, 45, 30000);
  testing::Documents shorts = testing::random_documents(seed + 1, n / 10, 1, 1, 2, 20, 30000);
  docs.insert(docs.end(), shorts.begin(), shorts.end());
  Rng rng(seed + 2);
  for (size_t k = docs.size(); k > 1; --k) std::swap(docs[k - 1], docs[rng.below(k)]);
  return docs;
}

nlohmann::json run_reference(const fs::path& json_file, const std::string& args) {
  std::string cmd = std::string("python3 ") + BERTFORGE_SOURCE_DIR +
                    "/tests/reference/nsp_reference.py --json " + json_file.string() + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return nullptr;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) {
    ADD_FAILURE() << "reference failed: " << cmd;
    return nullptr;
  }
  return nlohmann::json::parse(out);
}

// Total variation distance between two histograms.
double tv_distance(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  double na = 0, nb = 0;
  for (auto x : a) na += x;
  for (auto x : b) nb += x;
  double d = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    double pa = i < a.size() ? a[i] / na : 0, pb = i < b.size() ? b[i] / nb : 0;
    d += std::fabs(pa - pb);
  }
  return d / 2;
}

struct Case {
  uint32_t block_size;
  double short_seq, nsp;
};

class NspReference : public ::testing::TestWithParam<Case> {};

TEST_P(NspReference, StatisticsMatchHfPort) {
  const Case c = GetParam();
  TempDir tmp;
  testing::Documents docs = wiki_like(100 + c.block_size, 2500);
  {
    std::ofstream out(tmp / "docs.json");
    out << nlohmann::json({{"documents", docs}}).dump();
  }
  NspOptions o;
  o.block_size = c.block_size;
  o.short_seq_probability = c.short_seq;
  o.nsp_probability = c.nsp;
  write_dataset_from_documents(tmp / "ds", docs, o, testing::synthetic_vocab(30000));
  Dataset ds(tmp / "ds");
  const uint32_t width = c.block_size / 8;  // 8 buckets + the full-block bucket: noise stays small
  DatasetStats ours = dataset_stats(ds, width);
  nlohmann::json ref =
      run_reference(tmp / "docs.json", fmt::format("--block-size {} --short-seq-probability {} "
                                                   "--nsp-probability {} --bucket-width {}",
                                                   c.block_size, c.short_seq, c.nsp, width));
  ASSERT_FALSE(ref.is_null());
  double ref_examples = ref["examples"].get<double>();
  ASSERT_GT(ref_examples, 5000);
  double ref_random = ref["random_next"].get<double>() / ref_examples;
  double our_random = static_cast<double>(ours.random_next) / ours.examples;
  EXPECT_NEAR(ours.examples / ref_examples, 1.0, 0.02) << ours.examples << " vs " << ref_examples;
  EXPECT_NEAR(our_random, ref_random, 0.015);
  EXPECT_NEAR(ours.mean_length / ref["mean_length"].get<double>(), 1.0, 0.02);
  EXPECT_EQ(ours.max_length, ref["max_length"].get<uint32_t>());
  EXPECT_LE(ours.max_length, c.block_size);
  EXPECT_LT(tv_distance(ours.histogram, ref["histogram"].get<std::vector<uint64_t>>()), 0.03)
      << nlohmann::json(ours.histogram).dump() << " vs " << ref["histogram"].dump();
  std::printf("block %u: examples %llu vs %.0f, random-next %.4f vs %.4f, mean length %.2f vs %.2f\n",
              c.block_size, static_cast<unsigned long long>(ours.examples), ref_examples, our_random,
              ref_random, ours.mean_length, ref["mean_length"].get<double>());
}

INSTANTIATE_TEST_SUITE_P(Configs, NspReference,
                         ::testing::Values(Case{128, 0.1, 0.5}, Case{64, 0.2, 0.3}, Case{512, 0.1, 0.5}));

TEST(NspReferenceHf, HfSubtractsSpecialsTwice) {
  // The documented difference: HF's examples stop at block_size - 3, ours reach block_size.
  TempDir tmp;
  testing::Documents docs = wiki_like(7, 300);
  {
    std::ofstream out(tmp / "docs.json");
    out << nlohmann::json({{"documents", docs}}).dump();
  }
  nlohmann::json hf = run_reference(tmp / "docs.json", "--block-size 128 --max-num-tokens-mode hf");
  ASSERT_FALSE(hf.is_null());
  EXPECT_EQ(hf["max_length"].get<uint32_t>(), 125u);
  NspOptions o;
  write_dataset_from_documents(tmp / "ds", docs, o, testing::synthetic_vocab(30000));
  EXPECT_EQ(dataset_stats(Dataset(tmp / "ds")).max_length, 128u);
}

}  // namespace
}  // namespace bertforge::data
