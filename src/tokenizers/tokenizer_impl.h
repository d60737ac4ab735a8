// tokenizers/tokenizer_impl.h — the private state of Tokenizer, shared by tokenizer.cpp (encoding) and
// tokenizer_io.cpp (load/save). Not part of the public API.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "text/bert_normalizer.h"
#include "tokenizers/token_table.h"
#include "tokenizers/tokenizer.h"

namespace bertforge {

struct Tokenizer::Impl {
  std::vector<std::string> vocab;  // id -> token (vocab.txt line order)
  TokenizerSettings settings;
  text::BertNormalizer normalizer;
  bool post_processor = true;  // BertProcessing present (tokenizer.json may say null)
  bool decoder = true;         // WordPiece decoder present

  detail::TokenTable full;            // every token -> id
  detail::TokenTable cont;            // token with the continuing prefix removed -> id (for "##x" tokens)
  std::vector<uint8_t> special_flag;  // per id: an added special token
  std::vector<uint8_t> cont_flag;     // per id: starts with the continuing prefix

  struct Special {
    std::string content;
    uint32_t id;
    uint32_t chars;  // length in code points (for offsets)
  };
  std::vector<Special> specials;  // matched on the raw text, leftmost-longest
  std::array<bool, 256> special_first{};
  int special_single_first = -1;  // the one first byte all specials share, or -1

  int64_t unk = -1, cls = -1, sep = -1, pad = -1, mask = -1;

  // ASCII fast path, derived from the normalizer options: class 0 = word char (ascii_map gives the
  // normalized byte), 1 = separator (whitespace), 2 = punctuation (own word), 3 = removed.
  std::array<uint8_t, 128> ascii_class{};
  std::array<char, 128> ascii_map{};
  uint8_t active_flags = 0;  // unicode::flags bits that change a non-ASCII char under these options

  // Builds the tables above from vocab + settings (specials = settings.special_tokens present in vocab).
  void build();
};

}  // namespace bertforge
