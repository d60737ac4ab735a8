// tests/unit/data/test_fuzz_regressions.cpp — dataset.bin headers that pass both checksums
// (fuzz/fuzz_dataset.cpp repairs them) but whose fields lie: sums that wrap around 2^64, metadata of the
// wrong JSON type, special ids outside the vocabulary. Each must be a format error naming the file, never an
// out-of-bounds read.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/error.h"
#include "data/checksum.h"
#include "data/format.h"
#include "data_test_util.h"

namespace bertforge::data {
namespace {

using testing::synthetic_vocab;
using testing::TempDir;

constexpr size_t kOffVocabSize = 40, kOffVocabFlags = 48, kOffTokens = 56, kOffIndex = 64, kOffJsonBytes = 88,
                 kOffHeaderChecksum = 96, kFixed = 104;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes a small valid dataset, lets `edit` change its bytes, repairs the header checksum, and returns the
// error of opening it ("" when it opens).
std::string open_edited(const std::function<void(std::string&)>& edit) {
  TempDir tmp;
  const fs::path file = tmp / "d.bin";
  {
    auto vocab = synthetic_vocab(300, 200);
    DatasetWriter w(file, vocab, {{"build", {{"k", 1}}}}, true);
    std::vector<uint32_t> a = {10, 11, 12}, b = {20, 21};
    w.add(a.data(), a.size(), b.data(), b.size(), 0);
    w.finish();
  }
  std::string bytes = slurp(file);
  edit(bytes);
  uint32_t header_bytes;
  std::memcpy(&header_bytes, bytes.data() + 12, 4);
  std::memset(bytes.data() + kOffHeaderChecksum, 0, 8);
  uint64_t sum = checksum64(bytes.data(), header_bytes);
  std::memcpy(bytes.data() + kOffHeaderChecksum, &sum, 8);
  std::ofstream(file, std::ios::binary) << bytes;
  try {
    Dataset ds(file, OpenOptions{/*verify_checksum=*/false});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

void put64(std::string& b, size_t off, uint64_t v) {
  std::memcpy(b.data() + off, &v, 8);
}

TEST(DatasetFuzzRegressions, UnchangedFileOpens) {
  EXPECT_EQ(open_edited([](std::string&) {}), "");
}

TEST(DatasetFuzzRegressions, VocabFlagsOffsetThatWrapsAround) {
  // offset + vocab_size wraps to a small number: was read as in range, then read far out of the file.
  std::string err = open_edited([](std::string& b) {
    uint64_t vocab_size;
    std::memcpy(&vocab_size, b.data() + kOffVocabSize, 8);
    put64(b, kOffVocabFlags, UINT64_MAX - vocab_size + 2);
  });
  EXPECT_NE(err.find("section offsets"), std::string::npos) << err;
}

TEST(DatasetFuzzRegressions, TokensOffsetPastTheIndex) {
  std::string err = open_edited([](std::string& b) {
    uint64_t index;
    std::memcpy(&index, b.data() + kOffIndex, 8);
    put64(b, kOffTokens, index + 64);
  });
  EXPECT_NE(err.find("section offsets"), std::string::npos) << err;
}

// Replaces `from` by `to` (same length) in the metadata JSON of the header.
void edit_json(std::string& b, const std::string& from, const std::string& to) {
  ASSERT_EQ(from.size(), to.size());
  uint32_t json_bytes;
  std::memcpy(&json_bytes, b.data() + kOffJsonBytes, 4);
  size_t at = b.find(from, kFixed);
  ASSERT_NE(at, std::string::npos);
  ASSERT_LT(at, kFixed + json_bytes);
  b.replace(at, from.size(), to);
}

TEST(DatasetFuzzRegressions, MetadataVocabSizeIsAFloatOutOfRange) {
  std::string err =
      open_edited([](std::string& b) { edit_json(b, "\"vocab_size\":300", "\"vocab_size\":9e9"); });
  EXPECT_NE(err.find("vocab.vocab_size"), std::string::npos) << err;
}

TEST(DatasetFuzzRegressions, SpecialIdOutsideTheVocabularyNamesTheFile) {
  // A vocabulary of 3 tokens (header and metadata agree) cannot hold [SEP] = 3: was a config error that
  // named no file.
  std::string err = open_edited([](std::string& b) {
    edit_json(b, "\"vocab_size\":300", "\"vocab_size\":3  ");
    put64(b, kOffVocabSize, 3);
  });
  EXPECT_NE(err.find("outside the vocabulary"), std::string::npos) << err;
}

}  // namespace
}  // namespace bertforge::data
