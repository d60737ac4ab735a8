// tests/unit/io/test_fuzz_regressions.cpp — inputs found by fuzz/fuzz_safetensors.cpp (or written while
// fuzzing it) that once crashed or escaped as a non-bertforge exception; each must stay a clean Error.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace bertforge {
namespace {

using testing::TempDir;

std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string error_of(const std::string& bytes) {
  TempDir dir;
  const auto path = dir.path() / "model.safetensors";
  testing::write_file(path, bytes);
  try {
    io::SafetensorsReader reader(path);
    for (const auto& e : reader.entries()) reader.tensor(e.name);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

TEST(SafetensorsFuzzRegressions, EmptyShapeWhoseOtherDimensionsOverflowInt64) {
  // 0 bytes, but LibTorch cannot hold the shape (its numel overflows int64 before the 0 is reached).
  std::string err = error_of(
      safetensors_bytes(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})"));
  EXPECT_NE(err.find("more than 2^63 elements"), std::string::npos) << err;
}

TEST(SafetensorsFuzzRegressions, EmptyTensorWithLargeButValidShapeStillLoads) {
  EXPECT_EQ(
      error_of(safetensors_bytes(R"({"t":{"dtype":"F32","shape":[1000000,0,3],"data_offsets":[0,0]}})")), "");
}

}  // namespace
}  // namespace bertforge
