// tokenizers/wordpiece_trainer.cpp — word counting and HF's WordPiece (BPE-style) merge loop; see
// wordpiece_trainer.h and ../shared/reference/hf-tokenizers-spec.md §1c for the algorithm reproduced here.
//
// Word counting is fast because BertNormalizer and BertPreTokenizer act char by char: a raw line split at
// ' ', '\t', '\r' (bytes that every normalizer setting keeps as, or turns into, a separator) gives the same
// words as the whole line, piece by piece. (NFD reordering never crosses a char of combining class 0, and
// the other steps look at one char at a time.) So workers only split lines at those bytes and count the raw
// pieces in per-thread hash tables; each DISTINCT piece is then normalized and pre-tokenized once. On real
// corpora distinct pieces are a small fraction of all pieces. tests/unit/tokenizers/test_trainer*.cpp check
// this path against plain per-line normalization.
#include "tokenizers/wordpiece_trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "common/fs.h"
#include "text/bert_pre_tokenizer.h"
#include "text/utf8.h"

namespace bertforge {

namespace {

// ---------------------------------------------------------------------------------------------------------
// Options helpers

std::string first_char(const std::string& s) {
  size_t i = 0;
  char32_t cp = 0;
  if (s.empty() || !text::utf8_next(s, i, cp)) return {};
  return s.substr(0, i);
}

unsigned effective_threads(unsigned threads) {
  if (threads != 0) return threads;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

// ---------------------------------------------------------------------------------------------------------
// A small open-addressing hash table of byte strings (raw pieces) -> count and first occurrence.

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0x9fb21c651e98df25ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x9fb21c651e98df25ull;
  }
  return mix64(h);
}

class PieceTable {
 public:
  struct Slot {
    uint64_t hash = 0;
    uint64_t offset = 0;  // into arena_
    uint32_t length = 0;
    bool used = false;
    uint64_t count = 0;
    uint64_t first = 0;  // (chunk sequence << 32) | byte offset in chunk: corpus order
  };

  PieceTable() { slots_.resize(1 << 12); }

  void add(std::string_view key, uint64_t count, uint64_t first) {
    add_hashed(key, hash_bytes(key.data(), key.size()), count, first);
  }

  void add_hashed(std::string_view key, uint64_t h, uint64_t count, uint64_t first) {
    size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    for (;;) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.hash = h;
        s.offset = arena_.size();
        s.length = static_cast<uint32_t>(key.size());
        arena_.append(key.data(), key.size());
        s.count = count;
        s.first = first;
        if (++size_ * 2 > slots_.size()) grow();
        return;
      }
      if (s.hash == h && s.length == key.size() &&
          std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
        s.count += count;
        if (first < s.first) s.first = first;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  std::string_view key(const Slot& s) const { return std::string_view(arena_.data() + s.offset, s.length); }
  const std::vector<Slot>& slots() const { return slots_; }
  size_t size() const { return size_; }

 private:
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (!s.used) continue;
      size_t i = s.hash & mask;
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

// Bytes at which a raw line can be cut without changing its words (see the file comment). '\n' separates
// lines inside a chunk.
struct SeparatorTable {
  bool sep[256] = {};
  SeparatorTable() { sep[' '] = sep['\t'] = sep['\r'] = sep['\n'] = true; }
};
const SeparatorTable kSeparators;

void count_pieces(std::string_view chunk, uint64_t chunk_seq, PieceTable& table, uint64_t& pieces) {
  const char* data = chunk.data();
  size_t n = chunk.size(), i = 0;
  while (i < n) {
    while (i < n && kSeparators.sep[static_cast<unsigned char>(data[i])]) ++i;
    size_t start = i;
    while (i < n && !kSeparators.sep[static_cast<unsigned char>(data[i])]) ++i;
    if (i > start) {
      table.add(std::string_view(data + start, i - start), 1, (chunk_seq << 32) | start);
      ++pieces;
    }
  }
}

// Bounded queue of line chunks between the reader and the counting workers.
struct ChunkQueue {
  std::mutex m;
  std::condition_variable not_empty, not_full;
  std::deque<std::pair<uint64_t, std::string>> items;
  size_t capacity;
  bool closed = false;
  explicit ChunkQueue(size_t cap) : capacity(cap) {}
  bool push(uint64_t seq, std::string chunk, const std::atomic<bool>& failed) {
    std::unique_lock<std::mutex> lock(m);
    not_full.wait(lock, [&] { return items.size() < capacity || failed.load(); });
    if (failed.load()) return false;
    items.emplace_back(seq, std::move(chunk));
    not_empty.notify_one();
    return true;
  }
  bool pop(std::pair<uint64_t, std::string>& out) {
    std::unique_lock<std::mutex> lock(m);
    not_empty.wait(lock, [&] { return !items.empty() || closed; });
    if (items.empty()) return false;
    out = std::move(items.front());
    items.pop_front();
    not_full.notify_one();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(m);
    closed = true;
    not_empty.notify_all();
    not_full.notify_all();
  }
};

// Adds the words of one normalized text to an ordered word table.
struct OrderedWords {
  std::unordered_map<std::string, uint32_t> index;
  WordCounts* out;
  void add(std::string_view word, uint64_t count) {
    auto [it, inserted] = index.try_emplace(std::string(word), static_cast<uint32_t>(out->words.size()));
    if (inserted) {
      out->words.emplace_back(word);
      out->counts.push_back(count);
    } else {
      out->counts[it->second] += count;
    }
    out->total_words += count;
  }
};

// ---------------------------------------------------------------------------------------------------------
// Merge loop structures.

inline uint64_t pair_key(uint32_t a, uint32_t b) {
  return (static_cast<uint64_t>(a) << 32) | b;
}

// u64 -> i32 open-addressing map (pair counts; pairs are never removed, only go to 0).
class PairCounts {
 public:
  PairCounts() { keys_.assign(1 << 16, kEmpty), vals_.assign(1 << 16, 0); }
  int32_t& operator[](uint64_t key) {
    size_t mask = keys_.size() - 1;
    size_t i = mix64(key) & mask;
    for (;;) {
      if (keys_[i] == key) return vals_[i];
      if (keys_[i] == kEmpty) {
        if ((size_ + 1) * 2 > keys_.size()) {
          grow();
          return (*this)[key];
        }
        keys_[i] = key;
        vals_[i] = 0;
        ++size_;
        return vals_[i];
      }
      i = (i + 1) & mask;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ull;  // ids are < 2^32 - 1, so this pair never occurs
  void grow() {
    std::vector<uint64_t> ok;
    std::vector<int32_t> ov;
    ok.swap(keys_);
    ov.swap(vals_);
    keys_.assign(ok.size() * 2, kEmpty);
    vals_.assign(ok.size() * 2, 0);
    size_t mask = keys_.size() - 1;
    for (size_t j = 0; j < ok.size(); ++j) {
      if (ok[j] == kEmpty) continue;
      size_t i = mix64(ok[j]) & mask;
      while (keys_[i] != kEmpty) i = (i + 1) & mask;
      keys_[i] = ok[j];
      vals_[i] = ov[j];
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<int32_t> vals_;
  size_t size_ = 0;
};

// HF adds `delta * count as i32` to an i32 (wrapping in release builds); done in u32 to wrap defined.
inline void add_wrapping(int32_t& target, int delta, uint64_t count) {
  uint32_t t = static_cast<uint32_t>(target), c = static_cast<uint32_t>(count);
  t = delta > 0 ? t + c : t - c;
  target = static_cast<int32_t>(t);
}
// HF's Merge.count is u64, filled with `i32 as u64` (sign-extending).
inline uint64_t as_u64(int32_t v) {
  return static_cast<uint64_t>(static_cast<int64_t>(v));
}

struct HeapEntry {
  uint64_t count;
  uint64_t pair;
  uint32_t pos;  // index into the pos-set pool
};
// std::priority_queue pops the "largest": higher count first, then the SMALLER pair (HF's impl Ord).
struct HeapLess {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    if (a.count != b.count) return a.count < b.count;
    return a.pair > b.pair;
  }
};

// HF's Word::merge: left to right, non-overlapping; reports (pair, ±1) changes of neighbouring pairs.
void merge_word(std::vector<uint32_t>& s, uint32_t c1, uint32_t c2, uint32_t replacement,
                std::vector<std::pair<uint64_t, int>>& changes) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == c1 && i + 1 < s.size() && s[i + 1] == c2) {
      if (i > 0) {
        changes.emplace_back(pair_key(s[i - 1], c1), -1);
        changes.emplace_back(pair_key(s[i - 1], replacement), 1);
      }
      s[i] = replacement;
      s.erase(s.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      if (i + 1 < s.size()) {
        changes.emplace_back(pair_key(c2, s[i + 1]), -1);
        changes.emplace_back(pair_key(replacement, s[i + 1]), 1);
      }
    }
    ++i;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Options

void WordPieceTrainerOptions::validate() const {
  if (vocab_size == 0) throw config_error("vocab_size", "must be at least 1 (--vocab-size)");
  if (wordpieces_prefix.empty())
    throw config_error(
        "wordpieces_prefix",
        "must not be empty: WordPiece needs a continuing-subword prefix (--wordpieces-prefix)");
  if (text::utf8_find_invalid(wordpieces_prefix) != std::string_view::npos)
    throw config_error("wordpieces_prefix", "is not valid UTF-8");
  std::unordered_set<std::string> seen;
  for (const auto& s : special_tokens) {
    if (s.empty()) throw config_error("special_tokens", "contains an empty token (--special-tokens)");
    if (text::utf8_find_invalid(s) != std::string_view::npos)
      throw config_error("special_tokens", fmt::format("'{}' is not valid UTF-8", s));
  }
  for (const auto& s : initial_alphabet)
    if (text::utf8_find_invalid(s) != std::string_view::npos)
      throw config_error("initial_alphabet", "contains invalid UTF-8 (--initial-alphabet)");
  if (threads > 4096)
    throw config_error("threads", fmt::format("{} is not a sensible thread count (--threads)", threads));
}

nlohmann::json WordPieceTrainerOptions::to_json() const {
  nlohmann::json j;
  j["vocab_size"] = vocab_size;
  j["min_frequency"] = min_frequency;
  j["limit_alphabet"] = limit_alphabet;
  j["initial_alphabet"] = initial_alphabet;
  j["special_tokens"] = special_tokens;
  j["wordpieces_prefix"] = wordpieces_prefix;
  j["threads"] = threads;
  j["clean_text"] = normalizer.clean_text;
  j["handle_chinese_chars"] = normalizer.handle_chinese_chars;
  j["strip_accents"] = normalizer.strip_accents ? nlohmann::json(*normalizer.strip_accents ? "true" : "false")
                                                : nlohmann::json("unset");
  j["lowercase"] = normalizer.lowercase;
  j["reference_vocab"] = reference_vocab;
  j["on_invalid_utf8"] = invalid_utf8_policy_name(on_invalid_utf8);
  return j;
}

WordPieceTrainerOptions WordPieceTrainerOptions::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw config_error("trainer options", "expected a JSON object");
  WordPieceTrainerOptions o;
  for (auto& [key, v] : j.items()) {
    try {
      if (key == "vocab_size")
        o.vocab_size = v.get<uint32_t>();
      else if (key == "min_frequency")
        o.min_frequency = v.get<uint64_t>();
      else if (key == "limit_alphabet")
        o.limit_alphabet = v.is_null() ? 0 : v.get<uint32_t>();
      else if (key == "initial_alphabet")
        o.initial_alphabet = v.get<std::vector<std::string>>();
      else if (key == "special_tokens")
        o.special_tokens = v.get<std::vector<std::string>>();
      else if (key == "wordpieces_prefix")
        o.wordpieces_prefix = v.get<std::string>();
      else if (key == "threads")
        o.threads = v.get<unsigned>();
      else if (key == "clean_text")
        o.normalizer.clean_text = v.get<bool>();
      else if (key == "handle_chinese_chars")
        o.normalizer.handle_chinese_chars = v.get<bool>();
      else if (key == "lowercase")
        o.normalizer.lowercase = v.get<bool>();
      else if (key == "strip_accents") {
        if (v.is_null())
          o.normalizer.strip_accents.reset();
        else if (v.is_boolean())
          o.normalizer.strip_accents = v.get<bool>();
        else {
          std::string s = v.get<std::string>();
          if (s == "true")
            o.normalizer.strip_accents = true;
          else if (s == "false")
            o.normalizer.strip_accents = false;
          else if (s == "unset" || s == "none" || s.empty())
            o.normalizer.strip_accents.reset();
          else
            throw config_error("strip_accents", fmt::format("expected true, false or unset, got '{}'", s));
        }
      } else if (key == "reference_vocab")
        o.reference_vocab = v.is_null() ? "" : v.get<std::string>();
      else if (key == "on_invalid_utf8")
        o.on_invalid_utf8 = parse_invalid_utf8_policy(v.get<std::string>());
      else
        throw config_error(key, "unknown trainer option");
    } catch (const nlohmann::json::exception& e) {
      throw config_error(key, fmt::format("wrong JSON type ({})", e.what()));
    }
  }
  o.validate();
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Word counting

WordCounts count_words_in_lines(const std::vector<std::string>& lines,
                                const text::BertNormalizerOptions& norm) {
  WordCounts wc;
  OrderedWords ow{{}, &wc};
  text::BertNormalizer normalizer(norm);
  std::vector<text::PreToken> pieces;
  for (const auto& line : lines) {
    ++wc.lines;
    wc.bytes += line.size() + 1;
    std::string normalized = normalizer.normalize(line);
    pieces.clear();
    text::bert_pre_tokenize(normalized, pieces);
    for (const auto& p : pieces) ow.add(p.word, 1);
  }
  return wc;
}

WordCounts count_words_in_files(const std::vector<std::filesystem::path>& files,
                                const WordPieceTrainerOptions& options, const TrainProgress& progress,
                                std::vector<std::string>* sample, size_t sample_size) {
  if (files.empty()) throw Error(ErrorKind::kUsage, "no input files (--files FILE...)");
  uint64_t total_bytes = 0;
  for (const auto& f : files) {
    std::error_code ec;
    auto st = std::filesystem::status(f, ec);
    if (!std::filesystem::exists(st)) throw io_error(f.string(), "no such file (--files)");
    if (std::filesystem::is_directory(st))
      throw io_error(f.string(), "is a directory, expected a text file (--files)");
    if (std::filesystem::is_regular_file(st)) {
      uint64_t size = std::filesystem::file_size(f, ec);
      if (!ec && size == 0) throw io_error(f.string(), "is empty: nothing to train on (--files)");
      if (!ec) total_bytes += size;
    }
  }

  const unsigned nthreads = effective_threads(options.threads);
  std::vector<PieceTable> tables(nthreads);
  std::vector<uint64_t> piece_counts(nthreads, 0);
  std::atomic<bool> failed{false};
  std::exception_ptr worker_error;
  std::mutex error_mutex;
  ChunkQueue queue(2 * nthreads + 2);

  auto worker = [&](unsigned t) {
    try {
      std::pair<uint64_t, std::string> item;
      while (queue.pop(item)) count_pieces(item.second, item.first, tables[t], piece_counts[t]);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!worker_error) worker_error = std::current_exception();
      failed = true;
      queue.close();
    }
  };
  std::vector<std::thread> workers;
  const bool inline_counting = nthreads == 1;
  if (!inline_counting)
    for (unsigned t = 0; t < nthreads; ++t) workers.emplace_back(worker, t);

  WordCounts wc;
  constexpr size_t kChunk = 1 << 20;
  uint64_t seq = 0, done_before = 0;
  std::string chunk;
  chunk.reserve(kChunk + 4096);
  uint64_t next_sample_at = 0;
  const uint64_t sample_step = sample_size ? std::max<uint64_t>(1, total_bytes / sample_size) : 0;
  auto flush = [&]() {
    if (chunk.empty()) return true;
    if (seq >= (1ull << 31)) throw Error(ErrorKind::kUnsupported, "corpus too large (more than 2^31 chunks)");
    if (inline_counting) {
      count_pieces(chunk, seq++, tables[0], piece_counts[0]);
      chunk.clear();
      return true;
    }
    std::string full;
    full.reserve(kChunk + 4096);
    full.swap(chunk);
    return queue.push(seq++, std::move(full), failed);
  };
  try {
    LineReaderOptions lro;
    lro.on_invalid_utf8 = options.on_invalid_utf8;
    for (const auto& f : files) {
      LineReader reader(f, lro);
      std::string_view line;
      uint64_t lines_in_file = 0;
      while (reader.next(line)) {
        ++wc.lines;
        ++lines_in_file;
        uint64_t pos = done_before + reader.bytes_read();
        if (sample && sample->size() < sample_size && pos >= next_sample_at && !line.empty()) {
          sample->emplace_back(line);
          next_sample_at = pos + sample_step;
        }
        // A line longer than a chunk is one chunk by itself: the workers never split a line.
        chunk.append(line.data(), line.size());
        chunk.push_back('\n');
        if (chunk.size() >= kChunk) {
          if (!flush()) break;
          if (progress) progress(done_before + reader.bytes_read(), total_bytes);
        }
      }
      if (failed) break;
      wc.skipped_lines += reader.skipped_lines();
      done_before += reader.bytes_read();
      if (lines_in_file == 0) throw io_error(f.string(), "is empty: nothing to train on (--files)");
    }
    if (!failed) flush();
  } catch (...) {
    failed = true;
    queue.close();
    for (auto& w : workers) w.join();
    throw;
  }
  queue.close();
  for (auto& w : workers) w.join();
  if (worker_error) std::rethrow_exception(worker_error);
  wc.bytes = done_before;
  if (progress) progress(total_bytes, total_bytes);

  // Merge the per-thread tables, then order the distinct pieces by first occurrence.
  PieceTable& all = tables[0];
  for (unsigned t = 1; t < nthreads; ++t) {
    for (const auto& s : tables[t].slots())
      if (s.used) all.add_hashed(tables[t].key(s), s.hash, s.count, s.first);
    tables[t] = PieceTable();
  }
  std::vector<const PieceTable::Slot*> order;
  order.reserve(all.size());
  for (const auto& s : all.slots())
    if (s.used) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });

  // Normalize + pre-tokenize each distinct piece once (in parallel), then add its words in corpus order.
  const size_t n = order.size();
  std::vector<std::string> normalized(n);
  {
    text::BertNormalizer normalizer(options.normalizer);
    std::vector<std::thread> pool;
    unsigned nt = std::max<unsigned>(1, std::min<unsigned>(nthreads, static_cast<unsigned>(n / 4096 + 1)));
    std::exception_ptr err;
    std::mutex em;
    for (unsigned t = 0; t < nt; ++t) {
      pool.emplace_back([&, t]() {
        try {
          for (size_t i = t; i < n; i += nt) normalized[i] = normalizer.normalize(all.key(*order[i]));
        } catch (...) {
          std::lock_guard<std::mutex> lock(em);
          if (!err) err = std::current_exception();
        }
      });
    }
    for (auto& th : pool) th.join();
    if (err) std::rethrow_exception(err);
  }
  OrderedWords ow{{}, &wc};
  ow.index.reserve(n + 16);
  std::vector<text::PreToken> pre;
  for (size_t i = 0; i < n; ++i) {
    pre.clear();
    text::bert_pre_tokenize(normalized[i], pre);
    for (const auto& p : pre) ow.add(p.word, order[i]->count);
    std::string().swap(normalized[i]);
  }
  return wc;
}

// ---------------------------------------------------------------------------------------------------------
// Training

WordPieceTrainer::WordPieceTrainer(WordPieceTrainerOptions options) : options_(std::move(options)) {
  options_.validate();
}

WordPieceTrainer::ReferenceOrder WordPieceTrainer::read_reference_vocab(const std::filesystem::path& path,
                                                                        const std::string& prefix) {
  std::string content = read_file(path);
  ReferenceOrder ref;
  size_t start = 0, line_no = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::string tok = content.substr(start, end - start);
    start = end + 1;
    ++line_no;
    // HF's WordPiece::read_file trims trailing whitespace.
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t' || tok.back() == '\r')) tok.pop_back();
    size_t bad = text::utf8_find_invalid(tok);
    if (bad != std::string_view::npos)
      throw format_error(path.string(), line_no,
                         fmt::format("invalid UTF-8 at byte {} (--reference-vocab)", bad));
    if (tok.empty()) continue;
    if (text::utf8_length(tok) == 1) {
      ref.single_chars.push_back(tok);
    } else if (tok.size() > prefix.size() && tok.compare(0, prefix.size(), prefix) == 0 &&
               text::utf8_length(std::string_view(tok).substr(prefix.size())) == 1) {
      ref.continuation_chars.push_back(tok.substr(prefix.size()));
    }
  }
  if (line_no == 0) throw format_error(path.string(), 0, "is empty (--reference-vocab)");
  return ref;
}

WordPieceTrainResult WordPieceTrainer::train(const WordCounts& wc, const TrainProgress& progress) const {
  const auto& o = options_;
  if (wc.words.empty())
    throw Error(ErrorKind::kFormat,
                "the corpus has no words at all (only empty lines, whitespace or removed chars)");

  std::optional<ReferenceOrder> ref;
  if (!o.reference_vocab.empty()) ref = read_reference_vocab(o.reference_vocab, o.wordpieces_prefix);

  WordPieceTrainResult result;
  std::vector<std::string>& id2w = result.vocab;
  std::unordered_map<std::string, uint32_t> w2id;
  auto add = [&](const std::string& s) -> uint32_t {
    auto it = w2id.find(s);
    if (it != w2id.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(id2w.size());
    w2id.emplace(s, id);
    id2w.push_back(s);
    return id;
  };

  // 1. Special tokens, in order, duplicates skipped.
  for (const auto& s : o.special_tokens) add(s);
  result.num_special = static_cast<uint32_t>(id2w.size());

  // 2. Alphabet: occurrences of each char weighted by word count; initial_alphabet chars count as "max".
  struct CharInfo {
    uint64_t count = 0;
    uint64_t rank = 0;  // first occurrence in the corpus (words are in first-occurrence order)
  };
  std::unordered_map<char32_t, CharInfo> alphabet;
  std::vector<char32_t> char_order;
  for (size_t w = 0; w < wc.words.size(); ++w) {
    const std::string& word = wc.words[w];
    size_t i = 0;
    char32_t cp;
    while (i < word.size()) {
      if (!text::utf8_next(word, i, cp)) continue;
      auto [it, inserted] = alphabet.try_emplace(cp);
      if (inserted) {
        it->second.rank = char_order.size();
        char_order.push_back(cp);
      }
      it->second.count += wc.counts[w];  // HF: usize, wraps only beyond 2^64
    }
  }
  for (const auto& s : o.initial_alphabet) {
    std::string c = first_char(s);
    if (c.empty()) continue;
    size_t i = 0;
    char32_t cp;
    text::utf8_next(c, i, cp);
    auto [it, inserted] = alphabet.try_emplace(cp);
    if (inserted) {
      it->second.rank = char_order.size();
      char_order.push_back(cp);
    }
    it->second.count = UINT64_MAX;
  }
  std::vector<std::pair<char32_t, CharInfo>> kept(alphabet.begin(), alphabet.end());
  if (o.limit_alphabet > 0 && kept.size() > o.limit_alphabet) {
    size_t to_remove = kept.size() - o.limit_alphabet;
    std::unordered_set<char32_t> in_ref;
    if (ref)
      for (const auto& s : ref->single_chars) {
        size_t i = 0;
        char32_t cp;
        if (text::utf8_next(s, i, cp)) in_ref.insert(cp);
      }
    // HF drops the least frequent chars; at a tie its choice is arbitrary. Ours: a char absent from the
    // reference vocab goes first, then the one first seen latest in the corpus.
    std::sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
      if (a.second.count != b.second.count) return a.second.count < b.second.count;
      bool ra = in_ref.count(a.first) > 0, rb = in_ref.count(b.first) > 0;
      if (ra != rb) return !ra;
      return a.second.rank > b.second.rank;
    });
    for (size_t i = 0; i < to_remove; ++i) {
      ++result.dropped_chars;
      if (kept[i].second.count != UINT64_MAX) result.dropped_char_occurrences += kept[i].second.count;
    }
    kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(to_remove));
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::unordered_map<char32_t, uint32_t> char_id;
  const size_t before_alphabet = id2w.size();
  for (const auto& [cp, info] : kept) {
    std::string s;
    text::utf8_append(s, cp);
    char_id[cp] = add(s);
  }
  result.alphabet_size = static_cast<uint32_t>(id2w.size() - before_alphabet);

  // 3. "##c" tokens. HF numbers them in hash order (random per process); ours: first occurrence in the
  // corpus, or the reference vocab's order for the ones it lists.
  std::vector<char32_t> cont_order;
  std::unordered_set<char32_t> cont_seen;
  for (const auto& word : wc.words) {
    size_t i = 0, index = 0;
    char32_t cp;
    while (i < word.size()) {
      if (!text::utf8_next(word, i, cp)) continue;
      if (index++ > 0 && char_id.count(cp) && cont_seen.insert(cp).second) cont_order.push_back(cp);
    }
  }
  std::unordered_map<char32_t, uint32_t> cont_id;
  const size_t before_cont = id2w.size();
  if (ref) {
    for (const auto& s : ref->continuation_chars) {
      size_t i = 0;
      char32_t cp;
      if (!text::utf8_next(s, i, cp) || !cont_seen.count(cp) || cont_id.count(cp)) continue;
      cont_id[cp] = add(o.wordpieces_prefix + s);
    }
  }
  for (char32_t cp : cont_order) {
    if (cont_id.count(cp)) continue;
    std::string s = o.wordpieces_prefix;
    text::utf8_append(s, cp);
    cont_id[cp] = add(s);
  }
  result.continuation_size = static_cast<uint32_t>(id2w.size() - before_cont);

  // 4. Words as symbol ids. A char dropped by limit_alphabet is skipped (the word keeps its other chars);
  // "first" is char index 0 of the word, even when that char was dropped (HF does the same).
  const size_t nwords = wc.words.size();
  std::vector<std::vector<uint32_t>> words(nwords);
  for (size_t w = 0; w < nwords; ++w) {
    const std::string& word = wc.words[w];
    size_t i = 0, index = 0;
    char32_t cp;
    auto& syms = words[w];
    while (i < word.size()) {
      if (!text::utf8_next(word, i, cp)) continue;
      bool first = index++ == 0;
      auto it = char_id.find(cp);
      if (it == char_id.end()) continue;
      syms.push_back(first ? it->second : cont_id.at(cp));
    }
  }

  // 5. Pair counts (i32 as HF) and, per pair, the words containing it.
  PairCounts pair_counts;
  std::vector<std::vector<uint32_t>> pos_pool;
  std::vector<uint32_t> free_pos;
  auto new_pos = [&](std::vector<uint32_t>&& v) -> uint32_t {
    if (!free_pos.empty()) {
      uint32_t idx = free_pos.back();
      free_pos.pop_back();
      pos_pool[idx] = std::move(v);
      return idx;
    }
    pos_pool.push_back(std::move(v));
    return static_cast<uint32_t>(pos_pool.size() - 1);
  };
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, HeapLess> heap;
  std::vector<std::pair<uint64_t, uint32_t>> where;  // (pair, word) to group into pos sets
  // Groups `where` by pair (sorted), dedupes words and pushes one entry per pair with a positive count.
  auto push_where = [&]() {
    std::sort(where.begin(), where.end());
    size_t i = 0;
    while (i < where.size()) {
      size_t j = i;
      std::vector<uint32_t> pos;
      while (j < where.size() && where[j].first == where[i].first) {
        if (pos.empty() || pos.back() != where[j].second) pos.push_back(where[j].second);
        ++j;
      }
      int32_t count = pair_counts[where[i].first];
      if (count > 0) heap.push(HeapEntry{as_u64(count), where[i].first, new_pos(std::move(pos))});
      i = j;
    }
    where.clear();
  };
  for (size_t w = 0; w < nwords; ++w) {
    const auto& s = words[w];
    for (size_t k = 0; k + 1 < s.size(); ++k) {
      uint64_t key = pair_key(s[k], s[k + 1]);
      add_wrapping(pair_counts[key], 1, wc.counts[w]);
      where.emplace_back(key, static_cast<uint32_t>(w));
    }
  }
  push_where();

  // 6. The merge loop (stop rules checked in HF's order).
  const uint64_t budget = o.vocab_size > id2w.size() ? o.vocab_size - id2w.size() : 0;
  const size_t start_size = id2w.size();
  std::vector<std::pair<uint64_t, int>> changes;
  for (;;) {
    if (id2w.size() >= o.vocab_size) break;
    if (heap.empty()) break;
    HeapEntry top = heap.top();
    heap.pop();
    int32_t current = pair_counts[top.pair];
    if (top.count != as_u64(current)) {
      // Stale: refresh the count, keep the (old) pos set, and try again.
      top.count = as_u64(current);
      heap.push(top);
      continue;
    }
    if (top.count < 1 || o.min_frequency > top.count) {
      result.stopped_by_min_frequency = top.count >= 1;
      break;
    }
    const uint32_t a = static_cast<uint32_t>(top.pair >> 32),
                   b = static_cast<uint32_t>(top.pair & 0xffffffffu);
    std::string part_b = id2w[b];
    if (part_b.compare(0, o.wordpieces_prefix.size(), o.wordpieces_prefix) == 0)
      part_b.erase(0, o.wordpieces_prefix.size());
    const uint32_t new_id = add(id2w[a] + part_b);
    ++result.merges;
    std::vector<uint32_t> pos = std::move(pos_pool[top.pos]);
    pos_pool[top.pos] = {};
    free_pos.push_back(top.pos);
    for (uint32_t w : pos) {
      changes.clear();
      merge_word(words[w], a, b, new_id, changes);
      for (const auto& [key, delta] : changes) {
        add_wrapping(pair_counts[key], delta, wc.counts[w]);
        if (delta > 0) where.emplace_back(key, w);
      }
    }
    push_where();
    if (progress && (result.merges & 255) == 0) progress(id2w.size() - start_size, budget);
  }
  if (progress) progress(id2w.size() - start_size, budget);
  return result;
}

}  // namespace bertforge
