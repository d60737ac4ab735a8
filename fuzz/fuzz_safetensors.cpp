// fuzz/fuzz_safetensors.cpp — libFuzzer target for the safetensors reader (src/io/safetensors.cpp), the
// first code that touches a model.safetensors downloaded from a hub. Arbitrary bytes in: either an Error, or
// a reader whose every tensor can be copied out (LibTorch allocations bounded by the file size).
#include <cstring>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  const auto path = fuzz::write_input("model.safetensors", data, size);
  try {
    io::SafetensorsReader reader(path);
    uint64_t covered = 0;
    for (const auto& e : reader.entries()) {
      auto raw = reader.bytes(e);
      BERTFORGE_FUZZ_CHECK(raw.size() == e.end - e.begin);
      BERTFORGE_FUZZ_CHECK(e.end <= size);
      covered += raw.size();
      BERTFORGE_FUZZ_CHECK(reader.find(e.name) == &e);
      try {
        if (io::to_torch(e.dtype)) {
          auto t = reader.tensor(e.name);
          BERTFORGE_FUZZ_CHECK(static_cast<uint64_t>(t.numel()) * t.element_size() == raw.size());
          if (raw.size()) BERTFORGE_FUZZ_CHECK(std::memcmp(t.data_ptr(), raw.data(), raw.size()) == 0);
        }
        reader.tensor_f32(e.name);
      } catch (const Error&) {
        // U16/U32/U64 or a non-float tensor asked as float: a clear refusal is the expected answer.
      }
    }
    BERTFORGE_FUZZ_CHECK(covered <= size);
  } catch (const Error&) {
  }
  return 0;
}
