// text/bert_normalizer.cpp — BertNormalizer per hf-tokenizers-spec.md §1a. Each input char is handled on
// its own (clean_text filter then map, CJK isolation, NFD + Mn removal, Rust lowercase), which equals HF's
// whole-string passes because none of the steps looks at neighbours (the one exception, NFD canonical
// reordering, only moves combining marks with ccc>0 that are not Mn: none survive in practice).
#include "text/bert_normalizer.h"

#include "common/error.h"
#include "text/unicode_tables.h"
#include "text/utf8.h"

namespace bertforge::text {

namespace unicode {

namespace {
const SeqMapEntry* find_entry(const SeqMapEntry* table, size_t n, char32_t cp) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (table[mid].cp < cp) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && table[lo].cp == cp ? &table[lo] : nullptr;
}
}  // namespace

size_t strip_accents(char32_t cp, char32_t* out) {
  if (cp >= 0xAC00 && cp <= 0xD7A3) {  // Hangul syllable: algorithmic NFD into conjoining jamo (all Lo)
    uint32_t s = cp - 0xAC00;
    out[0] = 0x1100 + s / 588;
    out[1] = 0x1161 + (s % 588) / 28;
    if (s % 28 == 0) return 2;
    out[2] = 0x11A7 + s % 28;
    return 3;
  }
  if (const SeqMapEntry* e = find_entry(kStripMap, kStripMapSize, cp)) {
    for (size_t i = 0; i < e->length; ++i) out[i] = kStripPool[e->offset + i];
    return e->length;
  }
  if (flags(cp) & kStrip) return 0;  // an NFD-stable Mn char: removed
  out[0] = cp;
  return 1;
}

size_t to_lower(char32_t cp, char32_t* out) {
  if (cp < 0x80) {
    out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return 1;
  }
  if (const SeqMapEntry* e = find_entry(kLowerMap, kLowerMapSize, cp)) {
    for (size_t i = 0; i < e->length; ++i) out[i] = kLowerPool[e->offset + i];
    return e->length;
  }
  out[0] = cp;
  return 1;
}

}  // namespace unicode

nlohmann::json BertNormalizerOptions::to_json() const {
  // Key order is not kept by nlohmann::json; the tokenizer.json writer orders keys itself.
  nlohmann::json j;
  j["type"] = "BertNormalizer";
  j["clean_text"] = clean_text;
  j["handle_chinese_chars"] = handle_chinese_chars;
  j["strip_accents"] = strip_accents ? nlohmann::json(*strip_accents) : nlohmann::json();
  j["lowercase"] = lowercase;
  return j;
}

BertNormalizerOptions BertNormalizerOptions::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw config_error("normalizer", "expected a JSON object");
  if (j.contains("type") && j["type"] != "BertNormalizer") {
    throw Error(ErrorKind::kUnsupported, "normalizer type " + j["type"].dump() +
                                             " is not supported (bertforge implements BertNormalizer only)");
  }
  BertNormalizerOptions o;
  auto get_bool = [&](const char* key, bool& field) {
    if (!j.contains(key)) return;
    if (!j[key].is_boolean()) throw config_error(std::string("normalizer.") + key, "expected true or false");
    field = j[key].get<bool>();
  };
  get_bool("clean_text", o.clean_text);
  get_bool("handle_chinese_chars", o.handle_chinese_chars);
  get_bool("lowercase", o.lowercase);
  if (j.contains("strip_accents") && !j["strip_accents"].is_null()) {
    if (!j["strip_accents"].is_boolean())
      throw config_error("normalizer.strip_accents", "expected true, false or null");
    o.strip_accents = j["strip_accents"].get<bool>();
  }
  return o;
}

BertNormalizer::BertNormalizer(BertNormalizerOptions options) : options_(options) {}

size_t BertNormalizer::normalize_char(char32_t cp, char32_t* out, bool* chinese) const {
  const uint8_t f = unicode::flags(cp);
  *chinese = false;
  if (options_.clean_text) {
    if (f & unicode::kRemoved) return 0;
    if (f & unicode::kToSpace) {
      out[0] = ' ';
      return 1;
    }
  }
  if (options_.handle_chinese_chars && (f & unicode::kChinese)) *chinese = true;
  char32_t tmp[kMaxNormalizedChars];
  size_t n = 1;
  tmp[0] = cp;
  if ((f & unicode::kStrip) && options_.effective_strip_accents()) n = unicode::strip_accents(cp, tmp);
  if (!options_.lowercase) {
    for (size_t i = 0; i < n; ++i) out[i] = tmp[i];
    return n;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) m += unicode::to_lower(tmp[i], out + m);
  return m;
}

namespace {

// Shared loop: Emit(cp, src_begin, src_end) receives each output code point.
template <typename Emit>
void run_normalizer(const BertNormalizer& norm, std::string_view input, Emit&& emit) {
  const BertNormalizerOptions& o = norm.options();
  const bool plain_ascii = !o.lowercase;  // ASCII only changes under clean_text (controls) and lowercase
  size_t i = 0;
  const size_t n = input.size();
  char32_t buf[kMaxNormalizedChars];
  while (i < n) {
    const size_t start = i;
    const unsigned char c = static_cast<unsigned char>(input[i]);
    if (c >= 0x20 && c < 0x7F && plain_ascii) {
      emit(static_cast<char32_t>(c), start, start + 1);
      ++i;
      continue;
    }
    char32_t cp;
    if (!utf8_next(input, i, cp)) cp = 0xFFFD;  // lossy decode; clean_text then drops it
    bool chinese = false;
    size_t m = norm.normalize_char(cp, buf, &chinese);
    if (chinese) emit(U' ', start, i);
    for (size_t k = 0; k < m; ++k) emit(buf[k], start, i);
    if (chinese) emit(U' ', start, i);
  }
}

}  // namespace

std::string BertNormalizer::normalize(std::string_view input) const {
  std::string out;
  out.reserve(input.size() + input.size() / 8);
  run_normalizer(*this, input, [&](char32_t cp, size_t, size_t) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      utf8_append(out, cp);
    }
  });
  return out;
}

NormalizedText BertNormalizer::normalize_with_offsets(std::string_view input) const {
  NormalizedText r;
  r.text.reserve(input.size() + input.size() / 8);
  r.source_offsets.reserve(input.size() + 1);
  r.source_ends.reserve(input.size());
  run_normalizer(*this, input, [&](char32_t cp, size_t b, size_t e) {
    const size_t before = r.text.size();
    if (cp < 0x80) {
      r.text.push_back(static_cast<char>(cp));
    } else {
      utf8_append(r.text, cp);
    }
    for (size_t k = before; k < r.text.size(); ++k) {
      r.source_offsets.push_back(static_cast<uint32_t>(b));
      r.source_ends.push_back(static_cast<uint32_t>(e));
    }
  });
  r.source_offsets.push_back(static_cast<uint32_t>(input.size()));
  return r;
}

}  // namespace bertforge::text
