// fuzz/fuzz_dataset.cpp — libFuzzer target for the dataset file reader (src/data/format.cpp): the header,
// section offsets, metadata JSON and example index of dataset.bin. Random bytes rarely pass the two
// checksums, so the first input byte asks the target to repair them (bit 0: the header checksum and file-size
// field, bit 1: the payload checksum too) before opening: the structural checks behind them get fuzzed as
// well. Either an Error naming the file, or a dataset whose every example assembles within the vocabulary.
#include <cstring>
#include <vector>

#include "common/error.h"
#include "data/checksum.h"
#include "data/format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  if (size == 0) return 0;
  const uint8_t knob = data[0];
  std::vector<uint8_t> file(data + 1, data + size);
  // Field offsets of the fixed header (docs/dataset.md).
  constexpr size_t kHeaderBytes = 12, kFileSize = 72, kPayloadChecksum = 80, kHeaderChecksum = 96;
  if ((knob & 1) && file.size() >= 104) {
    uint32_t header_bytes;
    std::memcpy(&header_bytes, file.data() + kHeaderBytes, 4);
    uint64_t n = file.size();
    std::memcpy(file.data() + kFileSize, &n, 8);
    if (header_bytes >= 104 && header_bytes <= file.size()) {
      if (knob & 2) {
        uint64_t sum = data::checksum64(file.data() + header_bytes, file.size() - header_bytes);
        std::memcpy(file.data() + kPayloadChecksum, &sum, 8);
      }
      std::memset(file.data() + kHeaderChecksum, 0, 8);
      uint64_t sum = data::checksum64(file.data(), header_bytes);
      std::memcpy(file.data() + kHeaderChecksum, &sum, 8);
    }
  }
  const auto path = fuzz::write_input("dataset.bin", file.data(), file.size());
  try {
    data::read_dataset_metadata(path);
  } catch (const Error&) {
  }
  try {
    data::Dataset ds(path);
    BERTFORGE_FUZZ_CHECK(ds.vocab().flags.size() == ds.vocab().vocab_size);
    std::vector<int64_t> ids, types;
    for (uint64_t i = 0; i < ds.size() && i < 4096; ++i) {
      try {
        ds.assemble(i, ids, types);
        BERTFORGE_FUZZ_CHECK(ids.size() == ds.length(i));
        BERTFORGE_FUZZ_CHECK(ids.size() == types.size());
        for (int64_t id : ids) BERTFORGE_FUZZ_CHECK(id >= 0 && id < ds.vocab().vocab_size);
      } catch (const Error&) {
        // A corrupt index entry or token is reported per example; the trainer stops on it.
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
