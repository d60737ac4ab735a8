// corpus/corpus_reader.h — reads corpus.txt files (the output of `corpus prepare`, the input of
// `dataset build`) as documents of sentences. Format: UTF-8, one sentence per line, a blank line between
// documents, as the seed's TextDatasetForNextSentencePrediction reads it:
//
//   I am very happy.            -> document 1: ["I am very happy.", "Here is the second sentence."]
//   Here is the second sentence.
//                                  (blank or whitespace-only line: document boundary)
//   A new document.             -> document 2: ["A new document."]
//
// Lines are stripped of leading/trailing whitespace (Python's str.strip() set, as the seed does). Runs of
// blank lines never produce empty documents, and the start of each new file also starts a new document.
// Bad input (invalid UTF-8, NUL, BOM, CRLF, over-long lines) is handled by LineReader per its options.
//
// Usage:
//   CorpusReader reader({"a.txt", "b.txt"});
//   std::vector<std::string> doc;
//   while (reader.next(doc)) { ... doc[i] is sentence i ...; bar.set(reader.bytes_read()); }
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "corpus/line_reader.h"

namespace bertforge {

struct CorpusReaderOptions {
  LineReaderOptions line;  // invalid UTF-8 policy and max line length, applied to every file
};

class CorpusReader {
 public:
  // Checks up front that every file exists and is a regular file (io_error naming the first bad one), so a
  // long run does not fail on its last file. Files are read in the order given. An empty list is allowed
  // (zero documents).
  explicit CorpusReader(std::vector<std::filesystem::path> files, CorpusReaderOptions options = {});
  ~CorpusReader();
  CorpusReader(const CorpusReader&) = delete;
  CorpusReader& operator=(const CorpusReader&) = delete;

  // Fills `sentences` (cleared first) with the next non-empty document. Returns false at the end of the
  // last file. Throws bertforge::Error from LineReader (FILE:LINE: ...) on bad input.
  bool next(std::vector<std::string>& sentences);

  uint64_t bytes_read() const;                           // over all files so far, for progress bars
  uint64_t total_bytes() const { return total_bytes_; }  // sum of the file sizes
  uint64_t documents() const { return documents_; }      // documents returned so far
  uint64_t sentences() const { return sentences_; }      // sentences returned so far
  uint64_t skipped_lines() const;  // lines dropped by InvalidUtf8Policy::kSkip, all files
  // Where the last returned document starts: its file and 1-based line (for messages).
  const std::filesystem::path& document_file() const { return doc_file_; }
  uint64_t document_line() const { return doc_line_; }
  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  bool open_next_file();

  std::vector<std::filesystem::path> files_;
  CorpusReaderOptions options_;
  std::unique_ptr<LineReader> reader_;
  size_t next_file_ = 0;
  uint64_t total_bytes_ = 0, finished_bytes_ = 0, finished_skipped_ = 0;
  uint64_t documents_ = 0, sentences_ = 0;
  std::filesystem::path doc_file_;
  uint64_t doc_line_ = 0;
};

// Strips leading and trailing whitespace as Python's str.strip() does (ASCII whitespace, U+001C..U+001F,
// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Input must be valid UTF-8.
std::string_view strip_whitespace(std::string_view s);
// True for the code points listed above (Python's str.isspace()).
bool is_python_space(char32_t cp);

}  // namespace bertforge
