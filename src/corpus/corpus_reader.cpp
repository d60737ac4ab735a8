// corpus/corpus_reader.cpp — documents of sentences from corpus.txt files (see corpus_reader.h).
#include "corpus/corpus_reader.h"

#include <system_error>

#include "common/error.h"
#include "text/utf8.h"

namespace bertforge {

bool is_python_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

// Decodes the code point ending at s[end-1]; returns its start, or npos when s[..end) does not end in a
// valid sequence.
size_t last_code_point(std::string_view s, size_t end, char32_t& cp) {
  size_t start = end;
  int back = 0;
  while (start > 0 && back < 4) {
    --start;
    ++back;
    if ((static_cast<unsigned char>(s[start]) & 0xC0) != 0x80) break;
  }
  size_t i = start;
  if (!text::utf8_next(s, i, cp) || i != end) return std::string_view::npos;
  return start;
}

}  // namespace

std::string_view strip_whitespace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t i = begin;
    char32_t cp;
    if (!text::utf8_next(s, i, cp) || !is_python_space(cp)) break;
    begin = i;
  }
  size_t end = s.size();
  while (end > begin) {
    char32_t cp;
    size_t start = last_code_point(s, end, cp);
    if (start == std::string_view::npos || start < begin || !is_python_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

CorpusReader::CorpusReader(std::vector<std::filesystem::path> files, CorpusReaderOptions options)
    : files_(std::move(files)), options_(options) {
  options_.line.validate();
  for (const auto& f : files_) {
    std::error_code ec;
    auto status = std::filesystem::status(f, ec);
    if (!std::filesystem::exists(status)) throw io_error(f.string(), "no such file");
    if (std::filesystem::is_directory(status))
      throw io_error(f.string(), "is a directory, expected a corpus text file");
    if (std::filesystem::is_regular_file(status)) {
      auto size = std::filesystem::file_size(f, ec);
      if (!ec) total_bytes_ += size;
    }
  }
}

CorpusReader::~CorpusReader() = default;

uint64_t CorpusReader::bytes_read() const {
  return finished_bytes_ + (reader_ ? reader_->bytes_read() : 0);
}

uint64_t CorpusReader::skipped_lines() const {
  return finished_skipped_ + (reader_ ? reader_->skipped_lines() : 0);
}

bool CorpusReader::open_next_file() {
  if (reader_) {
    finished_bytes_ += reader_->bytes_read();
    finished_skipped_ += reader_->skipped_lines();
    reader_.reset();
  }
  if (next_file_ >= files_.size()) return false;
  reader_ = std::make_unique<LineReader>(files_[next_file_++], options_.line);
  return true;
}

bool CorpusReader::next(std::vector<std::string>& sentences) {
  sentences.clear();
  for (;;) {
    if (!reader_ && !open_next_file()) return false;
    std::string_view line;
    bool got_line = reader_->next(line);
    if (!got_line) {
      // End of this file ends the document in progress.
      bool have_doc = !sentences.empty();
      open_next_file();
      if (have_doc) break;
      if (!reader_) return false;
      continue;
    }
    std::string_view s = strip_whitespace(line);
    if (s.empty()) {
      if (!sentences.empty()) break;
      continue;
    }
    if (sentences.empty()) {
      doc_file_ = reader_->path();
      doc_line_ = reader_->line_number();
    }
    sentences.emplace_back(s);
  }
  ++documents_;
  sentences_ += sentences.size();
  return true;
}

}  // namespace bertforge
