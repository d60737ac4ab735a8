// tokenizers/token_table.h — the vocab lookup of the WordPiece hot loop: an open-addressing hash table from
// byte strings (views into the tokenizer's own vocab strings) to ids. No allocation per lookup, no
// std::string keys; this alone is most of the speed-up over HF, which builds a String per probe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace bertforge::detail {

inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
  }
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

class TokenTable {
 public:
  // Inserts key -> id; a later insert of the same key wins (HF: duplicate vocab.txt lines, last index wins).
  // Keys must outlive the table.
  void build(const std::vector<std::pair<std::string_view, uint32_t>>& entries) {
    size_t cap = 16;
    while (cap < entries.size() * 2 + 1) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    max_len_ = 0;
    size_ = 0;
    for (const auto& [key, id] : entries) {
      uint64_t h = hash_bytes(key.data(), key.size());
      size_t i = h & mask_;
      while (true) {
        Slot& s = slots_[i];
        if (!s.ptr) {
          s = Slot{key.data(), static_cast<uint32_t>(key.size()), id, h};
          ++size_;
          break;
        }
        if (s.hash == h && s.len == key.size() && std::memcmp(s.ptr, key.data(), key.size()) == 0) {
          s.id = id;
          break;
        }
        i = (i + 1) & mask_;
      }
      if (key.size() > max_len_) max_len_ = key.size();
    }
  }

  // id or -1.
  int64_t find(const char* p, size_t n) const {
    if (n > max_len_ || slots_.empty()) return -1;
    const uint64_t h = hash_bytes(p, n);
    size_t i = h & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (!s.ptr) return -1;
      if (s.hash == h && s.len == n && std::memcmp(s.ptr, p, n) == 0) return s.id;
      i = (i + 1) & mask_;
    }
  }

  size_t max_len() const { return max_len_; }
  size_t size() const { return size_; }

 private:
  struct Slot {
    const char* ptr = nullptr;
    uint32_t len = 0;
    uint32_t id = 0;
    uint64_t hash = 0;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t max_len_ = 0;
  size_t size_ = 0;
};

}  // namespace bertforge::detail
