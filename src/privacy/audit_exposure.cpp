// privacy/audit_exposure.cpp — the numbers of the memorization audit (see audit.h): exposure from sampled
// candidates, the exact rank of a multi-piece answer, summaries. Pure functions, no model.
// Example: a secret scoring above all of 1000 sampled candidates has exposure log2(1001) = 9.97 bits; one
// with 500 candidates above it has log2(1001) - log2(501) = 1.0 bit (a coin flip's worth: not remembered).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "privacy/audit.h"

namespace bertforge::privacy {

ExposureEstimate estimate_exposure(double secret_score, const std::vector<double>& candidate_scores,
                                   double log2_space) {
  if (candidate_scores.empty())
    throw config_error("candidates", "need at least one sampled candidate to estimate an exposure");
  ExposureEstimate e;
  e.log2_space = log2_space;
  e.candidates = candidate_scores.size();
  double above = 0;
  for (double s : candidate_scores) {
    if (s > secret_score)
      above += 1;
    else if (s == secret_score)
      above += 0.5;
  }
  e.above = above;
  const double n = static_cast<double>(candidate_scores.size());
  // The secret's rank among itself and the N candidates is c+1 of N+1; the same fraction of the whole space
  // ranks above it in expectation.
  e.exposure = std::log2(n + 1) - std::log2(above + 1);
  e.rank_estimate = std::exp2(log2_space - e.exposure);

  // Tail of a normal fitted to the candidates' scores (mean, sample standard deviation).
  double mean = 0;
  for (double s : candidate_scores) mean += s;
  mean /= n;
  double var = 0;
  for (double s : candidate_scores) var += (s - mean) * (s - mean);
  double sd = candidate_scores.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
  double bits;
  if (sd <= 0 || !std::isfinite(sd)) {
    bits = secret_score > mean ? log2_space : (secret_score == mean ? 1.0 : 0.0);
  } else {
    double z = (secret_score - mean) / sd;
    double tail = 0.5 * std::erfc(z / std::sqrt(2.0));
    // Far in the tail erfc underflows; the asymptotic log-tail -z^2/2 - log(z sqrt(2 pi)) takes over.
    if (tail > 1e-300)
      bits = -std::log2(tail);
    else
      bits = (z * z / 2 + std::log(z * std::sqrt(2 * M_PI))) / std::log(2.0);
  }
  e.exposure_extrapolated = std::clamp(bits, 0.0, log2_space);
  return e;
}

namespace {

// Sequences over positions [i, k) whose sum exceeds `need`, added to `count` (stops at cap).
void count_rec(const std::vector<std::vector<float>>& p, const std::vector<double>& best_rest, size_t i,
               double need, uint64_t cap, uint64_t& count) {
  const auto& v = p[i];
  if (i + 1 == p.size()) {
    // v is descending: the values > need form a prefix.
    size_t m = std::partition_point(v.begin(), v.end(), [&](float x) { return x > need; }) - v.begin();
    count = std::min<uint64_t>(cap, count + m);
    return;
  }
  for (float x : v) {
    if (count >= cap) return;
    // Even the best continuation cannot lift this prefix above `need`: neither can any later (smaller) x.
    if (x + best_rest[i + 1] <= need) return;
    count_rec(p, best_rest, i + 1, need - x, cap, count);
  }
}

}  // namespace

uint64_t count_sequences_above(const std::vector<std::vector<float>>& sorted_desc, double score,
                               uint64_t cap) {
  if (sorted_desc.empty()) return 0;
  for (const auto& v : sorted_desc)
    if (v.empty()) return 0;
  // best_rest[i] = the highest reachable sum over positions i..k-1.
  std::vector<double> best_rest(sorted_desc.size() + 1, 0.0);
  for (size_t i = sorted_desc.size(); i-- > 0;) best_rest[i] = best_rest[i + 1] + sorted_desc[i].front();
  uint64_t count = 0;
  count_rec(sorted_desc, best_rest, 0, score, cap, count);
  return count;
}

Summary summarize(std::vector<double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  size_t m = values.size() / 2;
  s.median = values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

}  // namespace bertforge::privacy
