// text/unicode_tables.h — per-code-point facts HF's BertNormalizer / BertPreTokenizer use (Unicode 8/9 data
// of the Rust crates HF depends on, not the system's). The data is generated into unicode_tables.cpp by
// scripts/gen_unicode_tables.py; this header gives the lookups the normalizer and tokenizer inline.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bertforge::text::unicode {

enum : uint8_t {
  kRemoved = 1,     // clean_text deletes it (Cc/Cf/Co except \t\n\r, U+0000, U+FFFD)
  kToSpace = 2,     // clean_text maps it to ' ' (White_Space, \t\n\r)
  kChinese = 4,     // handle_chinese_chars isolates it
  kWhitespace = 8,  // BertPreTokenizer splits on it (Rust char::is_whitespace)
  kPunct = 16,      // BertPreTokenizer isolates it (ASCII punctuation or Unicode 8 P*)
  kStrip = 32,      // strip_accents changes it (NFD differs, or it is Mn and gets removed)
  kLower = 64,      // lowercase changes it
};

struct SeqMapEntry {
  char32_t cp;
  uint16_t offset;  // into the pool
  uint8_t length;
};

extern const uint16_t kStage1[0x110000 >> 7];
extern const uint8_t kStage2[];
extern const char32_t kStripPool[];
extern const SeqMapEntry kStripMap[];
extern const size_t kStripMapSize;
extern const char32_t kLowerPool[];
extern const SeqMapEntry kLowerMap[];
extern const size_t kLowerMapSize;

inline uint8_t flags(char32_t cp) {
  if (cp >= 0x110000) return 0;
  return kStage2[(static_cast<uint32_t>(kStage1[cp >> 7]) << 7) | (cp & 0x7F)];
}

// Appends the accent-stripped form of cp (NFD, Mn removed) to out; returns the count written (0..4+).
// Only meaningful when flags(cp) & kStrip; otherwise the char stays as is.
size_t strip_accents(char32_t cp, char32_t* out);
// Appends the lowercase of cp (1 or 2 chars: U+0130 -> i U+0307); returns the count.
size_t to_lower(char32_t cp, char32_t* out);

}  // namespace bertforge::text::unicode
