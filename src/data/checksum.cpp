// data/checksum.cpp — see checksum.h.
#include "data/checksum.h"

#include <algorithm>
#include <cstring>

namespace bertforge::data {
namespace {
constexpr uint64_t kK1 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kK2 = 0xC2B2AE3D27D4EB4Full;

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t w = 0;
  for (int i = 7; i >= 0; --i) w = (w << 8) | p[i];
  return w;
}
inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDull;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ull;
  k ^= k >> 33;
  return k;
}
}  // namespace

inline void Checksum64::mix(uint64_t w) {
  h_ = rotl(h_ ^ (w * kK1), 31) * kK2;
}

void Checksum64::update(const void* data, size_t size) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  length_ += size;
  if (tail_len_ > 0) {
    size_t take = std::min(size, 8 - tail_len_);
    std::memcpy(tail_ + tail_len_, p, take);
    tail_len_ += take;
    p += take;
    size -= take;
    if (tail_len_ < 8) return;
    mix(load_le64(tail_));
    tail_len_ = 0;
  }
  while (size >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // the format is little-endian and so are the machines we build for
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    mix(w);
    p += 8;
    size -= 8;
  }
  std::memcpy(tail_, p, size);
  tail_len_ = size;
}

uint64_t Checksum64::digest() const {
  uint64_t h = h_;
  if (tail_len_ > 0) {
    unsigned char last[8] = {};
    std::memcpy(last, tail_, tail_len_);
    h = rotl(h ^ (load_le64(last) * kK1), 31) * kK2;
  }
  return fmix64(h ^ length_);
}

uint64_t checksum64(const void* data, size_t size) {
  Checksum64 c;
  c.update(data, size);
  return c.digest();
}

}  // namespace bertforge::data
