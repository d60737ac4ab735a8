// fuzz/fuzz_corpus_reader.cpp — libFuzzer target for the corpus line reader and document reader
// (src/corpus/line_reader.cpp, corpus_reader.cpp), which every corpus consumer goes through. The first input
// byte picks the invalid-UTF-8 policy and a max line length; the rest is the file. Either an Error naming
// file and line, or documents of valid, stripped, non-empty sentences.
#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "corpus/corpus_reader.h"
#include "corpus/line_reader.h"
#include "fuzz_util.h"
#include "text/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  if (size == 0) return 0;
  const uint8_t knob = data[0];
  const auto path = fuzz::write_input("corpus.txt", data + 1, size - 1);
  const std::string_view content(reinterpret_cast<const char*>(data + 1), size - 1);
  LineReaderOptions lo;
  lo.on_invalid_utf8 = static_cast<InvalidUtf8Policy>(knob % 3);
  if (knob / 3) lo.max_line_bytes = (knob / 3) * 4u;

  // Line level: with kReplace nothing is dropped, so the count of lines is fixed by the newlines.
  try {
    LineReader reader(path, lo);
    std::string_view line;
    uint64_t lines = 0;
    while (reader.next(line)) {
      ++lines;
      // max_line_bytes bounds the bytes read; replace turns each bad byte into U+FFFD (3 bytes).
      const uint64_t growth = lo.on_invalid_utf8 == InvalidUtf8Policy::kReplace ? 3 : 1;
      BERTFORGE_FUZZ_CHECK(line.size() <= growth * lo.max_line_bytes);
      BERTFORGE_FUZZ_CHECK(text::utf8_find_invalid(line) == std::string_view::npos);
      BERTFORGE_FUZZ_CHECK(line.find('\0') == std::string_view::npos);
    }
    if (lo.on_invalid_utf8 == InvalidUtf8Policy::kReplace) {
      uint64_t expect = std::count(content.begin(), content.end(), '\n') +
                        (!content.empty() && content.back() != '\n' ? 1 : 0);
      BERTFORGE_FUZZ_CHECK(lines == expect);
    }
    BERTFORGE_FUZZ_CHECK(reader.bytes_read() == content.size());
  } catch (const Error&) {
  }

  // Document level.
  try {
    CorpusReaderOptions co;
    co.line = lo;
    CorpusReader reader({path}, co);
    std::vector<std::string> doc;
    while (reader.next(doc)) {
      BERTFORGE_FUZZ_CHECK(!doc.empty());
      for (const auto& s : doc) {
        BERTFORGE_FUZZ_CHECK(!s.empty());
        BERTFORGE_FUZZ_CHECK(strip_whitespace(s) == s);
        BERTFORGE_FUZZ_CHECK(text::utf8_find_invalid(s) == std::string_view::npos);
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
