// data/stats.cpp — see stats.h.
#include "data/stats.h"

#include <fmt/format.h>

#include <algorithm>

namespace bertforge::data {

DatasetStats dataset_stats(const Dataset& ds, uint32_t bucket_width) {
  DatasetStats s;
  s.bucket_width = std::max<uint32_t>(1, bucket_width);
  s.examples = ds.size();
  s.min_length = UINT32_MAX;
  for (uint64_t i = 0; i < ds.size(); ++i) {
    ExampleRef r = ds.example(i);
    uint32_t len = r.len_a + r.len_b + (r.len_b > 0 ? 3 : 2);
    s.tokens += len;
    s.min_length = std::min(s.min_length, len);
    s.max_length = std::max(s.max_length, len);
    if (r.label == 0)
      ++s.is_next;
    else if (r.label == 1)
      ++s.random_next;
    else
      ++s.no_label;
    size_t b = len / s.bucket_width;
    if (s.histogram.size() <= b) s.histogram.resize(b + 1, 0);
    ++s.histogram[b];
  }
  if (s.examples == 0) s.min_length = 0;
  s.mean_length = s.examples ? static_cast<double>(s.tokens) / s.examples : 0;
  return s;
}

nlohmann::json DatasetStats::to_json() const {
  return {{"examples", examples},       {"tokens", tokens},           {"is_next", is_next},
          {"random_next", random_next}, {"no_label", no_label},       {"min_length", min_length},
          {"max_length", max_length},   {"mean_length", mean_length}, {"bucket_width", bucket_width},
          {"histogram", histogram}};
}

std::string DatasetStats::to_text() const {
  std::string out = fmt::format("examples: {}\ntokens (with [CLS]/[SEP]): {}\n", examples, tokens);
  if (is_next + random_next > 0) {
    double n = static_cast<double>(is_next + random_next);
    out += fmt::format("NSP labels: {} is-next (0, {:.1f}%), {} random-next (1, {:.1f}%)\n", is_next,
                       100 * is_next / n, random_next, 100 * random_next / n);
  }
  if (no_label > 0) out += fmt::format("MLM-only blocks (no NSP label): {}\n", no_label);
  out += fmt::format("length: min {}, mean {:.1f}, max {}\nlength histogram:\n", min_length, mean_length,
                     max_length);
  uint64_t top =
      histogram.empty() ? 1 : std::max<uint64_t>(1, *std::max_element(histogram.begin(), histogram.end()));
  for (size_t i = 0; i < histogram.size(); ++i) {
    if (histogram[i] == 0) continue;
    size_t bar = static_cast<size_t>(40.0 * histogram[i] / top + 0.5);
    out += fmt::format("  {:>5}-{:<5} {:>10} {}\n", i * bucket_width, (i + 1) * bucket_width - 1,
                       histogram[i], std::string(bar, '#'));
  }
  return out;
}

}  // namespace bertforge::data
