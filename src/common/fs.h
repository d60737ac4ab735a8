// common/fs.h — file helpers that keep the project's promise "nothing is half-written": outputs are written
// under a temporary name beside the target and renamed into place only when complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace bertforge {

namespace fs = std::filesystem;

// Whole file into memory; io_error naming the path when missing/unreadable.
std::string read_file(const fs::path& path);
// Throws io_error if `path` does not exist or is not a regular file.
void require_file(const fs::path& path, const std::string& what);

// Writes `content` to `path` atomically (temp file in the same folder, fsync, rename).
void write_file_atomic(const fs::path& path, std::string_view content);

// Builds a directory atomically: `fill` writes into a fresh temporary folder next to `target`; on success
// the previous `target` (if any, and only when `replace` is true) is removed and the temp folder renamed to
// `target`. On exception the temp folder is removed and `target` is untouched.
void build_dir_atomic(const fs::path& target, bool replace, const std::function<void(const fs::path&)>& fill);

// A temp path beside `target` (same filesystem, so rename is atomic): "<target>.tmp-<pid>-<n>".
fs::path temp_sibling(const fs::path& target);

// An output file written through a temporary sibling (buffered); commit() flushes, fsyncs and renames it
// into place. Destroying an uncommitted AtomicFile removes the temporary file, so errors leave nothing
// behind. Errors are io_errors naming the target.
class AtomicFile {
 public:
  explicit AtomicFile(const fs::path& target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view s);
  uint64_t written() const { return written_; }
  void commit();

 private:
  [[noreturn]] void fail(const char* what);
  void flush();

  fs::path target_, tmp_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

// Human-readable byte count: "4.8 MB".
std::string human_bytes(uint64_t bytes);

}  // namespace bertforge
