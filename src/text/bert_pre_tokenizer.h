// text/bert_pre_tokenizer.h — HF's BertPreTokenizer: split on whitespace (removed), then isolate every
// punctuation char (ASCII punctuation or Unicode 8 P*). "셀을, 병합!" -> ["셀을", ",", "병합", "!"].
#pragma once

#include <string_view>
#include <vector>

namespace bertforge::text {

struct PreToken {
  std::string_view word;  // a view into the (normalized) input
  size_t begin = 0;       // byte offsets into that input
  size_t end = 0;
};

// Appends the words of `normalized` to `out` (views into `normalized`).
void bert_pre_tokenize(std::string_view normalized, std::vector<PreToken>& out);

bool is_bert_whitespace(char32_t c);
bool is_bert_punctuation(char32_t c);

}  // namespace bertforge::text
