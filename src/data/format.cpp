// data/format.cpp — see format.h. Writing is sequential (buffered write + running checksum); reading is one
// read-only mmap of the whole file after the header and payload checksums have been verified.
#include "data/format.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "data/checksum.h"

namespace bertforge::data {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dataset.bin is little-endian; add byte swaps");

constexpr char kMagic[8] = {'B', 'F', 'D', 'A', 'T', 'A', '\0', '\0'};
constexpr size_t kFixedHeader = 104;  // fields before the JSON
constexpr uint64_t kAlign = 64;
constexpr size_t kIndexEntry = 16;

// Byte offsets of the fixed header fields.
enum : size_t {
  kOffMagic = 0,
  kOffVersion = 8,
  kOffHeaderBytes = 12,
  kOffWidth = 16,
  kOffFlags = 20,
  kOffNumExamples = 24,
  kOffNumTokens = 32,
  kOffVocabSize = 40,
  kOffVocabFlags = 48,
  kOffTokens = 56,
  kOffIndex = 64,
  kOffFileSize = 72,
  kOffPayloadChecksum = 80,
  kOffJsonBytes = 88,
  kOffHeaderChecksum = 96,
};

uint64_t align_up(uint64_t x, uint64_t a) {
  return (x + a - 1) / a * a;
}

template <typename T>
void put(unsigned char* p, size_t off, T v) {
  std::memcpy(p + off, &v, sizeof(T));
}
template <typename T>
T get(const unsigned char* p, size_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof(T));
  return v;
}

void pwrite_all(int fd, const void* data, size_t size, uint64_t offset, const fs::path& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error(path.string(), std::string("write failed: ") + std::strerror(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

void pread_all(int fd, void* data, size_t size, uint64_t offset, const fs::path& path) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error(path.string(), std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) throw format_error(path.string(), 0, "file is truncated (unexpected end of file)");
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

Error corrupt(const fs::path& path, const std::string& what) {
  return format_error(
      path.string(), 0,
      fmt::format("corrupt or incomplete dataset: {} (rebuild it with `bertforge dataset build "
                  "... --overwrite-cache`)",
                  what));
}

// Everything the fixed header says, checked for consistency with the file size.
struct Header {
  uint32_t version = 0, header_bytes = 0, width = 0, flags = 0, json_bytes = 0;
  uint64_t num_examples = 0, num_tokens = 0, vocab_size = 0, vocab_flags_offset = 0, tokens_offset = 0,
           index_offset = 0, file_size = 0, payload_checksum = 0;
  nlohmann::json metadata;
};

Header read_header(int fd, const fs::path& path, uint64_t actual_size) {
  if (actual_size < kFixedHeader) throw corrupt(path, fmt::format("file is only {} bytes", actual_size));
  unsigned char fixed[kFixedHeader];
  pread_all(fd, fixed, kFixedHeader, 0, path);
  if (std::memcmp(fixed, kMagic, 8) != 0)
    throw format_error(path.string(), 0, "not a bertforge dataset file (bad magic bytes)");
  Header h;
  h.version = get<uint32_t>(fixed, kOffVersion);
  if (h.version != kFormatVersion)
    throw format_error(path.string(), 0,
                       fmt::format("dataset format version {} is not supported (this bertforge reads version "
                                   "{}); rebuild it with `bertforge dataset build ... --overwrite-cache`",
                                   h.version, kFormatVersion));
  h.header_bytes = get<uint32_t>(fixed, kOffHeaderBytes);
  if (h.header_bytes < kFixedHeader || h.header_bytes > (64u << 20) || h.header_bytes > actual_size)
    throw corrupt(path, "bad header size");
  std::vector<unsigned char> header(h.header_bytes);
  pread_all(fd, header.data(), header.size(), 0, path);
  uint64_t stored = get<uint64_t>(header.data(), kOffHeaderChecksum);
  put<uint64_t>(header.data(), kOffHeaderChecksum, 0);
  if (checksum64(header.data(), header.size()) != stored) throw corrupt(path, "header checksum mismatch");
  const unsigned char* p = header.data();
  h.width = get<uint32_t>(p, kOffWidth);
  h.flags = get<uint32_t>(p, kOffFlags);
  h.num_examples = get<uint64_t>(p, kOffNumExamples);
  h.num_tokens = get<uint64_t>(p, kOffNumTokens);
  h.vocab_size = get<uint64_t>(p, kOffVocabSize);
  h.vocab_flags_offset = get<uint64_t>(p, kOffVocabFlags);
  h.tokens_offset = get<uint64_t>(p, kOffTokens);
  h.index_offset = get<uint64_t>(p, kOffIndex);
  h.file_size = get<uint64_t>(p, kOffFileSize);
  h.payload_checksum = get<uint64_t>(p, kOffPayloadChecksum);
  h.json_bytes = get<uint32_t>(p, kOffJsonBytes);
  if (h.width != 2 && h.width != 4) throw corrupt(path, fmt::format("token width {}", h.width));
  if (h.file_size != actual_size)
    throw corrupt(path, fmt::format("file is {} bytes, header says {} (truncated or still being written?)",
                                    actual_size, h.file_size));
  if (kFixedHeader + h.json_bytes > h.header_bytes) throw corrupt(path, "metadata length");
  // Written so that no sum or product can wrap around, whatever the (checksummed but untrusted) fields say.
  bool ok = h.vocab_flags_offset >= h.header_bytes && h.tokens_offset <= h.index_offset &&
            h.index_offset <= h.file_size && h.vocab_size <= h.tokens_offset &&
            h.vocab_flags_offset <= h.tokens_offset - h.vocab_size &&
            h.num_tokens <= (h.index_offset - h.tokens_offset) / h.width &&
            h.num_examples <= (h.file_size - h.index_offset) / kIndexEntry &&
            h.num_examples * kIndexEntry == h.file_size - h.index_offset;
  if (!ok) throw corrupt(path, "section offsets do not fit the file");
  try {
    h.metadata =
        nlohmann::json::parse(std::string(reinterpret_cast<const char*>(p + kFixedHeader), h.json_bytes));
  } catch (const std::exception& e) {
    throw corrupt(path, std::string("metadata JSON: ") + e.what());
  }
  return h;
}

int open_read(const fs::path& file, uint64_t& size) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      throw io_error(file.string(), "no dataset here (build one with `bertforge dataset build`)");
    throw io_error(file.string(), std::string("cannot open: ") + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw io_error(file.string(), "not a regular file");
  }
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

// A uint32 field of the metadata; anything else (a float, a negative or too large number) is refused rather
// than converted (a float out of range would be undefined behaviour).
VocabInfo vocab_from_json(const nlohmann::json& v, const fs::path& file) {
  auto u32_field = [&](const char* key) {
    if (!v.is_object() || !v.contains(key) || !v[key].is_number_unsigned() ||
        v[key].get<uint64_t>() > UINT32_MAX)
      throw corrupt(file, fmt::format("metadata: vocab.{} is missing or not a 32-bit count", key));
    return static_cast<uint32_t>(v[key].get<uint64_t>());
  };
  VocabInfo info;
  info.vocab_size = u32_field("vocab_size");
  info.pad_id = u32_field("pad_id");
  info.unk_id = u32_field("unk_id");
  info.cls_id = u32_field("cls_id");
  info.sep_id = u32_field("sep_id");
  info.mask_id = u32_field("mask_id");
  info.fingerprint = v.value("fingerprint", std::string());
  return info;
}

}  // namespace

void VocabInfo::validate() const {
  if (vocab_size == 0) throw config_error("vocab_size", "the tokenizer has an empty vocabulary");
  for (auto [name, id] : {std::pair<const char*, uint32_t>{"pad_id", pad_id},
                          {"unk_id", unk_id},
                          {"cls_id", cls_id},
                          {"sep_id", sep_id},
                          {"mask_id", mask_id}})
    if (id >= vocab_size)
      throw config_error(
          name, fmt::format("special token id {} is outside the vocabulary (size {})", id, vocab_size));
  if (flags.size() != vocab_size)
    throw config_error("flags",
                       fmt::format("{} vocab flags for a vocabulary of {}", flags.size(), vocab_size));
}

nlohmann::json VocabInfo::ids_json() const {
  return {{"vocab_size", vocab_size}, {"pad_id", pad_id},   {"unk_id", unk_id},          {"cls_id", cls_id},
          {"sep_id", sep_id},         {"mask_id", mask_id}, {"fingerprint", fingerprint}};
}

fs::path dataset_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return path / kDataFileName;
  return path;
}

// ---------------------------------------------------------------------------------------------- writer

struct DatasetWriter::ChecksumState {
  Checksum64 sum;
};

DatasetWriter::DatasetWriter(const fs::path& path, const VocabInfo& vocab, const nlohmann::json& metadata,
                             bool nsp)
    : path_(path),
      vocab_(vocab),
      metadata_(metadata),
      nsp_(nsp),
      checksum_(std::make_unique<ChecksumState>()) {
  vocab_.validate();
  width_ = vocab_.vocab_size <= 65536 ? 2 : 4;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw io_error(path.string(), std::string("cannot create: ") + std::strerror(errno));
  // The header is written last; reserve room for the metadata with the counts filled in (numbers only grow
  // the JSON by a bounded amount, so leave 256 bytes of slack).
  nlohmann::json probe = metadata_;
  probe["vocab"] = vocab_.ids_json();
  probe["counts"] = {{"examples", UINT64_MAX}, {"tokens", UINT64_MAX}, {"token_width", 4}, {"nsp", true}};
  header_bytes_ = align_up(kFixedHeader + probe.dump().size() + 256, kAlign);
  buffer_.reserve(1 << 20);
  pos_ = header_bytes_;
  write_bytes(vocab_.flags.data(), vocab_.flags.size());
  pad_to(kAlign);
  tokens_offset_ = pos_;
}

DatasetWriter::~DatasetWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

void DatasetWriter::flush() {
  if (buffer_.empty()) return;
  pwrite_all(fd_, buffer_.data(), buffer_.size(), pos_ - buffer_.size(), path_);
  buffer_.clear();
}

void DatasetWriter::write_bytes(const void* data, size_t size) {
  checksum_->sum.update(data, size);
  const unsigned char* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    size_t room = buffer_.capacity() - buffer_.size();
    if (room == 0) {
      flush();
      room = buffer_.capacity();
    }
    size_t take = std::min(room, size);
    buffer_.insert(buffer_.end(), p, p + take);
    p += take;
    size -= take;
    pos_ += take;
  }
}

void DatasetWriter::pad_to(uint64_t alignment) {
  static const unsigned char zeros[kAlign] = {};
  uint64_t target = align_up(pos_, alignment);
  if (target > pos_) write_bytes(zeros, target - pos_);
}

template <typename T>
void DatasetWriter::add_impl(const T* a, size_t len_a, const T* b, size_t len_b, int label) {
  if (finished_) throw Error(ErrorKind::kInternal, "DatasetWriter::add after finish()");
  if (len_a > UINT16_MAX || len_b > UINT16_MAX)
    throw Error(ErrorKind::kInternal,
                fmt::format("segment of {} tokens does not fit the index", std::max(len_a, len_b)));
  if (label != 0 && label != 1 && label != kNoNspLabel)
    throw Error(ErrorKind::kInternal, fmt::format("bad NSP label {}", label));
  unsigned char entry[kIndexEntry] = {};
  put<uint64_t>(entry, 0, num_tokens_);
  put<uint16_t>(entry, 8, static_cast<uint16_t>(len_a));
  put<uint16_t>(entry, 10, static_cast<uint16_t>(len_b));
  entry[12] = static_cast<unsigned char>(label == kNoNspLabel ? 0xFF : label);
  index_.insert(index_.end(), entry, entry + kIndexEntry);
  for (int part = 0; part < 2; ++part) {
    const T* src = part == 0 ? a : b;
    size_t n = part == 0 ? len_a : len_b;
    for (size_t i = 0; i < n; ++i)
      if (src[i] >= vocab_.vocab_size)
        throw Error(ErrorKind::kInternal,
                    fmt::format("token id {} >= vocab size {}", src[i], vocab_.vocab_size));
    if (width_ == sizeof(T)) {
      write_bytes(src, n * sizeof(T));
    } else {
      // Narrow or widen through a small stack buffer.
      unsigned char tmp[4096];
      size_t i = 0;
      while (i < n) {
        size_t k = std::min<size_t>(n - i, sizeof(tmp) / width_);
        for (size_t j = 0; j < k; ++j) {
          uint32_t v = src[i + j];
          if (width_ == 2)
            put<uint16_t>(tmp, j * 2, static_cast<uint16_t>(v));
          else
            put<uint32_t>(tmp, j * 4, v);
        }
        write_bytes(tmp, k * width_);
        i += k;
      }
    }
  }
  num_tokens_ += len_a + len_b;
  ++num_examples_;
}

void DatasetWriter::add(const uint32_t* a, size_t len_a, const uint32_t* b, size_t len_b, int label) {
  add_impl(a, len_a, b, len_b, label);
}
void DatasetWriter::add(const uint16_t* a, size_t len_a, const uint16_t* b, size_t len_b, int label) {
  add_impl(a, len_a, b, len_b, label);
}

nlohmann::json DatasetWriter::finish() {
  if (finished_) throw Error(ErrorKind::kInternal, "DatasetWriter::finish twice");
  pad_to(kAlign);
  uint64_t index_offset = pos_;
  write_bytes(index_.data(), index_.size());
  flush();
  std::vector<unsigned char>().swap(index_);
  uint64_t file_size = pos_;

  nlohmann::json meta = metadata_;
  meta["vocab"] = vocab_.ids_json();
  meta["counts"] = {
      {"examples", num_examples_}, {"tokens", num_tokens_}, {"token_width", width_}, {"nsp", nsp_}};
  std::string json = meta.dump();
  if (kFixedHeader + json.size() > header_bytes_)
    throw Error(ErrorKind::kInternal, "dataset metadata outgrew the reserved header");
  std::vector<unsigned char> header(header_bytes_, 0);
  std::memcpy(header.data() + kOffMagic, kMagic, 8);
  put<uint32_t>(header.data(), kOffVersion, kFormatVersion);
  put<uint32_t>(header.data(), kOffHeaderBytes, static_cast<uint32_t>(header_bytes_));
  put<uint32_t>(header.data(), kOffWidth, width_);
  put<uint32_t>(header.data(), kOffFlags, nsp_ ? 1u : 0u);
  put<uint64_t>(header.data(), kOffNumExamples, num_examples_);
  put<uint64_t>(header.data(), kOffNumTokens, num_tokens_);
  put<uint64_t>(header.data(), kOffVocabSize, vocab_.vocab_size);
  put<uint64_t>(header.data(), kOffVocabFlags, header_bytes_);
  put<uint64_t>(header.data(), kOffTokens, tokens_offset_);
  put<uint64_t>(header.data(), kOffIndex, index_offset);
  put<uint64_t>(header.data(), kOffFileSize, file_size);
  put<uint64_t>(header.data(), kOffPayloadChecksum, checksum_->sum.digest());
  put<uint32_t>(header.data(), kOffJsonBytes, static_cast<uint32_t>(json.size()));
  std::memcpy(header.data() + kFixedHeader, json.data(), json.size());
  put<uint64_t>(header.data(), kOffHeaderChecksum, checksum64(header.data(), header.size()));
  pwrite_all(fd_, header.data(), header.size(), 0, path_);
  if (::fsync(fd_) != 0) throw io_error(path_.string(), std::string("fsync failed: ") + std::strerror(errno));
  if (::close(fd_) != 0) throw io_error(path_.string(), std::string("close failed: ") + std::strerror(errno));
  fd_ = -1;
  finished_ = true;
  return meta;
}

// ---------------------------------------------------------------------------------------------- reader

nlohmann::json read_dataset_metadata(const fs::path& path) {
  fs::path file = dataset_file(path);
  uint64_t size = 0;
  int fd = open_read(file, size);
  try {
    Header h = read_header(fd, file, size);
    ::close(fd);
    return h.metadata;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

Dataset::Dataset(const fs::path& path, OpenOptions options) : file_(dataset_file(path)) {
  fd_ = open_read(file_, file_size_);
  try {
    Header h = read_header(fd_, file_, file_size_);
    if (options.verify_checksum) {
      // pread into a small buffer rather than touching the mmap: the check must not pin the file in RSS.
      Checksum64 sum;
      std::vector<unsigned char> buf(1 << 20);
      uint64_t off = h.header_bytes;
      while (off < h.file_size) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), h.file_size - off));
        pread_all(fd_, buf.data(), n, off, file_);
        sum.update(buf.data(), n);
        off += n;
      }
      if (sum.digest() != h.payload_checksum) throw corrupt(file_, "payload checksum mismatch");
    }
    num_examples_ = h.num_examples;
    num_tokens_ = h.num_tokens;
    tokens_offset_ = h.tokens_offset;
    index_offset_ = h.index_offset;
    width_ = h.width;
    nsp_ = (h.flags & 1u) != 0;
    metadata_ = std::move(h.metadata);
    try {
      vocab_ = vocab_from_json(metadata_.at("vocab"), file_);
    } catch (const nlohmann::json::exception& e) {
      throw corrupt(file_, std::string("metadata: ") + e.what());
    }
    if (vocab_.vocab_size != h.vocab_size) throw corrupt(file_, "vocab size in metadata and header differ");
    void* m = ::mmap(nullptr, file_size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) throw io_error(file_.string(), std::string("mmap failed: ") + std::strerror(errno));
    map_ = static_cast<const unsigned char*>(m);
    vocab_.flags.assign(map_ + h.vocab_flags_offset, map_ + h.vocab_flags_offset + h.vocab_size);
    try {
      vocab_.validate();
    } catch (const Error& e) {
      throw corrupt(file_, std::string("metadata: ") + e.what());
    }
  } catch (...) {
    if (map_) ::munmap(const_cast<unsigned char*>(map_), file_size_);
    ::close(fd_);
    throw;
  }
}

Dataset::~Dataset() {
  if (map_) ::munmap(const_cast<unsigned char*>(map_), file_size_);
  if (fd_ >= 0) ::close(fd_);
}

ExampleRef Dataset::example(uint64_t i) const {
  if (i >= num_examples_)
    throw Error(ErrorKind::kInternal,
                fmt::format("example {} out of range (dataset has {})", i, num_examples_));
  const unsigned char* e = map_ + index_offset_ + i * kIndexEntry;
  ExampleRef r;
  r.offset = get<uint64_t>(e, 0);
  r.len_a = get<uint16_t>(e, 8);
  r.len_b = get<uint16_t>(e, 10);
  r.label = e[12] == 0xFF ? kNoNspLabel : e[12];
  if (r.offset > num_tokens_ || r.len_a + r.len_b > num_tokens_ - r.offset || (e[12] > 1 && e[12] != 0xFF))
    throw corrupt(file_, fmt::format("index entry {} is out of range", i));
  return r;
}

uint32_t Dataset::length(uint64_t i) const {
  ExampleRef r = example(i);
  return r.len_a + r.len_b + (r.len_b > 0 ? 3 : 2);
}

uint32_t Dataset::token(uint64_t position) const {
  const unsigned char* p = map_ + tokens_offset_ + position * width_;
  return width_ == 2 ? get<uint16_t>(p, 0) : get<uint32_t>(p, 0);
}

void Dataset::assemble(uint64_t i, std::vector<int64_t>& input_ids,
                       std::vector<int64_t>& token_type_ids) const {
  ExampleRef r = example(i);
  input_ids.clear();
  token_type_ids.clear();
  input_ids.reserve(r.len_a + r.len_b + 3);
  token_type_ids.reserve(r.len_a + r.len_b + 3);
  auto push = [&](uint32_t id, int type) {
    if (id >= vocab_.vocab_size)
      throw corrupt(file_, fmt::format("token id {} in example {} is outside the vocabulary", id, i));
    input_ids.push_back(id);
    token_type_ids.push_back(type);
  };
  push(vocab_.cls_id, 0);
  for (uint32_t k = 0; k < r.len_a; ++k) push(token(r.offset + k), 0);
  push(vocab_.sep_id, 0);
  if (r.len_b > 0) {
    for (uint32_t k = 0; k < r.len_b; ++k) push(token(r.offset + r.len_a + k), 1);
    push(vocab_.sep_id, 1);
  }
}

}  // namespace bertforge::data
