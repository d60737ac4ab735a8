// tokenizers/tokenizer.h — a BERT WordPiece tokenizer with HF `tokenizers` behaviour: special tokens matched
// on the raw text (leftmost-longest), BertNormalizer, BertPreTokenizer, WordPiece, BertProcessing
// ([CLS] A [SEP] B [SEP]), WordPiece decoder. Loads/saves HF tokenizer folders, tokenizer.json, vocab.txt.
// Example: encode("이순신은 [MASK] 중기의 무신이다.") -> [CLS] 이 ##순 ##신 ##은 [MASK] 중 ##기의 ... [SEP]
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/bert_normalizer.h"

namespace bertforge {

struct Encoding {
  std::vector<uint32_t> ids;
  std::vector<std::string> tokens;
  std::vector<uint32_t> type_ids;
  std::vector<std::pair<uint32_t, uint32_t>> offsets;  // char (code point) offsets in the original input
  std::vector<uint8_t> special_tokens_mask;
  std::vector<uint8_t> attention_mask;
};

// Everything that defines a tokenizer besides its vocab (tokenizer.json fields, tokenizer_config.json).
struct TokenizerSettings {
  text::BertNormalizerOptions normalizer;
  std::string unk_token = "[UNK]";
  std::string sep_token = "[SEP]";
  std::string cls_token = "[CLS]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  std::string continuing_subword_prefix = "##";
  uint32_t max_input_chars_per_word = 100;
  uint32_t model_max_length = 512;  // tokenizer_config.json; truncation limit when asked for
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
};

class Tokenizer {
 public:
  // `path` is a tokenizer folder (tokenizer.json preferred, else vocab.txt + tokenizer_config.json), a
  // tokenizer.json, or a vocab.txt. Non-WordPiece tokenizers are refused with an error naming the type.
  static Tokenizer load(const std::filesystem::path& path);
  // From a vocab in id order (as trained) and settings.
  static Tokenizer from_vocab(std::vector<std::string> vocab, TokenizerSettings settings);

  // Writes vocab.txt (or PREFIX-vocab.txt), tokenizer.json, tokenizer_config.json, special_tokens_map.json
  // into an existing folder.
  void save(const std::filesystem::path& dir, const std::string& prefix = "") const;

  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view a, std::string_view b, bool add_special_tokens = true) const;
  // Token ids of `text` without special tokens added (special tokens in the text are still matched).
  // The fast path for building datasets.
  void encode_ids(std::string_view text, std::vector<uint32_t>& out) const;
  // Batch encoding on `threads` threads (0 = all cores); result order = input order.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens = true,
                                     unsigned threads = 0) const;
  std::string decode(const std::vector<uint32_t>& ids, bool skip_special_tokens = true) const;

  // Truncation to `max_length` tokens including [CLS]/[SEP] (0 = settings().model_max_length), as HF's
  // truncation (direction right, stride 0) before BertProcessing: the content is cut, then the special
  // tokens are added. Pairs use HF's longest_first (drop from the longer side, ties from the second).
  Encoding encode_truncated(std::string_view text, size_t max_length = 0,
                            bool add_special_tokens = true) const;
  Encoding encode_pair_truncated(std::string_view a, std::string_view b, size_t max_length = 0,
                                 bool add_special_tokens = true) const;

  // The tokenizer.json text HF's pretty save would write for this tokenizer (byte-exact, no final newline).
  std::string to_tokenizer_json() const;
  // False for a tokenizer.json whose post_processor is null (HF then adds no [CLS]/[SEP]).
  bool has_post_processor() const;

  size_t vocab_size() const;
  int64_t token_to_id(std::string_view token) const;  // -1 when absent
  const std::string& id_to_token(uint32_t id) const;
  bool is_special_id(uint32_t id) const;
  // True when the token starts with the continuing-subword prefix ("##").
  bool is_continuation_id(uint32_t id) const;
  uint32_t pad_id() const;
  uint32_t unk_id() const;
  uint32_t cls_id() const;
  uint32_t sep_id() const;
  uint32_t mask_id() const;
  const TokenizerSettings& settings() const;
  const std::vector<std::string>& vocab() const;
  // Stable hash of vocab + settings (hex), used as the dataset cache key.
  std::string fingerprint() const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  struct Impl;  // opaque (tokenizer_impl.h); public only so the encode helpers in the .cpp can name it

 private:
  Tokenizer();
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertforge
