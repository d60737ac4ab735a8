// Unit tests for corpus/corpus_reader: documents of sentences as the seed's NSP dataset reads corpus.txt.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "corpus/corpus_reader.h"
#include "temp_dir.h"

using namespace bertforge;
using bertforge::testing::TempDir;

namespace {
using Doc = std::vector<std::string>;
using Docs = std::vector<Doc>;

Docs read_docs(CorpusReader& r) {
  Docs docs;
  Doc d;
  while (r.next(d)) docs.push_back(d);
  return docs;
}
}  // namespace

TEST(CorpusReader, BlankLinesSeparateDocuments) {
  TempDir t;
  auto a = t.write("a.txt", "s1\ns2\n\ns3\n");
  CorpusReader r({a});
  EXPECT_EQ(read_docs(r), (Docs{{"s1", "s2"}, {"s3"}}));
  EXPECT_EQ(r.documents(), 2u);
  EXPECT_EQ(r.sentences(), 3u);
}

TEST(CorpusReader, WhitespaceOnlyAndRepeatedBlankLinesMakeNoEmptyDocuments) {
  TempDir t;
  // Leading blanks, a line of spaces/tabs/U+3000, CRLF blanks and trailing blanks.
  auto a = t.write("a.txt", "\n\n  s1  \n \t\xE3\x80\x80\n\r\n\n\xC2\xA0s2\xC2\xA0\r\n\n\n");
  CorpusReader r({a});
  EXPECT_EQ(read_docs(r), (Docs{{"s1"}, {"s2"}}));
}

TEST(CorpusReader, NewFileStartsNewDocument) {
  TempDir t;
  auto a = t.write("a.txt", "a1\na2");  // no trailing newline
  auto b = t.write("b.txt", "b1\n");
  auto empty = t.write("empty.txt", "");
  auto c = t.write("c.txt", "\n\nc1\n\nc2\n");
  CorpusReader r({a, empty, b, c});
  Doc d;
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d, (Doc{"a1", "a2"}));
  EXPECT_EQ(r.document_file(), a);
  EXPECT_EQ(r.document_line(), 1u);
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d, (Doc{"b1"}));
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d, (Doc{"c1"}));
  EXPECT_EQ(r.document_file(), c);
  EXPECT_EQ(r.document_line(), 3u);
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d, (Doc{"c2"}));
  EXPECT_FALSE(r.next(d));
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(r.next(d));  // stays at the end
  EXPECT_EQ(r.bytes_read(), r.total_bytes());
  EXPECT_EQ(r.total_bytes(), 5u + 3u + 0u + 9u);
}

TEST(CorpusReader, EmptyInputsGiveNoDocuments) {
  TempDir t;
  auto e = t.write("e.txt", "");
  auto blank = t.write("blank.txt", "\n  \n\n");
  CorpusReader r({e, blank});
  Doc d;
  EXPECT_FALSE(r.next(d));
  CorpusReader none({});
  EXPECT_FALSE(none.next(d));
}

TEST(CorpusReader, MissingFileIsReportedBeforeReading) {
  TempDir t;
  auto a = t.write("a.txt", "x\n");
  std::string missing = (t.path() / "missing.txt").string();
  try {
    CorpusReader r({a, missing});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_EQ(std::string(e.what()), missing + ": no such file");
  }
}

TEST(CorpusReader, BadLinesFollowThePolicy) {
  TempDir t;
  auto a = t.write("a.txt", "ok\nbad \xFF\n\nnext\n");
  {
    CorpusReader r({a});
    Doc d;
    try {
      r.next(d);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                a.string() + ":2: invalid UTF-8 at byte 5 (use --on-invalid-utf8 replace|skip)");
    }
  }
  CorpusReaderOptions o;
  o.line.on_invalid_utf8 = InvalidUtf8Policy::kSkip;
  CorpusReader r({a}, o);
  EXPECT_EQ(read_docs(r), (Docs{{"ok"}, {"next"}}));
  EXPECT_EQ(r.skipped_lines(), 1u);
}

TEST(CorpusReader, StripWhitespaceMatchesPythonStrip) {
  EXPECT_EQ(strip_whitespace(" \t a b \r\n"), "a b");
  EXPECT_EQ(strip_whitespace("\xE3\x80\x80\xEA\xB0\x80\xE2\x80\xAF"), "\xEA\xB0\x80");  // U+3000 가 U+202F
  EXPECT_EQ(strip_whitespace("\xE2\x80\x8B"
                             "a"),
            "\xE2\x80\x8B"
            "a");  // U+200B is not whitespace in Python
  EXPECT_EQ(strip_whitespace("   "), "");
  EXPECT_TRUE(is_python_space(0x1F));
  EXPECT_TRUE(is_python_space(0x85));
  EXPECT_FALSE(is_python_space(0x200B));
  EXPECT_FALSE(is_python_space('a'));
}
