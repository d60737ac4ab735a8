// data/stats.h — summary of a dataset for `dataset inspect`, benchmarks and the reference comparison:
// counts, NSP label balance, length distribution (lengths with [CLS]/[SEP] included).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/format.h"

namespace bertforge::data {

struct DatasetStats {
  uint64_t examples = 0;
  uint64_t tokens = 0;       // with special tokens, as fed to the model
  uint64_t is_next = 0;      // label 0
  uint64_t random_next = 0;  // label 1
  uint64_t no_label = 0;     // MLM-only blocks
  uint32_t min_length = 0, max_length = 0;
  double mean_length = 0;
  uint32_t bucket_width = 16;  // histogram[i] counts lengths in [i * width, (i + 1) * width)
  std::vector<uint64_t> histogram;

  nlohmann::json to_json() const;
  std::string to_text() const;  // human summary with a bar chart
};

DatasetStats dataset_stats(const Dataset& dataset, uint32_t bucket_width = 16);

}  // namespace bertforge::data
