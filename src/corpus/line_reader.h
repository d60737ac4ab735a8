// corpus/line_reader.h — streaming line reader for corpus files, shared by `corpus prepare`,
// `tokenizer train`, `dataset build` and `scrub`. Handles what users feed it: a UTF-8 BOM (skipped),
// CRLF (the \r is dropped), NUL bytes and invalid UTF-8 (policy below), lines of many MB (bounded by
// max_line_bytes), empty files. Errors name the file and the 1-based line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace bertforge {

enum class InvalidUtf8Policy {
  kError,    // stop with "FILE:LINE: invalid UTF-8 at byte N" (default)
  kReplace,  // replace each bad sequence with U+FFFD (the normalizer then drops it)
  kSkip,     // drop the whole line, count it
};
InvalidUtf8Policy parse_invalid_utf8_policy(const std::string& name);  // "error" | "replace" | "skip"

struct LineReaderOptions {
  InvalidUtf8Policy on_invalid_utf8 = InvalidUtf8Policy::kError;
  uint64_t max_line_bytes = 256ull << 20;  // a longer line is an error naming the line
};

class LineReader {
 public:
  LineReader(const std::filesystem::path& path, LineReaderOptions options = {});
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its terminator ("\n" or "\r\n"); the view is valid until the next call.
  // Returns false at end of file.
  bool next(std::string_view& line);
  uint64_t line_number() const { return line_no_; }   // of the line last returned (1-based)
  uint64_t bytes_read() const { return bytes_read_; }  // for progress bars
  uint64_t file_size() const { return file_size_; }
  uint64_t skipped_lines() const { return skipped_; }  // lines dropped by kSkip
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  LineReaderOptions options_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  uint64_t line_no_ = 0, bytes_read_ = 0, file_size_ = 0, skipped_ = 0;
};

}  // namespace bertforge
