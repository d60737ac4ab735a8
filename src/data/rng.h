// data/rng.h — the random numbers behind dataset building, masking and shuffling. A small, fully specified
// generator (SplitMix64 seeding xoshiro256**) with our own unbiased range sampling, so the same seed gives
// the same dataset and the same masks on every platform and standard library (std::uniform_*_distribution
// is implementation-defined, std::mt19937 alone would not be enough).
#pragma once

#include <cstdint>
#include <initializer_list>

namespace bertforge::data {

// One SplitMix64 step: a good 64-bit mixer, also used to derive independent streams from (seed, a, b, ...).
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Hash of a tuple of integers: derive_seed(seed, epoch, example) names one independent random stream.
inline uint64_t derive_seed(std::initializer_list<uint64_t> parts) {
  uint64_t state = 0x6A09E667F3BCC909ull;
  uint64_t h = 0;
  for (uint64_t p : parts) {
    state ^= p + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = splitmix64(state);
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : s_) w = splitmix64(s);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits (like Python's random.random()).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), n >= 1, without modulo bias (Lemire's multiply-and-reject).
  uint64_t below(uint64_t n) {
    uint64_t x = next_u64();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = next_u64();
        m = static_cast<__uint128_t>(x) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform integer in [lo, hi] inclusive (Python's random.randint(lo, hi)); requires lo <= hi.
  int64_t randint(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Bernoulli(p).
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace bertforge::data
