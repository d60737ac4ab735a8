// tokenizers/tokenizer.cpp — encoding (hf-tokenizers-spec.md §0, §1e, §1f, §1h): special tokens split off
// the raw text, then one fused pass that normalizes each char, pre-tokenizes and runs greedy longest-match
// WordPiece on each word as soon as it ends. The dataset builder calls encode_ids() per sentence, so that
// path allocates nothing per call (thread-local scratch) and never builds token strings or offsets.
#include "tokenizers/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "text/unicode_tables.h"
#include "text/utf8.h"
#include "tokenizers/tokenizer_impl.h"

namespace bertforge {

namespace {

inline bool is_utf8_cont(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else {
    text::utf8_append(out, cp);
  }
}

// Per-thread buffers of the encode loop.
struct Scratch {
  std::string word;
  std::vector<uint32_t> char_begin;  // per word byte: char offset (in the original text) of its source
  std::vector<uint32_t> char_end;
  struct Piece {
    uint32_t id, begin, end;  // byte range in `word`
  };
  std::vector<Piece> pieces;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Output of one sequence before post-processing.
struct Seq {
  std::vector<uint32_t> ids;
  std::vector<std::pair<uint32_t, uint32_t>> offsets;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Setup

void Tokenizer::Impl::build() {
  normalizer = text::BertNormalizer(settings.normalizer);
  std::vector<std::pair<std::string_view, uint32_t>> all, conts;
  all.reserve(vocab.size());
  const std::string& prefix = settings.continuing_subword_prefix;
  cont_flag.assign(vocab.size(), 0);
  for (uint32_t id = 0; id < vocab.size(); ++id) {
    const std::string& t = vocab[id];
    all.emplace_back(t, id);
    if (t.size() >= prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      conts.emplace_back(std::string_view(t).substr(prefix.size()), id);
      cont_flag[id] = 1;
    }
  }
  full.build(all);
  cont.build(conts);

  special_flag.assign(vocab.size(), 0);
  specials.clear();
  special_first.fill(false);
  for (const std::string& s : settings.special_tokens) {
    if (s.empty()) continue;
    int64_t id = full.find(s.data(), s.size());
    if (id < 0) continue;  // as BertWordPieceTokenizer: only specials present in the vocab are added
    if (special_flag[id]) continue;
    special_flag[id] = 1;
    specials.push_back({s, static_cast<uint32_t>(id), static_cast<uint32_t>(text::utf8_length(s))});
    special_first[static_cast<unsigned char>(s[0])] = true;
  }
  special_single_first = -1;
  int distinct = 0;
  for (int b = 0; b < 256; ++b) {
    if (special_first[b]) {
      ++distinct;
      special_single_first = b;
    }
  }
  if (distinct != 1) special_single_first = -1;

  auto id_of = [&](const std::string& t) { return t.empty() ? -1 : full.find(t.data(), t.size()); };
  unk = id_of(settings.unk_token);
  cls = id_of(settings.cls_token);
  sep = id_of(settings.sep_token);
  pad = id_of(settings.pad_token);
  mask = id_of(settings.mask_token);

  const auto& o = settings.normalizer;
  for (int c = 0; c < 128; ++c) {
    char32_t out[text::kMaxNormalizedChars];
    bool chinese = false;
    size_t n = normalizer.normalize_char(static_cast<char32_t>(c), out, &chinese);
    if (n == 0) {
      ascii_class[c] = 3;
      continue;
    }
    uint8_t f = text::unicode::flags(out[0]);
    ascii_class[c] = (f & text::unicode::kWhitespace) ? 1 : (f & text::unicode::kPunct) ? 2 : 0;
    ascii_map[c] = static_cast<char>(out[0]);
  }
  active_flags = text::unicode::kWhitespace | text::unicode::kPunct;
  if (o.clean_text) active_flags |= text::unicode::kRemoved | text::unicode::kToSpace;
  if (o.handle_chinese_chars) active_flags |= text::unicode::kChinese;
  if (o.effective_strip_accents()) active_flags |= text::unicode::kStrip;
  if (o.lowercase) active_flags |= text::unicode::kLower;
}

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_vocab(std::vector<std::string> vocab, TokenizerSettings settings) {
  if (vocab.empty()) throw config_error("vocab", "the vocabulary is empty");
  if (vocab.size() > 0xFFFFFFFEull) throw config_error("vocab", "more than 2^32-1 tokens");
  if (settings.max_input_chars_per_word == 0) {
    throw config_error("max_input_chars_per_word", "must be at least 1");
  }
  Tokenizer t;
  t.impl_->vocab = std::move(vocab);
  t.impl_->settings = std::move(settings);
  t.impl_->build();
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// The encode loop

namespace {

// Where a word's chars came from, to turn byte ranges of the word into char offsets of the original text.
// Direct words are an unmodified slice of the input (the common case): char offset = first_char + number of
// chars before the byte. Words the normalizer changed carry per-byte source offsets
// (Scratch::char_begin/end).
struct WordSource {
  bool direct = true;
  uint32_t first_char = 0;
};

inline uint32_t count_chars(const char* p, size_t n) {
  uint32_t k = 0;
  for (size_t i = 0; i < n; ++i) k += !is_utf8_cont(p[i]);
  return k;
}

// Runs WordPiece on word `w` (nchars code points) and emits its tokens with their char offsets.
template <bool kOffsets, typename Emit>
inline void encode_word(const Tokenizer::Impl& im, Scratch& s, std::string_view w, size_t nchars,
                        const WordSource& src, Emit& emit) {
  const size_t n = w.size();
  // Char offsets of the byte range [b, e) of the word; `chars_before_b` = chars in w[0, b) (direct words).
  auto span = [&](size_t b, size_t e, uint32_t chars_before_b,
                  uint32_t chars_in) -> std::pair<uint32_t, uint32_t> {
    if (src.direct) return {src.first_char + chars_before_b, src.first_char + chars_before_b + chars_in};
    return {s.char_begin[b], s.char_end[e - 1]};
  };
  auto emit_unk = [&]() {
    if (im.unk < 0) {
      throw Error(ErrorKind::kFormat, "WordPiece: the unknown token '" + im.settings.unk_token +
                                          "' is missing from the vocabulary (needed for word '" +
                                          std::string(w) + "')");
    }
    if constexpr (kOffsets) {
      auto o = span(0, n, 0, static_cast<uint32_t>(nchars));
      emit(static_cast<uint32_t>(im.unk), o.first, o.second);
    } else {
      emit(static_cast<uint32_t>(im.unk), 0, 0);
    }
  };
  if (nchars > im.settings.max_input_chars_per_word) {
    emit_unk();
    return;
  }
  // Fast case: the whole word is a token.
  const int64_t whole = im.full.find(w.data(), n);
  if (whole >= 0) {
    if constexpr (kOffsets) {
      auto o = span(0, n, 0, static_cast<uint32_t>(nchars));
      emit(static_cast<uint32_t>(whole), o.first, o.second);
    } else {
      emit(static_cast<uint32_t>(whole), 0, 0);
    }
    return;
  }
  s.pieces.clear();
  size_t start = 0;
  while (start < n) {
    const detail::TokenTable& table = start == 0 ? im.full : im.cont;
    size_t end = std::min(n, start + table.max_len());
    while (end > start && end < n && is_utf8_cont(w[end])) --end;
    if (start == 0 && end == n) {  // the whole word was already looked up
      --end;
      while (end > start && is_utf8_cont(w[end])) --end;
    }
    int64_t id = -1;
    while (end > start) {
      id = table.find(w.data() + start, end - start);
      if (id >= 0) break;
      --end;
      while (end > start && is_utf8_cont(w[end])) --end;
    }
    if (id < 0) {
      emit_unk();  // one [UNK] for the whole word, even when a prefix matched
      return;
    }
    s.pieces.push_back({static_cast<uint32_t>(id), static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    start = end;
  }
  uint32_t chars_before = 0;
  for (const auto& p : s.pieces) {
    if constexpr (kOffsets) {
      const uint32_t c = count_chars(w.data() + p.begin, p.end - p.begin);
      auto o = span(p.begin, p.end, chars_before, c);
      chars_before += c;
      emit(p.id, o.first, o.second);
    } else {
      emit(p.id, 0, 0);
    }
  }
}

// Normalizes, pre-tokenizes and WordPiece-encodes text[begin, end) (no special tokens inside).
// `char_pos` is the char offset of text[begin] and is advanced past the piece.
// A word stays a view into `text` while its chars pass through the normalizer unchanged and contiguous;
// only a word the normalizer changes (removed char inside, mapped char) is copied into Scratch::word.
template <bool kOffsets, typename Emit>
void encode_piece(const Tokenizer::Impl& im, std::string_view text, size_t begin, size_t end,
                  uint32_t& char_pos, Emit& emit) {
  Scratch& s = scratch();
  const char* data = text.data();
  bool in_word = false;
  WordSource src;
  size_t wstart = 0, wend = 0;  // direct word = data[wstart, wend)
  size_t nchars = 0;

  auto flush = [&]() {
    if (!in_word) return;
    if (src.direct) {
      encode_word<kOffsets>(im, s, std::string_view(data + wstart, wend - wstart), nchars, src, emit);
    } else {
      encode_word<kOffsets>(im, s, s.word, nchars, src, emit);
    }
    in_word = false;
  };
  auto start_word = [&](bool direct, uint32_t cpos) {
    in_word = true;
    src.direct = direct;
    src.first_char = cpos;
    nchars = 0;
    if (!direct) {
      s.word.clear();
      if constexpr (kOffsets) {
        s.char_begin.clear();
        s.char_end.clear();
      }
    }
  };
  // Leaves direct mode: copies the word so far into the buffer with its per-byte char offsets.
  auto to_buffer = [&]() {
    s.word.assign(data + wstart, wend - wstart);
    if constexpr (kOffsets) {
      s.char_begin.clear();
      s.char_end.clear();
      uint32_t c = src.first_char;
      for (size_t k = wstart; k < wend; ++k) {
        if (k > wstart && !is_utf8_cont(data[k])) ++c;
        s.char_begin.push_back(c);
        s.char_end.push_back(c + 1);
      }
    }
    src.direct = false;
  };
  auto add_offsets = [&](size_t nbytes, uint32_t cpos) {
    if constexpr (kOffsets) {
      for (size_t k = 0; k < nbytes; ++k) {
        s.char_begin.push_back(cpos);
        s.char_end.push_back(cpos + 1);
      }
    }
  };
  // A char taken verbatim from data[cs, ce).
  auto push_raw = [&](size_t cs, size_t ce, uint32_t cpos) {
    if (!in_word) {
      start_word(true, cpos);
      wstart = cs;
      wend = ce;
      nchars = 1;
      return;
    }
    if (src.direct) {
      if (cs == wend) {
        wend = ce;
        ++nchars;
        return;
      }
      to_buffer();
    }
    s.word.append(data + cs, ce - cs);
    ++nchars;
    add_offsets(ce - cs, cpos);
  };
  // A char the normalizer produced (differs from the input).
  auto push_cp = [&](char32_t cp, uint32_t cpos) {
    if (!in_word) {
      start_word(false, cpos);
    } else if (src.direct) {
      to_buffer();
    }
    const size_t before = s.word.size();
    append_utf8(s.word, cp);
    ++nchars;
    add_offsets(s.word.size() - before, cpos);
  };

  uint32_t cpos = char_pos;
  size_t i = begin;
  char32_t buf[text::kMaxNormalizedChars];
  while (i < end) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c < 0x80) {
      switch (im.ascii_class[c]) {
        case 0:  // word char
          if (im.ascii_map[c] == static_cast<char>(c)) {
            push_raw(i, i + 1, cpos);
          } else {
            push_cp(static_cast<unsigned char>(im.ascii_map[c]), cpos);
          }
          break;
        case 1:  // whitespace
          flush();
          break;
        case 2:  // punctuation: a word of its own
          flush();
          push_raw(i, i + 1, cpos);
          flush();
          break;
        default:  // removed by clean_text
          break;
      }
      ++i;
      ++cpos;
      continue;
    }
    const size_t start = i;
    char32_t cp;
    const bool valid = text::utf8_next(text.substr(0, end), i, cp);
    if (!valid) cp = 0xFFFD;  // lossy decode, as a JS/Python caller would have
    const uint8_t f = text::unicode::flags(cp);
    if (valid && (f & im.active_flags) == 0) {
      push_raw(start, i, cpos);  // the common case: the char passes through unchanged
    } else {
      bool chinese = false;
      const size_t m = im.normalizer.normalize_char(cp, buf, &chinese);
      if (chinese) flush();
      for (size_t k = 0; k < m; ++k) {
        const uint8_t g = text::unicode::flags(buf[k]);
        if (g & text::unicode::kWhitespace) {
          flush();
          continue;
        }
        const bool punct = g & text::unicode::kPunct;
        if (punct) flush();
        if (valid && m == 1 && buf[0] == cp) {
          push_raw(start, i, cpos);
        } else {
          push_cp(buf[k], cpos);
        }
        if (punct) flush();
      }
      if (chinese) flush();
    }
    ++cpos;
  }
  flush();
  char_pos = cpos;
}

// Splits off special tokens (leftmost-longest on the raw text) and encodes the rest.
template <bool kOffsets, typename Emit>
void encode_sequence(const Tokenizer::Impl& im, std::string_view text, Emit& emit) {
  uint32_t char_pos = 0;
  size_t piece_begin = 0;
  const size_t n = text.size();
  if (!im.specials.empty()) {
    size_t i = 0;
    while (i < n) {
      // Next candidate position.
      if (im.special_single_first >= 0) {
        const void* hit = std::memchr(text.data() + i, im.special_single_first, n - i);
        if (!hit) break;
        i = static_cast<const char*>(hit) - text.data();
      } else {
        while (i < n && !im.special_first[static_cast<unsigned char>(text[i])]) ++i;
        if (i >= n) break;
      }
      const Tokenizer::Impl::Special* best = nullptr;
      for (const auto& sp : im.specials) {
        if (sp.content.size() <= n - i &&
            std::memcmp(text.data() + i, sp.content.data(), sp.content.size()) == 0 &&
            (!best || sp.content.size() > best->content.size())) {
          best = &sp;
        }
      }
      if (!best) {
        ++i;
        continue;
      }
      if (i > piece_begin) encode_piece<kOffsets>(im, text, piece_begin, i, char_pos, emit);
      if constexpr (kOffsets) {
        emit(best->id, char_pos, char_pos + best->chars);
        char_pos += best->chars;
      } else {
        emit(best->id, 0, 0);
      }
      i += best->content.size();
      piece_begin = i;
    }
  }
  if (piece_begin < n) encode_piece<kOffsets>(im, text, piece_begin, n, char_pos, emit);
}

Seq encode_seq(const Tokenizer::Impl& im, std::string_view text) {
  Seq q;
  auto emit = [&](uint32_t id, uint32_t b, uint32_t e) {
    q.ids.push_back(id);
    q.offsets.emplace_back(b, e);
  };
  encode_sequence<true>(im, text, emit);
  return q;
}

uint32_t require_id(int64_t id, const std::string& token, const char* what) {
  if (id < 0) {
    throw config_error(what, "token '" + token + "' is not in the vocabulary");
  }
  return static_cast<uint32_t>(id);
}

// BertProcessing: [CLS] A [SEP] (B [SEP]); without special tokens only concatenation (B keeps type 1).
Encoding post_process(const Tokenizer::Impl& im, Seq a, const Seq* b, bool add_special) {
  Encoding e;
  const bool wrap = add_special && im.post_processor;
  size_t total = a.ids.size() + (b ? b->ids.size() : 0) + (wrap ? (b ? 3 : 2) : 0);
  e.ids.reserve(total);
  e.offsets.reserve(total);
  e.type_ids.reserve(total);
  e.special_tokens_mask.reserve(total);
  auto add = [&](uint32_t id, std::pair<uint32_t, uint32_t> off, uint32_t type, uint8_t special) {
    e.ids.push_back(id);
    e.offsets.push_back(off);
    e.type_ids.push_back(type);
    e.special_tokens_mask.push_back(special);
  };
  uint32_t cls = 0, sep = 0;
  if (wrap) {
    cls = require_id(im.cls, im.settings.cls_token, "cls_token");
    sep = require_id(im.sep, im.settings.sep_token, "sep_token");
    add(cls, {0, 0}, 0, 1);
  }
  for (size_t k = 0; k < a.ids.size(); ++k) add(a.ids[k], a.offsets[k], 0, 0);
  if (wrap) add(sep, {0, 0}, 0, 1);
  if (b) {
    for (size_t k = 0; k < b->ids.size(); ++k) add(b->ids[k], b->offsets[k], 1, 0);
    if (wrap) add(sep, {0, 0}, 1, 1);
  }
  e.attention_mask.assign(e.ids.size(), 1);
  e.tokens.reserve(e.ids.size());
  for (uint32_t id : e.ids) e.tokens.push_back(im.vocab[id]);
  return e;
}

void truncate_seq(Seq& q, size_t n) {
  if (q.ids.size() > n) {
    q.ids.resize(n);
    q.offsets.resize(n);
  }
}

size_t resolve_max_length(const Tokenizer::Impl& im, size_t max_length, size_t added) {
  if (max_length == 0) max_length = im.settings.model_max_length;
  if (max_length < added) {
    throw config_error("max_length", "truncation to " + std::to_string(max_length) +
                                         " tokens leaves no room for the " + std::to_string(added) +
                                         " special tokens");
  }
  return max_length - added;
}

}  // namespace

namespace {

// Encodes `a` (and `b`) straight into one Encoding: no intermediate sequences to copy (the hot path of
// encode_batch). Same result as post_process(encode_seq(a), encode_seq(b)).
Encoding encode_direct(const Tokenizer::Impl& im, std::string_view a, const std::string_view* b,
                       bool add_special) {
  Encoding e;
  const bool wrap = add_special && im.post_processor;
  const size_t guess = (a.size() + (b ? b->size() : 0)) / 3 + 4;
  e.ids.reserve(guess);
  e.offsets.reserve(guess);
  auto emit = [&e](uint32_t id, uint32_t s, uint32_t t) {
    e.ids.push_back(id);
    e.offsets.emplace_back(s, t);
  };
  uint32_t cls = 0, sep = 0;
  if (wrap) {
    cls = require_id(im.cls, im.settings.cls_token, "cls_token");
    sep = require_id(im.sep, im.settings.sep_token, "sep_token");
    emit(cls, 0, 0);
  }
  encode_sequence<true>(im, a, emit);
  if (wrap) emit(sep, 0, 0);
  const size_t first_len = e.ids.size();
  if (b) {
    encode_sequence<true>(im, *b, emit);
    if (wrap) emit(sep, 0, 0);
  }
  const size_t n = e.ids.size();
  e.type_ids.assign(n, 0);
  for (size_t k = first_len; k < n; ++k) e.type_ids[k] = 1;
  e.special_tokens_mask.assign(n, 0);
  if (wrap) {
    e.special_tokens_mask[0] = 1;
    e.special_tokens_mask[first_len - 1] = 1;
    if (b) e.special_tokens_mask[n - 1] = 1;
  }
  e.attention_mask.assign(n, 1);
  e.tokens.reserve(n);
  for (uint32_t id : e.ids) e.tokens.push_back(im.vocab[id]);
  return e;
}

}  // namespace

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return encode_direct(*impl_, text, nullptr, add_special_tokens);
}

Encoding Tokenizer::encode_pair(std::string_view a, std::string_view b, bool add_special_tokens) const {
  return encode_direct(*impl_, a, &b, add_special_tokens);
}

Encoding Tokenizer::encode_truncated(std::string_view text, size_t max_length,
                                     bool add_special_tokens) const {
  const bool wrap = add_special_tokens && impl_->post_processor;
  const size_t budget = resolve_max_length(*impl_, max_length, wrap ? 2 : 0);
  Seq q = encode_seq(*impl_, text);
  truncate_seq(q, budget);
  return post_process(*impl_, std::move(q), nullptr, add_special_tokens);
}

Encoding Tokenizer::encode_pair_truncated(std::string_view a, std::string_view b, size_t max_length,
                                          bool add_special_tokens) const {
  const bool wrap = add_special_tokens && impl_->post_processor;
  const size_t budget = resolve_max_length(*impl_, max_length, wrap ? 3 : 0);
  Seq qa = encode_seq(*impl_, a), qb = encode_seq(*impl_, b);
  size_t na = qa.ids.size(), nb = qb.ids.size();
  while (na + nb > budget) {
    if (na > nb) {
      --na;
    } else {
      --nb;
    }
  }
  truncate_seq(qa, na);
  truncate_seq(qb, nb);
  return post_process(*impl_, std::move(qa), &qb, add_special_tokens);
}

void Tokenizer::encode_ids(std::string_view text, std::vector<uint32_t>& out) const {
  auto emit = [&out](uint32_t id, uint32_t, uint32_t) { out.push_back(id); };
  encode_sequence<false>(*impl_, text, emit);
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens,
                                              unsigned threads) const {
  std::vector<Encoding> out(texts.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, (texts.size() + 63) / 64));
  if (threads <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) out[i] = encode(texts[i], add_special_tokens);
    return out;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&]() {
    try {
      constexpr size_t kChunk = 64;
      while (true) {
        size_t b = next.fetch_add(kChunk);
        if (b >= texts.size()) break;
        size_t e = std::min(texts.size(), b + kChunk);
        for (size_t i = b; i < e; ++i) out[i] = encode(texts[i], add_special_tokens);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(texts.size());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding: HF's WordPiece decoder (prefix "##", cleanup per token), special tokens skipped on request.

namespace {
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}
void cleanup(std::string& s) {
  replace_all(s, " .", ".");
  replace_all(s, " ?", "?");
  replace_all(s, " !", "!");
  replace_all(s, " ,", ",");
  replace_all(s, " ' ", "'");
  replace_all(s, " n't", "n't");
  replace_all(s, " 'm", "'m");
  replace_all(s, " do not", " don't");
  replace_all(s, " 's", "'s");
  replace_all(s, " 've", "'ve");
  replace_all(s, " 're", "'re");
}
}  // namespace

std::string Tokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const {
  const Impl& im = *impl_;
  std::vector<const std::string*> toks;
  toks.reserve(ids.size());
  for (uint32_t id : ids) {
    if (id >= im.vocab.size()) continue;  // HF drops ids it cannot map
    if (skip_special_tokens && im.special_flag[id]) continue;
    toks.push_back(&im.vocab[id]);
  }
  std::string out;
  if (!im.decoder) {  // HF without a decoder joins tokens with spaces
    for (size_t i = 0; i < toks.size(); ++i) {
      if (i) out.push_back(' ');
      out += *toks[i];
    }
    return out;
  }
  const std::string& prefix = im.settings.continuing_subword_prefix;
  std::string piece;
  for (size_t i = 0; i < toks.size(); ++i) {
    const std::string& t = *toks[i];
    if (i == 0) {
      piece = t;
    } else if (t.size() >= prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      piece = t.substr(prefix.size());
    } else {
      piece = " " + t;
    }
    cleanup(piece);
    out += piece;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Accessors

size_t Tokenizer::vocab_size() const {
  return impl_->vocab.size();
}
int64_t Tokenizer::token_to_id(std::string_view token) const {
  return impl_->full.find(token.data(), token.size());
}
const std::string& Tokenizer::id_to_token(uint32_t id) const {
  if (id >= impl_->vocab.size()) {
    throw config_error("id", "token id " + std::to_string(id) + " is outside the vocabulary (size " +
                                 std::to_string(impl_->vocab.size()) + ")");
  }
  return impl_->vocab[id];
}
bool Tokenizer::is_special_id(uint32_t id) const {
  return id < impl_->special_flag.size() && impl_->special_flag[id];
}
bool Tokenizer::is_continuation_id(uint32_t id) const {
  return id < impl_->cont_flag.size() && impl_->cont_flag[id];
}
uint32_t Tokenizer::pad_id() const {
  return require_id(impl_->pad, impl_->settings.pad_token, "pad_token");
}
uint32_t Tokenizer::unk_id() const {
  return require_id(impl_->unk, impl_->settings.unk_token, "unk_token");
}
uint32_t Tokenizer::cls_id() const {
  return require_id(impl_->cls, impl_->settings.cls_token, "cls_token");
}
uint32_t Tokenizer::sep_id() const {
  return require_id(impl_->sep, impl_->settings.sep_token, "sep_token");
}
uint32_t Tokenizer::mask_id() const {
  return require_id(impl_->mask, impl_->settings.mask_token, "mask_token");
}
const TokenizerSettings& Tokenizer::settings() const {
  return impl_->settings;
}
const std::vector<std::string>& Tokenizer::vocab() const {
  return impl_->vocab;
}
bool Tokenizer::has_post_processor() const {
  return impl_->post_processor;
}

std::string Tokenizer::fingerprint() const {
  // FNV-1a (64-bit) twice with different offsets, over a canonical length-prefixed serialization of
  // everything that changes ids: vocab, normalizer, WordPiece settings, specials, post-processor.
  uint64_t h1 = 0xCBF29CE484222325ull, h2 = 0x84222325CBF29CE4ull;
  auto mix = [&](std::string_view s) {
    auto byte = [&](unsigned char c) {
      h1 = (h1 ^ c) * 0x100000001B3ull;
      h2 = (h2 ^ c) * 0x100000001B3ull;
      h2 ^= h2 >> 29;
    };
    uint64_t n = s.size();
    for (int k = 0; k < 8; ++k) byte(static_cast<unsigned char>(n >> (8 * k)));
    for (unsigned char c : s) byte(c);
  };
  const auto& st = impl_->settings;
  const auto& o = st.normalizer;
  mix("bertforge-wordpiece-v1");
  mix(std::to_string(impl_->vocab.size()));
  for (const auto& t : impl_->vocab) mix(t);
  mix(std::string{o.clean_text ? '1' : '0', o.handle_chinese_chars ? '1' : '0',
                  o.effective_strip_accents() ? '1' : '0', o.lowercase ? '1' : '0',
                  impl_->post_processor ? '1' : '0'});
  mix(st.unk_token);
  mix(st.cls_token);
  mix(st.sep_token);
  mix(st.pad_token);
  mix(st.mask_token);
  mix(st.continuing_subword_prefix);
  mix(std::to_string(st.max_input_chars_per_word));
  for (const auto& s : impl_->specials) mix(s.content);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h1),
                static_cast<unsigned long long>(h2));
  return hex;
}

}  // namespace bertforge
