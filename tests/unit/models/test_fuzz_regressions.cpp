// tests/unit/models/test_fuzz_regressions.cpp — config.json values that reach undefined behaviour or wrap
// around when converted (found while fuzzing config.json, fuzz/fuzz_config.cpp): each must be a config
// error naming the key, never a silently wrong size.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "models/bert_config.h"

namespace bertforge::models {
namespace {

std::string error_of(const std::string& json) {
  try {
    BertConfig::from_json(nlohmann::json::parse(json)).validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigFuzzRegressions, FloatSizeOutsideInt64IsRefusedByName) {
  // Converting 1e300 to int64 was undefined behaviour (UBSan: float-cast-overflow).
  std::string err = error_of(R"({"hidden_size": 1e300})");
  EXPECT_NE(err.find("hidden_size"), std::string::npos) << err;
  err = error_of(R"({"num_hidden_layers": -9.3e18})");
  EXPECT_NE(err.find("num_hidden_layers"), std::string::npos) << err;
}

TEST(ConfigFuzzRegressions, UnsignedAboveInt64IsRefusedNotWrapped) {
  // 2^64-1 wrapped to -1 (and 2^63 + 4 to a negative size).
  std::string err = error_of(R"({"vocab_size": 18446744073709551615})");
  EXPECT_NE(err.find("vocab_size"), std::string::npos) << err;
  EXPECT_NE(err.find("expected a number"), std::string::npos) << err;
}

TEST(ConfigFuzzRegressions, IntegralFloatsStillAccepted) {
  EXPECT_EQ(error_of(R"({"hidden_size": 768.0, "num_attention_heads": 12})"), "");
  BertConfig c = BertConfig::from_json(nlohmann::json::parse(R"({"intermediate_size": 3072.0})"));
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_NE(error_of(R"({"hidden_size": 767.5})"), "");
}

}  // namespace
}  // namespace bertforge::models
