// corpus/prepare.h — `bertforge corpus prepare`: HTML pages and plain text -> corpus.txt, the seed's
// pre-training format (UTF-8, one sentence per line, a blank line between documents).
//
//   pages/a.html  <p>파일을 엽니다. 저장하세요!</p><script>..</script>   ->   파일을 엽니다.
//   pages/b.html  <h1>개요</h1>                                               저장하세요!
//                                                                             (blank line)
//                                                                             개요
//
// One document per HTML page or text file (or per blank-line-separated block of a text file with
// split_text_on_blank_lines). Visible text only (corpus/html_text.h), split into sentences
// (corpus/sentence_splitter.h); sentences without a letter are dropped, and so are documents left with no
// sentence. The output is written to a temporary file beside it and renamed into place at the end, so a
// failed run leaves no output file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "corpus/html_text.h"
#include "corpus/line_reader.h"
#include "corpus/sentence_splitter.h"

namespace bertforge {

struct CorpusPrepareOptions {
  std::vector<std::string> input;          // files or folders (folders are searched recursively, sorted)
  std::string output;                      // corpus.txt to write
  std::string format = "auto";             // auto (by extension: .html/.htm/.xhtml are HTML) | html | text
  bool overwrite = false;                  // replace an existing output file
  std::string on_invalid_utf8 = "error";   // error | replace (U+FFFD) | skip (text: the line; HTML: the page)
  uint64_t max_line_bytes = 256ull << 20;  // text inputs: a longer line is an error naming the line
  uint64_t max_html_bytes = 64ull << 20;   // HTML inputs: a larger page is an error naming the file
  bool keep_code_blocks = false;           // HTML: keep <pre> blocks (code listings)
  bool keep_navigation = false;            // HTML: keep nav, aside and page-level header/footer
  std::string require_script = "any";      // keep only sentences with a letter of this script (e.g. hangul);
                                           // see corpus/sentence_splitter.h for the names
  uint64_t min_sentences = 1;  // documents with fewer sentences are dropped (2 drops one-line pages)
  int threads = 0;             // HTML pages parsed in parallel (0: all cores); output order and
                               // content do not depend on it
  bool split_text_on_blank_lines = false;  // text: a blank line starts a new document (re-preparing a
                                           // corpus.txt keeps its documents); default: one per file

  void validate() const;  // config_error naming the field
  nlohmann::json to_json() const;
  static CorpusPrepareOptions from_json(const nlohmann::json& j);
};

struct PrepareInput {
  std::filesystem::path path;
  bool html = false;
};

// The files to read, in order: each --input in the order given; a folder contributes its files sorted by
// path (byte order), skipping hidden names (".*") and, with format auto, files that are neither HTML
// (.html .htm .xhtml) nor text (.txt); with format html/text, a folder contributes only files of that kind's
// extensions. A file named directly is always read (as HTML when format is html, or auto with an HTML
// extension). `ignored` (optional) receives the number of folder files left out. Throws io_error for a
// missing input or a folder holding no usable file.
std::vector<PrepareInput> collect_prepare_inputs(const CorpusPrepareOptions& options,
                                                 uint64_t* ignored = nullptr);

struct PrepareStats {
  uint64_t html_files = 0, text_files = 0;  // inputs read
  uint64_t ignored_files = 0;               // folder files with other extensions
  uint64_t invalid_files_skipped = 0;       // HTML pages dropped by on_invalid_utf8=skip
  uint64_t invalid_lines_skipped = 0;       // text lines dropped by on_invalid_utf8=skip
  uint64_t empty_documents = 0;             // pages/files with no sentence left (not written)
  uint64_t short_documents = 0;             // documents under min_sentences (not written)
  uint64_t documents = 0, sentences = 0;    // written
  uint64_t dropped_lines = 0;               // sentences dropped: no letter (of require_script)
  uint64_t input_bytes = 0, bytes_written = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

// The sentences of one HTML page (one document).
// Sentences without a letter of `script` are dropped (counted in *dropped_lines).
std::vector<std::string> html_page_sentences(std::string_view html, const HtmlTextOptions& options,
                                             Script script = Script::kAny, uint64_t* dropped_lines = nullptr);

// Runs the whole preparation. `progress(done, total)` is called after each input file.
PrepareStats prepare_corpus(const CorpusPrepareOptions& options,
                            const std::function<void(size_t, size_t)>& progress = {});

}  // namespace bertforge
