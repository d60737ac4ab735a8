// text/bert_pre_tokenizer.cpp — BertPreTokenizer per hf-tokenizers-spec.md §1b: whitespace (Rust
// char::is_whitespace) separates words and is dropped; each punctuation char becomes its own word.
#include "text/bert_pre_tokenizer.h"

#include "text/unicode_tables.h"
#include "text/utf8.h"

namespace bertforge::text {

bool is_bert_whitespace(char32_t c) {
  return unicode::flags(c) & unicode::kWhitespace;
}
bool is_bert_punctuation(char32_t c) {
  return unicode::flags(c) & unicode::kPunct;
}

void bert_pre_tokenize(std::string_view s, std::vector<PreToken>& out) {
  size_t word_begin = 0;
  bool in_word = false;
  auto flush = [&](size_t end) {
    if (in_word && end > word_begin) out.push_back({s.substr(word_begin, end - word_begin), word_begin, end});
    in_word = false;
  };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const size_t start = i;
    char32_t cp;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      cp = c;
      ++i;
    } else if (!utf8_next(s, i, cp)) {
      cp = 0xFFFD;  // not whitespace or punctuation: part of a word
    }
    const uint8_t f = unicode::flags(cp);
    if (f & unicode::kWhitespace) {
      flush(start);
    } else if (f & unicode::kPunct) {
      flush(start);
      out.push_back({s.substr(start, i - start), start, i});
    } else if (!in_word) {
      in_word = true;
      word_begin = start;
    }
  }
  flush(n);
}

}  // namespace bertforge::text
