// data/nsp_builder.cpp — see nsp_builder.h. The NSP loop follows HF's create_examples_from_document step by
// step (same draws in the same order), with the differences listed in the header.
#include "data/nsp_builder.h"

#include <fmt/format.h>

#include <vector>

#include "common/error.h"
#include "data/rng.h"

namespace bertforge::data {

void NspOptions::validate() const {
  if (block_size < 5)
    throw config_error("block_size",
                       fmt::format("--block-size {} is too small: an example needs [CLS] A [SEP] B "
                                   "[SEP] with at least one token in A and B (minimum 5)",
                                   block_size));
  if (block_size > 65535 + 3)
    throw config_error("block_size",
                       fmt::format("--block-size {} is larger than the format allows (65538)", block_size));
  if (!(short_seq_probability >= 0 && short_seq_probability <= 1))
    throw config_error("short_seq_probability", "--short-seq-probability must be in [0, 1]");
  if (!(nsp_probability >= 0 && nsp_probability <= 1))
    throw config_error("nsp_probability", "--nsp-probability must be in [0, 1]");
  if (dupe_factor < 1) throw config_error("dupe_factor", "--dupe-factor must be at least 1");
}

nlohmann::json NspOptions::to_json() const {
  return {{"block_size", block_size},           {"short_seq_probability", short_seq_probability},
          {"nsp_probability", nsp_probability}, {"seed", seed},
          {"dupe_factor", dupe_factor},         {"nsp", nsp}};
}

NspOptions NspOptions::from_json(const nlohmann::json& j) {
  NspOptions o;
  o.block_size = j.value("block_size", o.block_size);
  o.short_seq_probability = j.value("short_seq_probability", o.short_seq_probability);
  o.nsp_probability = j.value("nsp_probability", o.nsp_probability);
  o.seed = j.value("seed", o.seed);
  o.dupe_factor = j.value("dupe_factor", o.dupe_factor);
  o.nsp = j.value("nsp", o.nsp);
  return o;
}

template <typename T>
void TokenStore<T>::add_sentence(const uint32_t* ids, size_t n) {
  if (n == 0) return;
  if constexpr (sizeof(T) == 4) {
    tokens_.append(reinterpret_cast<const T*>(ids), n);
  } else {
    size_t base = tokens_.size();
    tokens_.reserve(base + n);  // PodBuffer grows geometrically inside append; reserve exact here is fine
    for (size_t i = 0; i < n; ++i) tokens_.push_back(static_cast<T>(ids[i]));
  }
  sent_end_.push_back(tokens_.size());
  ++open_doc_sentences_;
}

template <typename T>
void TokenStore<T>::end_document() {
  if (open_doc_sentences_ == 0) return;
  doc_end_.push_back(sent_end_.size());
  open_doc_sentences_ = 0;
}

template <typename T>
void TokenStore<T>::shrink_to_fit() {
  tokens_.shrink_to_fit();
  sent_end_.shrink_to_fit();
  doc_end_.shrink_to_fit();
}

namespace {

template <typename T>
void build_nsp_pass(const TokenStore<T>& store, const NspOptions& o, uint32_t pass,
                    const ExampleSink<T>& sink, const std::function<void()>& on_document) {
  Rng rng(derive_seed({o.seed, 0x4E5350 /* "NSP" */, pass}));
  const int64_t max_num_tokens = o.max_num_tokens();
  const size_t num_docs = store.num_documents();
  const T* tok = store.tokens();
  for (size_t d = 0; d < num_docs; ++d) {
    const uint64_t s0 = store.doc_begin(d), s1 = store.doc_end(d);
    int64_t target = max_num_tokens;
    if (rng.uniform() < o.short_seq_probability) target = rng.randint(2, max_num_tokens);

    // current_chunk is always a run of consecutive sentences: [chunk_begin, chunk_begin + chunk_size).
    uint64_t chunk_begin = s0, chunk_size = 0;
    int64_t current_length = 0;
    int64_t i = static_cast<int64_t>(s0);
    while (i < static_cast<int64_t>(s1)) {
      if (chunk_size == 0) chunk_begin = static_cast<uint64_t>(i);
      ++chunk_size;
      current_length += static_cast<int64_t>(store.sent_end(i) - store.sent_begin(i));
      if (i == static_cast<int64_t>(s1) - 1 || current_length >= target) {
        uint64_t a_end = 1;  // sentences of the chunk that go into A
        if (chunk_size >= 2)
          a_end = static_cast<uint64_t>(rng.randint(1, static_cast<int64_t>(chunk_size) - 1));
        ExampleSpan ex;
        ex.pass = pass;
        ex.doc = d;
        ex.a_begin = store.sent_begin(chunk_begin);
        uint64_t a_stop = store.sent_end(chunk_begin + a_end - 1);
        int64_t a_len = static_cast<int64_t>(a_stop - ex.a_begin);
        int64_t b_len = 0;
        if (chunk_size == 1 || rng.uniform() < o.nsp_probability) {
          ex.label = 1;
          int64_t target_b = target - a_len;
          size_t r = d;
          if (num_docs >= 2) {
            r = static_cast<size_t>(rng.randint(0, static_cast<int64_t>(num_docs) - 2));
            if (r >= d) ++r;
          }
          ex.b_doc = r;
          uint64_t r0 = store.doc_begin(r), r1 = store.doc_end(r);
          uint64_t start = r0 + static_cast<uint64_t>(rng.randint(0, static_cast<int64_t>(r1 - r0) - 1));
          ex.b_begin = store.sent_begin(start);
          for (uint64_t j = start; j < r1; ++j) {
            b_len = static_cast<int64_t>(store.sent_end(j) - ex.b_begin);
            if (b_len >= target_b) break;
          }
          // The sentences of the chunk after A were not used: put them back.
          i -= static_cast<int64_t>(chunk_size - a_end);
        } else {
          ex.label = 0;
          ex.b_doc = d;
          ex.b_begin = a_stop;
          b_len = static_cast<int64_t>(store.sent_end(chunk_begin + chunk_size - 1) - a_stop);
        }
        // truncate_seq_pair: trim the longer side, from the front or the back at random.
        uint64_t a_begin = ex.a_begin, b_begin = ex.b_begin;
        while (a_len + b_len > max_num_tokens) {
          bool trim_a = a_len > b_len;
          bool front = rng.uniform() < 0.5;
          if (trim_a) {
            if (front) ++a_begin;
            --a_len;
          } else {
            if (front) ++b_begin;
            --b_len;
          }
        }
        if (a_len < 1 || b_len < 1)
          throw Error(ErrorKind::kInternal,
                      fmt::format("NSP example with an empty segment (document {})", d));
        ex.a_begin = a_begin;
        ex.b_begin = b_begin;
        ex.a_len = static_cast<uint32_t>(a_len);
        ex.b_len = static_cast<uint32_t>(b_len);
        sink(ex, tok + a_begin, tok + b_begin);
        chunk_size = 0;
        current_length = 0;
      }
      ++i;
    }
    if (on_document) on_document();
  }
}

// MLM-only: the documents back to back with [SEP] between them, cut into blocks of block_size - 2 tokens
// ([CLS] block [SEP]). Pass 0 starts at 0; later passes shift the cut points by a random offset so that
// dupe passes differ. The last, shorter block is kept (HF's group_texts drops it).
template <typename T>
void build_block_pass(const TokenStore<T>& store, const NspOptions& o, uint32_t sep_id, uint32_t pass,
                      const ExampleSink<T>& sink, const std::function<void()>& on_document) {
  const uint64_t block = o.block_size - 2;
  Rng rng(derive_seed({o.seed, 0x424C4B /* "BLK" */, pass}));
  uint64_t cap = block;
  if (pass > 0) {
    uint64_t shift = rng.below(block);
    if (shift > 0) cap = shift;
  }
  std::vector<T> buf;
  buf.reserve(block);
  uint64_t stream_pos = 0, block_start = 0, block_doc = 0;
  auto emit = [&]() {
    ExampleSpan ex;
    ex.pass = pass;
    ex.label = -1;
    ex.doc = block_doc;
    ex.b_doc = block_doc;
    ex.a_begin = block_start;
    ex.a_len = static_cast<uint32_t>(buf.size());
    sink(ex, buf.data(), nullptr);
    buf.clear();
    block_start = stream_pos;
    cap = block;
  };
  const T* tok = store.tokens();
  for (size_t d = 0; d < store.num_documents(); ++d) {
    if (d > 0) {
      buf.push_back(static_cast<T>(sep_id));
      ++stream_pos;
      if (buf.size() == cap) emit();
    }
    if (buf.empty()) block_doc = d;
    uint64_t t = store.sent_begin(store.doc_begin(d)), t1 = store.sent_end(store.doc_end(d) - 1);
    while (t < t1) {
      if (buf.empty()) block_doc = d;
      uint64_t take = std::min<uint64_t>(cap - buf.size(), t1 - t);
      buf.insert(buf.end(), tok + t, tok + t + take);
      t += take;
      stream_pos += take;
      if (buf.size() == cap) emit();
    }
    if (on_document) on_document();
  }
  if (!buf.empty()) emit();
}

}  // namespace

template <typename T>
void build_examples(const TokenStore<T>& store, const NspOptions& options, uint32_t sep_id,
                    const ExampleSink<T>& sink, const std::function<void()>& on_document) {
  options.validate();
  for (uint32_t pass = 0; pass < options.dupe_factor; ++pass) {
    if (options.nsp)
      build_nsp_pass(store, options, pass, sink, on_document);
    else
      build_block_pass(store, options, sep_id, pass, sink, on_document);
  }
}

template class TokenStore<uint16_t>;
template class TokenStore<uint32_t>;
template void build_examples<uint16_t>(const TokenStore<uint16_t>&, const NspOptions&, uint32_t,
                                       const ExampleSink<uint16_t>&, const std::function<void()>&);
template void build_examples<uint32_t>(const TokenStore<uint32_t>&, const NspOptions&, uint32_t,
                                       const ExampleSink<uint32_t>&, const std::function<void()>&);

}  // namespace bertforge::data
