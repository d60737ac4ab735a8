// corpus/line_reader.h — streaming line reader for corpus files, shared by `corpus prepare`,
// `tokenizer train`, `dataset build` and `scrub`. Handles what users feed it: a UTF-8 BOM (skipped),
// CRLF (the \r is dropped), NUL bytes and invalid UTF-8 (policy below), lines of many MB (bounded by
// max_line_bytes), empty files. Errors name the file and the 1-based line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace bertforge {

enum class InvalidUtf8Policy {
  kError,    // stop with "FILE:LINE: invalid UTF-8 at byte N" (default)
  kReplace,  // replace each bad sequence with U+FFFD (the normalizer then drops it)
  kSkip,     // drop the whole line, count it
};
InvalidUtf8Policy parse_invalid_utf8_policy(const std::string& name);  // "error" | "replace" | "skip"
const char* invalid_utf8_policy_name(InvalidUtf8Policy policy);        // inverse of the above

// Same result as text::utf8_find_invalid (offset of the first invalid sequence, or npos), written for
// speed on non-ASCII text such as Korean: it checks each sequence against the well-formed byte ranges of
// the Unicode standard (Table 3-7) without decoding it.
size_t find_invalid_utf8(std::string_view s);

struct LineReaderOptions {
  InvalidUtf8Policy on_invalid_utf8 = InvalidUtf8Policy::kError;
  uint64_t max_line_bytes = 256ull << 20;  // a longer line is an error naming the line
  void validate() const;                   // config_error when max_line_bytes == 0
};

class LineReader {
 public:
  LineReader(const std::filesystem::path& path, LineReaderOptions options = {});
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its terminator ("\n" or "\r\n"); the view is valid until the next call.
  // Returns false at end of file. The last line needs no terminator; an empty file has no lines,
  // "\n" is one empty line. A line containing NUL bytes or invalid UTF-8 follows on_invalid_utf8
  // (kReplace turns each NUL / bad sequence into U+FFFD). Throws bertforge::Error (kFormat) naming
  // FILE:LINE for bad lines and over-long lines, kIo for read failures. Memory stays bounded by a
  // 1 MiB read chunk plus the longest line.
  bool next(std::string_view& line);
  uint64_t line_number() const { return line_no_; }    // of the line last returned (1-based)
  uint64_t bytes_read() const { return bytes_read_; }  // for progress bars
  uint64_t file_size() const { return file_size_; }
  uint64_t skipped_lines() const { return skipped_; }  // lines dropped by kSkip
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  LineReaderOptions options_;
  std::FILE* file_ = nullptr;
  std::string buffer_;  // a line that spans read chunks is assembled here
  std::string fixed_;   // kReplace output
  std::unique_ptr<char[]> chunk_;
  size_t chunk_pos_ = 0, chunk_len_ = 0;
  bool eof_ = false;

  bool next_raw(std::string_view& raw);
  bool fill();
  uint64_t line_no_ = 0, bytes_read_ = 0, file_size_ = 0, skipped_ = 0;
};

}  // namespace bertforge
