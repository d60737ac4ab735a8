// tests/unit/data/test_format.cpp — dataset.bin: round trip through mmap, uint16 vs uint32 ids, header and
// payload checks (truncation, bit flips, other versions are errors naming the file), checksum definition.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "data/build.h"
#include "data/checksum.h"
#include "data/format.h"
#include "data_test_util.h"

namespace bertforge::data {
namespace {

using testing::synthetic_vocab;
using testing::TempDir;

void write_small(const fs::path& file, const VocabInfo& vocab) {
  DatasetWriter w(file, vocab, {{"build", {{"k", 1}}}}, true);
  std::vector<uint32_t> a = {10, 11, 12}, b = {20, 21};
  w.add(a.data(), a.size(), b.data(), b.size(), 0);
  std::vector<uint32_t> c = {vocab.vocab_size - 1}, d = {7, 8, 9, 6};
  w.add(c.data(), c.size(), d.data(), d.size(), 1);
  w.finish();
}

TEST(DatasetFormat, RoundTripUint16) {
  TempDir tmp;
  auto vocab = synthetic_vocab(30000, 20000);
  write_small(tmp / "d.bin", vocab);
  Dataset ds(tmp / "d.bin");
  EXPECT_EQ(ds.token_width(), 2u);
  EXPECT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.num_tokens(), 10u);
  EXPECT_TRUE(ds.has_nsp());
  EXPECT_EQ(ds.vocab().vocab_size, 30000u);
  EXPECT_TRUE(ds.vocab().is_special(2));
  EXPECT_TRUE(ds.vocab().is_continuation(25000));
  EXPECT_FALSE(ds.vocab().is_continuation(100));
  EXPECT_EQ(ds.metadata()["build"]["k"], 1);
  std::vector<int64_t> ids, types;
  ds.assemble(0, ids, types);
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 10, 11, 12, 3, 20, 21, 3}));
  EXPECT_EQ(types, (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(ds.length(0), 8u);
  ds.assemble(1, ids, types);
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 29999, 3, 7, 8, 9, 6, 3}));
  EXPECT_EQ(ds.example(1).label, 1);
  EXPECT_EQ(ds.example(0).label, 0);
}

TEST(DatasetFormat, LargeVocabUsesUint32) {
  TempDir tmp;
  auto vocab = synthetic_vocab(70000);
  write_small(tmp / "d.bin", vocab);
  Dataset ds(tmp / "d.bin");
  EXPECT_EQ(ds.token_width(), 4u);
  std::vector<int64_t> ids, types;
  ds.assemble(1, ids, types);
  EXPECT_EQ(ids[1], 69999);
}

TEST(DatasetFormat, VocabOf65536StillFitsUint16) {
  TempDir tmp;
  auto vocab = synthetic_vocab(65536);
  write_small(tmp / "d.bin", vocab);
  Dataset ds(tmp / "d.bin");
  EXPECT_EQ(ds.token_width(), 2u);
  std::vector<int64_t> ids, types;
  ds.assemble(1, ids, types);
  EXPECT_EQ(ids[1], 65535);
}

TEST(DatasetFormat, MlmOnlyExamplesHaveNoSegmentB) {
  TempDir tmp;
  auto vocab = synthetic_vocab();
  {
    DatasetWriter w(tmp / "d.bin", vocab, {{"build", {}}}, false);
    std::vector<uint32_t> a = {10, 11};
    w.add(a.data(), a.size(), static_cast<const uint32_t*>(nullptr), 0, kNoNspLabel);
    w.finish();
  }
  Dataset ds(tmp / "d.bin");
  EXPECT_FALSE(ds.has_nsp());
  EXPECT_EQ(ds.example(0).label, kNoNspLabel);
  std::vector<int64_t> ids, types;
  ds.assemble(0, ids, types);
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 10, 11, 3}));
  EXPECT_EQ(types, (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(DatasetFormat, UnfinishedWriterLeavesNoFile) {
  TempDir tmp;
  {
    DatasetWriter w(tmp / "d.bin", synthetic_vocab(), {{"build", {}}}, true);
    std::vector<uint32_t> a = {10};
    w.add(a.data(), 1, a.data(), 1, 0);
  }
  EXPECT_FALSE(fs::exists(tmp / "d.bin"));
}

TEST(DatasetFormat, OutOfVocabIdIsRefusedByTheWriter) {
  TempDir tmp;
  DatasetWriter w(tmp / "d.bin", synthetic_vocab(100), {{"build", {}}}, true);
  std::vector<uint32_t> a = {100};
  EXPECT_THROW(w.add(a.data(), 1, a.data(), 1, 0), Error);
}

std::string expect_format_error(const fs::path& file) {
  try {
    Dataset ds(file);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat) << e.what();
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos)
        << "error must name the file: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "opening a damaged dataset did not fail";
  return "";
}

class CorruptDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Documents docs = testing::random_documents(1, 30, 1, 8, 1, 12);
    NspOptions o;
    o.block_size = 32;
    write_dataset_from_documents(tmp_ / "ds", docs, o, synthetic_vocab());
    file_ = tmp_ / "ds" / kDataFileName;
    bytes_ = testing::file_bytes(file_);
    ASSERT_GT(bytes_.size(), 4096u);
    ASSERT_NO_THROW(Dataset ds(tmp_ / "ds"));
  }
  void write(const std::string& bytes) {
    std::ofstream out(file_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  TempDir tmp_;
  fs::path file_;
  std::string bytes_;
};

TEST_F(CorruptDataset, FlippedPayloadByte) {
  std::string b = bytes_;
  b[b.size() - 100] ^= 0x10;
  write(b);
  EXPECT_NE(expect_format_error(file_).find("checksum"), std::string::npos);
  // Without payload verification the header still opens (for quick looks), but not a broken header.
  EXPECT_NO_THROW(Dataset(file_, OpenOptions{false}));
}

TEST_F(CorruptDataset, FlippedHeaderByte) {
  std::string b = bytes_;
  b[30] ^= 0x01;  // inside num_examples
  write(b);
  EXPECT_NE(expect_format_error(file_).find("header checksum"), std::string::npos);
}

TEST_F(CorruptDataset, Truncated) {
  write(bytes_.substr(0, bytes_.size() - 17));
  EXPECT_NE(expect_format_error(file_).find("truncated"), std::string::npos);
  write(bytes_.substr(0, 50));
  expect_format_error(file_);
  write("");
  expect_format_error(file_);
}

TEST_F(CorruptDataset, NotADataset) {
  write(std::string(5000, 'x'));
  EXPECT_NE(expect_format_error(file_).find("magic"), std::string::npos);
}

TEST_F(CorruptDataset, OtherFormatVersion) {
  std::string b = bytes_;
  b[8] = 99;
  write(b);
  EXPECT_NE(expect_format_error(file_).find("version 99"), std::string::npos);
}

TEST(DatasetFormat, MissingDatasetIsAnIoError) {
  TempDir tmp;
  try {
    Dataset ds(tmp.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("dataset.bin"), std::string::npos);
  }
}

TEST(Checksum, StreamingEqualsOneShotAndDetectsChanges) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += static_cast<char>(i * 7);
  uint64_t one = checksum64(s.data(), s.size());
  for (size_t cut : {0ul, 1ul, 7ul, 8ul, 9ul, 500ul, 999ul}) {
    Checksum64 c;
    c.update(s.data(), cut);
    c.update(s.data() + cut, s.size() - cut);
    EXPECT_EQ(c.digest(), one) << cut;
  }
  std::string t = s;
  t[500] ^= 1;
  EXPECT_NE(checksum64(t.data(), t.size()), one);
  // Trailing zeros change the length, hence the checksum.
  std::string z = s + '\0';
  EXPECT_NE(checksum64(z.data(), z.size()), one);
  EXPECT_NE(checksum64("", 0), checksum64("\0", 1));
}

}  // namespace
}  // namespace bertforge::data
