// corpus/line_reader.cpp — the streaming line reader every corpus consumer goes through (see line_reader.h).
// Reads in 1 MiB chunks and hands out views into the chunk when a line lies inside it, so the common case
// copies nothing; only lines that span two chunks are assembled in buffer_.
#include "corpus/line_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "text/utf8.h"

namespace bertforge {

namespace {
constexpr size_t kChunkBytes = 1 << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      while (i < n && p[i] < 0x80) ++i;
      continue;
    }
    auto cont = [&](size_t k) { return (p[k] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
      if (n - i < 2 || !cont(i + 1)) return i;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      // E0 needs A0..BF next (no overlongs), ED needs 80..9F (no surrogates).
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (n - i < 3 || p[i + 1] < lo || p[i + 1] > hi || !cont(i + 2)) return i;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      // F0 needs 90..BF next (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (n - i < 4 || p[i + 1] < lo || p[i + 1] > hi || !cont(i + 2) || !cont(i + 3)) return i;
      i += 4;
    } else {
      return i;  // continuation byte without a lead, C0/C1 (always overlong), F5..FF
    }
  }
  return std::string_view::npos;
}

InvalidUtf8Policy parse_invalid_utf8_policy(const std::string& name) {
  if (name == "error") return InvalidUtf8Policy::kError;
  if (name == "replace") return InvalidUtf8Policy::kReplace;
  if (name == "skip") return InvalidUtf8Policy::kSkip;
  throw Error(ErrorKind::kUsage,
              fmt::format("--on-invalid-utf8: expected error, replace or skip, got '{}'", name));
}

const char* invalid_utf8_policy_name(InvalidUtf8Policy policy) {
  switch (policy) {
    case InvalidUtf8Policy::kError:
      return "error";
    case InvalidUtf8Policy::kReplace:
      return "replace";
    case InvalidUtf8Policy::kSkip:
      return "skip";
  }
  return "error";
}

void LineReaderOptions::validate() const {
  if (max_line_bytes == 0) throw config_error("max_line_bytes", "must be at least 1");
}

LineReader::LineReader(const std::filesystem::path& path, LineReaderOptions options)
    : path_(path), options_(options) {
  options_.validate();
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw io_error(path.string(), "no such file");
  if (std::filesystem::is_directory(status))
    throw io_error(path.string(), "is a directory, expected a text file");
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw io_error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  // We do our own buffering; stdio's would only add a copy.
  std::setvbuf(file_, nullptr, _IONBF, 0);
  if (std::filesystem::is_regular_file(status)) {
    auto size = std::filesystem::file_size(path, ec);
    if (!ec) file_size_ = size;
  }
  chunk_.reset(new char[kChunkBytes]);
}

LineReader::~LineReader() {
  if (file_) std::fclose(file_);
}

bool LineReader::fill() {
  if (eof_) return false;
  size_t n = std::fread(chunk_.get(), 1, kChunkBytes, file_);
  if (n == 0) {
    if (std::ferror(file_))
      throw io_error(path_.string(),
                     fmt::format("read failed after line {}: {}", line_no_, std::strerror(errno)));
    eof_ = true;
    return false;
  }
  chunk_pos_ = 0;
  chunk_len_ = n;
  return true;
}

// One physical line without its '\n', before BOM/CR/UTF-8 handling.
bool LineReader::next_raw(std::string_view& raw) {
  bool spanning = false;
  buffer_.clear();
  // Slack for a BOM and a trailing '\r', which next() strips before the exact length check.
  const uint64_t limit = options_.max_line_bytes + 4;
  auto too_long = [&]() {
    return format_error(
        path_.string(), line_no_ + 1,
        fmt::format("line is longer than {} bytes (max_line_bytes); a corpus needs one sentence "
                    "per line — is this a binary or minified file?",
                    options_.max_line_bytes));
  };
  for (;;) {
    if (chunk_pos_ == chunk_len_ && !fill()) {
      if (!spanning) return false;
      raw = buffer_;
      return true;
    }
    const char* start = chunk_.get() + chunk_pos_;
    size_t avail = chunk_len_ - chunk_pos_;
    const void* nl = std::memchr(start, '\n', avail);
    if (nl) {
      size_t n = static_cast<const char*>(nl) - start;
      if (buffer_.size() + n > limit) throw too_long();
      chunk_pos_ += n + 1;
      bytes_read_ += n + 1;
      if (spanning) {
        buffer_.append(start, n);
        raw = buffer_;
      } else {
        raw = std::string_view(start, n);
      }
      return true;
    }
    if (buffer_.size() + avail > limit) throw too_long();
    buffer_.append(start, avail);
    bytes_read_ += avail;
    chunk_pos_ = chunk_len_;
    spanning = true;
  }
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    std::string_view raw;
    if (!next_raw(raw)) return false;
    ++line_no_;
    if (line_no_ == 1 && raw.substr(0, kBom.size()) == kBom) raw.remove_prefix(kBom.size());
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.size() > options_.max_line_bytes)
      throw format_error(
          path_.string(), line_no_,
          fmt::format("line is longer than {} bytes (max_line_bytes); a corpus needs one sentence "
                      "per line — is this a binary or minified file?",
                      options_.max_line_bytes));

    size_t bad_utf8 = find_invalid_utf8(raw);
    const void* nul = std::memchr(raw.data(), '\0', raw.size());
    if (bad_utf8 == std::string_view::npos && !nul) {
      line = raw;
      return true;
    }
    switch (options_.on_invalid_utf8) {
      case InvalidUtf8Policy::kError: {
        // A file of another encoding fails on its first line: say what it probably is, and how to convert
        // it (replace/skip would turn a UTF-16 or EUC-KR file into garbage).
        if (line_no_ == 1) {
          const std::string_view head = raw.substr(0, 2);
          if (head == "\xFF\xFE" || head == "\xFE\xFF")
            throw format_error(path_.string(), line_no_,
                               "the file starts with a UTF-16 byte-order mark: it is UTF-16, not UTF-8; "
                               "convert it first, e.g. iconv -f UTF-16 -t UTF-8 IN > OUT");
        }
        const std::string hint =
            line_no_ == 1 ? "; if the file is in another encoding (EUC-KR/CP949, Latin-1, UTF-16, ...), "
                            "convert it first, e.g. iconv -f EUC-KR -t UTF-8 IN > OUT"
                          : "";
        size_t nul_at = nul ? static_cast<const char*>(nul) - raw.data() : std::string_view::npos;
        if (nul_at < bad_utf8)
          throw format_error(path_.string(), line_no_,
                             fmt::format("NUL byte at byte {} (is this a binary file? use --on-invalid-utf8 "
                                         "replace|skip){}",
                                         nul_at + 1, hint));
        throw format_error(path_.string(), line_no_,
                           fmt::format("invalid UTF-8 at byte {} (use --on-invalid-utf8 replace|skip){}",
                                       bad_utf8 + 1, hint));
      }
      case InvalidUtf8Policy::kSkip:
        ++skipped_;
        continue;
      case InvalidUtf8Policy::kReplace: {
        fixed_.clear();
        fixed_.reserve(raw.size() + 8);
        size_t i = 0;
        while (i < raw.size()) {
          size_t begin = i;
          char32_t cp;
          if (text::utf8_next(raw, i, cp) && cp != 0) {
            fixed_.append(raw.data() + begin, i - begin);
          } else {
            text::utf8_append(fixed_, 0xFFFD);
          }
        }
        line = fixed_;
        return true;
      }
    }
  }
}

}  // namespace bertforge
