// data/format.h — the dataset file: what `bertforge dataset build` writes and the trainer reads through mmap.
//
// A dataset folder holds `dataset.bin` (authoritative) and `dataset.json` (the same metadata, for people).
// dataset.bin, all integers little-endian (full spec in docs/dataset.md):
//   [0, H)          header: magic "BFDATA\0\0", version, H, token width (2 = uint16, 4 = uint32), flags,
//                   counts, section offsets, file size, payload checksum, JSON length, header checksum,
//                   then the metadata JSON (build parameters = the cache key, vocab ids), zero-padded to H
//   vocab flags     one byte per vocab id: bit 0 special token, bit 1 "##" continuation (for masking)
//   tokens          the A and B token ids of every example, back to back, without [CLS]/[SEP]
//   index           16 bytes per example: u64 token offset, u16 len A, u16 len B, u8 label, 3 zero bytes
// Sections start at multiples of 64. The payload checksum covers [H, file size); the header checksum covers
// [0, H) with its own field zeroed. Opening checks both, so a truncated or corrupt file is an error naming
// it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace bertforge::data {

namespace fs = std::filesystem;

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr const char* kDataFileName = "dataset.bin";
inline constexpr const char* kMetaFileName = "dataset.json";

// Per-id flags stored in the file so that masking needs no tokenizer.
inline constexpr uint8_t kVocabSpecial = 1;  // never masked ([PAD] [UNK] [CLS] [SEP] [MASK], added specials)
inline constexpr uint8_t kVocabContinuation =
    2;  // "##piece": joins the previous token's word (whole-word masking)

// NSP label stored for MLM-only (--no-nsp) examples; batches carry -100 for it.
inline constexpr int kNoNspLabel = -1;

// What the dataset needs to know about the tokenizer.
struct VocabInfo {
  uint32_t vocab_size = 0;
  uint32_t pad_id = 0, unk_id = 1, cls_id = 2, sep_id = 3, mask_id = 4;
  std::vector<uint8_t> flags;  // vocab_size entries, kVocabSpecial | kVocabContinuation
  std::string fingerprint;     // Tokenizer::fingerprint(): part of the cache key

  bool is_special(uint32_t id) const { return id < flags.size() && (flags[id] & kVocabSpecial) != 0; }
  bool is_continuation(uint32_t id) const {
    return id < flags.size() && (flags[id] & kVocabContinuation) != 0;
  }
  // Throws format/config errors when ids are out of range or flags are missing.
  void validate() const;
  nlohmann::json ids_json() const;  // {"vocab_size", "pad_id", ...} (without flags)
};

// One example as stored: A = tokens[offset, offset + len_a), B = the next len_b tokens.
struct ExampleRef {
  uint64_t offset = 0;
  uint32_t len_a = 0;
  uint32_t len_b = 0;
  int label = 0;  // 0 = B follows A, 1 = B is random, kNoNspLabel = MLM-only example
};

// Streams examples into `path` (a temp name chosen by the caller; the build renames the folder into place).
// The file is complete only after finish(); destroying an unfinished writer removes the file.
class DatasetWriter {
 public:
  // `metadata` is stored in the header (must include "build"); `nsp` = examples carry NSP labels.
  DatasetWriter(const fs::path& path, const VocabInfo& vocab, const nlohmann::json& metadata, bool nsp);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Appends one example (ids without specials). Ids >= vocab_size are an internal error.
  void add(const uint32_t* a, size_t len_a, const uint32_t* b, size_t len_b, int label);
  void add(const uint16_t* a, size_t len_a, const uint16_t* b, size_t len_b, int label);
  // Writes the index and the header, fsyncs. Returns the metadata JSON as written (with counts).
  nlohmann::json finish();

  uint64_t num_examples() const { return num_examples_; }
  uint64_t num_tokens() const { return num_tokens_; }
  uint32_t token_width() const { return width_; }

 private:
  template <typename T>
  void add_impl(const T* a, size_t len_a, const T* b, size_t len_b, int label);
  void write_bytes(const void* data, size_t size);  // buffered, checksummed
  void flush();
  void pad_to(uint64_t alignment);

  fs::path path_;
  int fd_ = -1;
  VocabInfo vocab_;
  nlohmann::json metadata_;
  bool nsp_;
  uint32_t width_;
  uint64_t header_bytes_ = 0, pos_ = 0, tokens_offset_ = 0;
  uint64_t num_examples_ = 0, num_tokens_ = 0;
  std::vector<unsigned char> buffer_;
  std::vector<unsigned char> index_;  // 16 bytes per example, appended after the tokens
  struct ChecksumState;
  std::unique_ptr<ChecksumState> checksum_;
  bool finished_ = false;
};

struct OpenOptions {
  bool verify_checksum = true;  // read the whole payload once to check it (sequential read, not mmap)
};

// A dataset opened read-only through mmap: memory use does not grow with its size (pages come and go).
class Dataset {
 public:
  // `path`: the dataset folder or its dataset.bin.
  explicit Dataset(const fs::path& path, OpenOptions options = {});
  ~Dataset();
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;

  uint64_t size() const { return num_examples_; }      // number of examples
  uint64_t num_tokens() const { return num_tokens_; }  // stored tokens (without specials)
  uint32_t token_width() const { return width_; }      // 2 (uint16) or 4 (uint32)
  bool has_nsp() const { return nsp_; }
  const VocabInfo& vocab() const { return vocab_; }
  const nlohmann::json& metadata() const { return metadata_; }  // "build", "vocab", "counts"
  const fs::path& file() const { return file_; }
  uint64_t file_size() const { return file_size_; }

  ExampleRef example(uint64_t i) const;  // bounds-checked; format_error on a corrupt entry
  // Length with special tokens: [CLS] A [SEP] B [SEP] = len_a + len_b + 3 (+2 without B).
  uint32_t length(uint64_t i) const;
  uint32_t token(uint64_t position) const;
  // [CLS] A [SEP] B [SEP] and the matching token type ids (0 for [CLS] A [SEP], 1 for B [SEP]).
  void assemble(uint64_t i, std::vector<int64_t>& input_ids, std::vector<int64_t>& token_type_ids) const;

 private:
  fs::path file_;
  int fd_ = -1;
  const unsigned char* map_ = nullptr;
  uint64_t file_size_ = 0;
  uint64_t num_examples_ = 0, num_tokens_ = 0, tokens_offset_ = 0, index_offset_ = 0;
  uint32_t width_ = 2;
  bool nsp_ = true;
  VocabInfo vocab_;
  nlohmann::json metadata_;
};

// Reads and checks only the header of `path` (folder or file): for the cache check, cheap.
// Throws format_error naming the file when the header is corrupt or from another format version.
nlohmann::json read_dataset_metadata(const fs::path& path);

// "DIR" -> "DIR/dataset.bin"; a path to a file is returned as is.
fs::path dataset_file(const fs::path& path);

}  // namespace bertforge::data
