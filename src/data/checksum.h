// data/checksum.h — the 64-bit checksum of the dataset file ("bf64"), computed while the file is written and
// verified when it is opened, so a truncated, half-written or bit-flipped dataset is an error, not a crash.
// Not cryptographic: it detects accidents, not tampering.
//
// Definition (also in docs/dataset.md): the input is cut into 8-byte little-endian words, the last one
// zero-padded; h starts at 0x243F6A8885A308D3 and for each word w: h = rotl64(h ^ (w * K1), 31) * K2, with
// K1 = 0x9E3779B97F4A7C15, K2 = 0xC2B2AE3D27D4EB4F. The result is fmix64(h ^ total_length_in_bytes), with
// fmix64 the MurmurHash3 finalizer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bertforge::data {

class Checksum64 {
 public:
  void update(const void* data, size_t size);
  uint64_t digest() const;
  uint64_t length() const { return length_; }

 private:
  void mix(uint64_t w);
  uint64_t h_ = 0x243F6A8885A308D3ull;
  uint64_t length_ = 0;
  unsigned char tail_[8] = {};
  size_t tail_len_ = 0;
};

uint64_t checksum64(const void* data, size_t size);

}  // namespace bertforge::data
