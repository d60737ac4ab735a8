// Unit tests of the memorization audit's numbers (privacy/audit_exposure.cpp): sampled exposure, the
// normal-tail extrapolation, the exact multi-piece rank count (against brute force), summaries.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <random>

#include "common/error.h"
#include "privacy/audit.h"

using namespace bertforge::privacy;

TEST(AuditExposure, SecretAboveAllCandidatesHasTheMaximum) {
  std::vector<double> cands(999);
  for (size_t i = 0; i < cands.size(); ++i) cands[i] = -10.0 - static_cast<double>(i) * 0.01;
  ExposureEstimate e = estimate_exposure(-1.0, cands, 8 * std::log2(10.0));
  EXPECT_DOUBLE_EQ(e.above, 0);
  EXPECT_NEAR(e.exposure, std::log2(1000.0), 1e-12);  // log2(N+1)
  EXPECT_NEAR(e.rank_estimate, 1e8 / 1000.0, 1e-3);   // |space| * 1/(N+1)
  EXPECT_GT(e.exposure_extrapolated, e.exposure) << "far above the candidates: the fit sees beyond log2(N+1)";
  EXPECT_LE(e.exposure_extrapolated, e.log2_space);
}

TEST(AuditExposure, SecretBelowAllCandidatesHasAlmostNone) {
  std::vector<double> cands = {1, 2, 3, 4, 5, 6, 7};
  ExposureEstimate e = estimate_exposure(0.0, cands, 20);
  EXPECT_DOUBLE_EQ(e.above, 7);
  EXPECT_NEAR(e.exposure, 0.0, 1e-12);
  EXPECT_NEAR(e.rank_estimate, std::exp2(20), 1e-6);
  EXPECT_LT(e.exposure_extrapolated, 0.5);
}

TEST(AuditExposure, MiddleRankAndTies) {
  // 3 above, 2 tied (count half), 5 below: c = 4, N = 10 -> log2(11) - log2(5).
  std::vector<double> cands = {9, 8, 7, 5, 5, 1, 0, -1, -2, -3};
  ExposureEstimate e = estimate_exposure(5.0, cands, 30);
  EXPECT_DOUBLE_EQ(e.above, 4);
  EXPECT_NEAR(e.exposure, std::log2(11.0) - std::log2(5.0), 1e-12);
}

TEST(AuditExposure, ExtrapolationIsTheNormalTail) {
  // Candidates symmetric around 0 with sample sd 1: a secret at +2 sd has tail 0.02275 -> 5.458 bits.
  std::vector<double> cands;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (int i = 0; i < 20000; ++i) cands.push_back(nd(rng));
  double mean = 0, var = 0;
  for (double c : cands) mean += c;
  mean /= cands.size();
  for (double c : cands) var += (c - mean) * (c - mean);
  double sd = std::sqrt(var / (cands.size() - 1));
  ExposureEstimate e = estimate_exposure(mean + 2 * sd, cands, 40);
  EXPECT_NEAR(e.exposure_extrapolated, -std::log2(0.5 * std::erfc(2 / std::sqrt(2.0))), 1e-9);
  // The sampled estimate agrees with the tail where sampling resolves it.
  EXPECT_NEAR(e.exposure, e.exposure_extrapolated, 0.3);
  // Deep in the tail (erfc underflows) the asymptotic form keeps growing, capped at log2 |space|.
  EXPECT_NEAR(estimate_exposure(mean + 60 * sd, cands, 40).exposure_extrapolated, 40.0, 1e-12);
  ExposureEstimate deep = estimate_exposure(mean + 38 * sd, cands, 4000);
  EXPECT_GT(deep.exposure_extrapolated, 1000);
  EXPECT_TRUE(std::isfinite(deep.exposure_extrapolated));
}

TEST(AuditExposure, RandomSecretsAverageAboutOnePointFourFourBits) {
  // A secret the model never saw is just another draw from the candidates' distribution: its rank among
  // N+1 is uniform and E[exposure] -> 1/ln 2 = 1.443 bits. This is the control baseline the guide quotes.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd(-20.0, 3.0);
  double sum = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> cands(500);
    for (double& c : cands) c = nd(rng);
    sum += estimate_exposure(nd(rng), cands, 26.6).exposure;
  }
  EXPECT_NEAR(sum / trials, 1.0 / std::log(2.0), 0.2);
}

TEST(AuditExposure, EmptyCandidatesIsAnError) {
  EXPECT_THROW(estimate_exposure(0, {}, 10), bertforge::Error);
}

namespace {
uint64_t brute_force(const std::vector<std::vector<float>>& p, double score) {
  uint64_t n = 0;
  std::vector<size_t> idx(p.size(), 0);
  for (;;) {
    double s = 0;
    for (size_t i = 0; i < p.size(); ++i) s += p[i][idx[i]];
    if (s > score) ++n;
    size_t k = 0;
    while (k < p.size() && ++idx[k] == p[k].size()) idx[k++] = 0;
    if (k == p.size()) return n;
  }
}
}  // namespace

TEST(AuditRank, CountMatchesBruteForce) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-12.0f, 0.0f);
  for (int trial = 0; trial < 60; ++trial) {
    size_t k = 1 + trial % 3;
    std::vector<std::vector<float>> p(k);
    for (auto& v : p) {
      v.resize(5 + rng() % 20);
      for (float& x : v) x = u(rng);
      std::sort(v.begin(), v.end(), std::greater<float>());
    }
    double score = 0;
    for (auto& v : p) score += v[rng() % v.size()];
    EXPECT_EQ(count_sequences_above(p, score, 1u << 30), brute_force(p, score)) << "trial " << trial;
  }
}

TEST(AuditRank, SinglePositionIsTheVocabRankAndCapHolds) {
  std::vector<std::vector<float>> p = {{-0.1f, -0.5f, -1.0f, -2.0f, -3.0f}};
  EXPECT_EQ(count_sequences_above(p, -0.1, 100), 0u);  // the top token: rank 1
  EXPECT_EQ(count_sequences_above(p, -2.0, 100), 3u);  // rank 4
  std::vector<std::vector<float>> wide(3, std::vector<float>(50, -1.0f));
  EXPECT_EQ(count_sequences_above(wide, -100.0, 1000), 1000u) << "125000 sequences above, capped";
}

TEST(AuditSummary, MeanMedianMinMax) {
  Summary s = summarize({5, 1, 3, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.mean, 2.75);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(summarize({7, 1, 4}).median, 4);
  EXPECT_EQ(summarize({}).n, 0u);
}
