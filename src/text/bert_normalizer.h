// text/bert_normalizer.h — HF's BertNormalizer (tokenizers/src/normalizers/bert.rs), exactly as
// ../shared/reference/hf-tokenizers-spec.md §1a, with HF's Unicode 8/9 tables (not the system's).
// Example: "이순신\u200B은\t中文" -> "이순신은  中  文 " (clean_text + handle_chinese_chars).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bertforge::text {

struct BertNormalizerOptions {
  bool clean_text = true;             // drop controls/U+FFFD/NUL, map whitespace to ' '
  bool handle_chinese_chars = true;   // put spaces around CJK ideographs
  std::optional<bool> strip_accents;  // unset follows `lowercase` (HF rule)
  bool lowercase = false;             // HF's default is true; bertforge's default is false (Korean)

  bool effective_strip_accents() const { return strip_accents.value_or(lowercase); }
  nlohmann::json to_json() const;  // {"type":"BertNormalizer",...} as in tokenizer.json
  static BertNormalizerOptions from_json(const nlohmann::json& j);
};

// Normalized text plus, for each output byte, the byte offset in the input it came from (for offsets).
struct NormalizedText {
  std::string text;
  std::vector<uint32_t> source_offsets;  // size text.size()+1; last entry = input size
  // For each output byte, the end (exclusive) of the input char it came from, so a span [a, b) of `text`
  // maps to the input span [source_offsets[a], source_ends[b-1]) even when removed chars follow it.
  std::vector<uint32_t> source_ends;
};

// The most code points one input char can become (strip: 3, lowercase: x2, chinese: 2 spaces).
constexpr size_t kMaxNormalizedChars = 8;

class BertNormalizer {
 public:
  explicit BertNormalizer(BertNormalizerOptions options = {});
  const BertNormalizerOptions& options() const { return options_; }
  std::string normalize(std::string_view input) const;
  NormalizedText normalize_with_offsets(std::string_view input) const;
  // Normalizes one input code point (clean_text, strip_accents, lowercase; not the CJK spaces) into
  // out[0..n) and returns n (0 = removed). Sets *chinese when handle_chinese_chars isolates it.
  // Invalid UTF-8 must be handled by the caller (BertNormalizer::normalize replaces it with U+FFFD first,
  // which clean_text then removes, as HF's lossy decoding would).
  size_t normalize_char(char32_t cp, char32_t* out, bool* chinese) const;

 private:
  BertNormalizerOptions options_;
};

}  // namespace bertforge::text
