// Unit tests for corpus/prepare: input collection, options, and that the corpus does not depend on the
// number of threads (including which error is reported).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "corpus/prepare.h"
#include "temp_dir.h"

using namespace bertforge;
using bertforge::testing::TempDir;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(PrepareInputs, FoldersAreSortedFilteredAndSkipHiddenNames) {
  TempDir d;
  d.write("in/b.html", "x");
  d.write("in/a/z.HTM", "x");
  d.write("in/a/y.txt", "x");
  d.write("in/c.js", "x");
  d.write("in/.git/x.html", "x");
  d.write("in/.h.html", "x");
  d.write("single.dat", "x");
  CorpusPrepareOptions o;
  o.input = {(d.path() / "in").string(), (d.path() / "single.dat").string()};
  o.output = (d.path() / "in" / "out.txt").string();
  uint64_t ignored = 0;
  auto inputs = collect_prepare_inputs(o, &ignored);
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[0].path.filename(), "y.txt");
  EXPECT_FALSE(inputs[0].html);
  EXPECT_EQ(inputs[1].path.filename(), "z.HTM");
  EXPECT_TRUE(inputs[1].html);
  EXPECT_EQ(inputs[2].path.filename(), "b.html");
  EXPECT_EQ(inputs[3].path.filename(), "single.dat");  // named directly: read, as text
  EXPECT_FALSE(inputs[3].html);
  EXPECT_EQ(ignored, 1u);  // c.js

  o.format = "html";
  inputs = collect_prepare_inputs(o, &ignored);
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_TRUE(inputs[2].html);  // single.dat read as HTML when the format says so
}

TEST(PrepareInputs, OutputInsideAnInputFolderIsNotRead) {
  TempDir d;
  d.write("in/a.txt", "문장입니다.\n");
  d.write("in/corpus.txt", "old output\n");
  CorpusPrepareOptions o;
  o.input = {(d.path() / "in").string()};
  o.output = (d.path() / "in" / "corpus.txt").string();
  o.overwrite = true;
  auto stats = prepare_corpus(o);
  EXPECT_EQ(stats.text_files, 1u);
  EXPECT_EQ(slurp(o.output), "문장입니다.\n");
}

TEST(PrepareOptions, JsonRoundTripAndValidation) {
  CorpusPrepareOptions o;
  o.input = {"a", "b"};
  o.output = "c.txt";
  o.format = "html";
  o.require_script = "hangul";
  o.threads = 3;
  o.keep_code_blocks = true;
  auto back = CorpusPrepareOptions::from_json(o.to_json());
  EXPECT_EQ(back.to_json(), o.to_json());
  EXPECT_NO_THROW(o.validate());
  o.format = "pdf";
  EXPECT_THROW(o.validate(), Error);
  o.format = "auto";
  o.require_script = "elvish";
  EXPECT_THROW(o.validate(), Error);
  o.require_script = "any";
  o.on_invalid_utf8 = "ignore";
  EXPECT_THROW(o.validate(), Error);
  EXPECT_THROW(CorpusPrepareOptions::from_json({{"threads", "many"}}), Error);
}

TEST(PrepareCorpus, OutputDoesNotDependOnThreads) {
  TempDir d;
  for (int i = 0; i < 60; ++i) {
    std::string page = "<html><body><h1>문서 " + std::to_string(i) + "</h1>";
    for (int j = 0; j <= i % 5; ++j) page += "<p>문장 " + std::to_string(j) + "입니다. 다음 문장이에요!</p>";
    if (i % 7 == 0) page = "<p>123</p>";  // no letters: dropped document
    d.write("site/p" + std::to_string(1000 + i) + ".html", page);
  }
  d.write("site/notes.txt", "텍스트 파일입니다. 둘째.\n");
  std::string first;
  for (int threads : {1, 2, 4}) {
    CorpusPrepareOptions o;
    o.input = {(d.path() / "site").string()};
    o.output = (d.path() / ("out" + std::to_string(threads) + ".txt")).string();
    o.threads = threads;
    auto stats = prepare_corpus(o);
    EXPECT_EQ(stats.html_files, 60u);
    EXPECT_EQ(stats.text_files, 1u);
    EXPECT_EQ(stats.empty_documents, 9u);  // i = 0, 7, ..., 56
    EXPECT_EQ(stats.documents, 52u);
    std::string out = slurp(o.output);
    EXPECT_EQ(stats.bytes_written, out.size());
    if (first.empty()) {
      first = out;
      // notes.txt sorts before p1000.html; p1000 (i = 0) has no letters and is dropped.
      const std::string head =
          "텍스트 파일입니다.\n둘째.\n\n문서 1\n문장 0입니다.\n다음 문장이에요!\n문장 1입니다.\n";
      EXPECT_EQ(out.rfind(head, 0), 0u) << out.substr(0, 200);
    } else {
      EXPECT_EQ(out, first) << threads << " threads";
    }
  }
}

TEST(PrepareCorpus, FirstBadPageInOrderIsReportedWhateverTheThreads) {
  TempDir d;
  for (int i = 0; i < 30; ++i)
    d.write("site/p" + std::to_string(100 + i) + ".html", "<p>좋은 문장입니다.</p>");
  d.write("site/p115.html", "<p>첫 줄</p>\n<p>bad \xC3\x28</p>");
  d.write("site/p125.html", std::string("<p>nul \0 here</p>", 18));
  for (int threads : {1, 3}) {
    CorpusPrepareOptions o;
    o.input = {(d.path() / "site").string()};
    o.output = (d.path() / "out.txt").string();
    o.threads = threads;
    try {
      prepare_corpus(o);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kFormat);
      EXPECT_NE(std::string(e.what()).find("p115.html:2: invalid UTF-8 at byte 8"), std::string::npos)
          << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(o.output));
  }
  CorpusPrepareOptions o;
  o.input = {(d.path() / "site").string()};
  o.output = (d.path() / "out.txt").string();
  o.on_invalid_utf8 = "skip";
  auto stats = prepare_corpus(o);
  EXPECT_EQ(stats.invalid_files_skipped, 2u);
  EXPECT_EQ(stats.documents, 28u);
}

TEST(PrepareCorpus, DeclaredCharsetIsNamedInTheError) {
  TempDir d;
  // "가" in EUC-KR is B0 A1.
  d.write("k.html", "<meta charset=\"euc-kr\"><p>\xB0\xA1</p>");
  CorpusPrepareOptions o;
  o.input = {(d.path() / "k.html").string()};
  o.output = (d.path() / "out.txt").string();
  try {
    prepare_corpus(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("charset=euc-kr: convert it first, e.g. iconv -f euc-kr -t UTF-8"),
              std::string::npos)
        << e.what();
  }
}

TEST(PrepareCorpus, TextFileIsOneDocumentUnlessSplitOnBlankLines) {
  TempDir d;
  auto in = d.write("t.txt", "\xEF\xBB\xBF첫 문장. 둘째 문장.\r\n\r\n셋째 줄\n\n\n");
  CorpusPrepareOptions o;
  o.input = {in.string()};
  o.output = (d.path() / "a.txt").string();
  prepare_corpus(o);
  EXPECT_EQ(slurp(o.output), "첫 문장.\n둘째 문장.\n셋째 줄\n");
  o.output = (d.path() / "b.txt").string();
  o.split_text_on_blank_lines = true;
  auto stats = prepare_corpus(o);
  EXPECT_EQ(stats.documents, 2u);
  EXPECT_EQ(slurp(o.output), "첫 문장.\n둘째 문장.\n\n셋째 줄\n");
}

TEST(PrepareCorpus, MinSentencesDropsShortDocuments) {
  TempDir d;
  d.write("s/a.html", "<p>관련 주제</p>");
  d.write("s/b.html", "<p>첫 문장입니다. 둘째 문장입니다.</p>");
  CorpusPrepareOptions o;
  o.input = {(d.path() / "s").string()};
  o.output = (d.path() / "out.txt").string();
  o.min_sentences = 2;
  auto stats = prepare_corpus(o);
  EXPECT_EQ(stats.documents, 1u);
  EXPECT_EQ(stats.short_documents, 1u);
  EXPECT_EQ(slurp(o.output), "첫 문장입니다.\n둘째 문장입니다.\n");
  o.min_sentences = 0;
  EXPECT_THROW(o.validate(), Error);
}
