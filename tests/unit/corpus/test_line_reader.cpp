// Unit tests for corpus/line_reader: every kind of bad input a corpus file can hold gets a defined result.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <unistd.h>

#include "common/error.h"
#include "corpus/line_reader.h"
#include "temp_dir.h"
#include "text/utf8.h"

using namespace bertforge;
using bertforge::testing::TempDir;

namespace {

std::vector<std::string> read_all(const std::filesystem::path& p, LineReaderOptions o = {}) {
  LineReader r(p, o);
  std::vector<std::string> lines;
  std::string_view line;
  while (r.next(line)) lines.emplace_back(line);
  return lines;
}

// Runs the reader to the end and returns the error message (empty when none was thrown).
std::string error_of(const std::filesystem::path& p, LineReaderOptions o = {}, ErrorKind* kind = nullptr) {
  try {
    read_all(p, o);
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

using Lines = std::vector<std::string>;
using namespace std::literals;

}  // namespace

TEST(LineReader, ReadsLinesAndLastLineWithoutNewline) {
  TempDir d;
  auto p = d.write("a.txt", "first\nsecond\n\nfourth");
  EXPECT_EQ(read_all(p), (Lines{"first", "second", "", "fourth"}));
}

TEST(LineReader, EmptyFileHasNoLines) {
  TempDir d;
  EXPECT_TRUE(read_all(d.write("empty.txt", "")).empty());
  EXPECT_EQ(read_all(d.write("nl.txt", "\n")), (Lines{""}));
}

TEST(LineReader, SkipsBomOnlyAtStartOfFile) {
  TempDir d;
  auto p = d.write("bom.txt", "\xEF\xBB\xBFhello\n\xEF\xBB\xBFworld\n");
  EXPECT_EQ(read_all(p), (Lines{"hello", "\xEF\xBB\xBFworld"}));
}

TEST(LineReader, DropsCarriageReturnOfCrlf) {
  TempDir d;
  auto p = d.write("crlf.txt", "a\r\nb\r\n\r\nc\r");
  EXPECT_EQ(read_all(p), (Lines{"a", "b", "", "c"}));
  // A lone \r inside a line is content, not a terminator.
  EXPECT_EQ(read_all(d.write("cr.txt", "x\ry\n")), (Lines{"x\ry"}));
}

TEST(LineReader, InvalidUtf8ErrorNamesFileLineAndByte) {
  TempDir d;
  auto p = d.write("bad.txt",
                   "ok\nab\xFF"
                   "cd\n");
  ErrorKind kind{};
  EXPECT_EQ(error_of(p, {}, &kind),
            p.string() + ":2: invalid UTF-8 at byte 3 (use --on-invalid-utf8 replace|skip)");
  EXPECT_EQ(kind, ErrorKind::kFormat);
}

TEST(LineReader, InvalidUtf8Replace) {
  TempDir d;
  // A lone continuation byte and a truncated 3-byte sequence each become U+FFFD.
  auto p = d.write("bad.txt",
                   "a\x80"
                   "b\n\xED\x95\n");
  LineReaderOptions o;
  o.on_invalid_utf8 = InvalidUtf8Policy::kReplace;
  auto lines = read_all(p, o);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(lines[1].substr(0, 3), "\xEF\xBF\xBD");
  EXPECT_EQ(lines[1].find_first_not_of("\xEF\xBF\xBD"), std::string::npos);
}

TEST(LineReader, InvalidUtf8SkipCountsAndKeepsLineNumbers) {
  TempDir d;
  auto p = d.write("bad.txt", "one\n\xC0\xAF\nthree\nfo\0ur\nfive\n"sv);
  LineReaderOptions o;
  o.on_invalid_utf8 = InvalidUtf8Policy::kSkip;
  LineReader r(p, o);
  std::string_view line;
  std::vector<std::pair<uint64_t, std::string>> got;
  while (r.next(line)) got.emplace_back(r.line_number(), std::string(line));
  EXPECT_EQ(got, (std::vector<std::pair<uint64_t, std::string>>{{1, "one"}, {3, "three"}, {5, "five"}}));
  EXPECT_EQ(r.skipped_lines(), 2u);
}

TEST(LineReader, NulByteIsInvalidInputWithItsOwnMessage) {
  TempDir d;
  auto p = d.write("nul.txt", "a\nxy\0z\n"sv);
  std::string msg = error_of(p);
  EXPECT_EQ(msg.rfind(p.string() + ":2: NUL byte at byte 3", 0), 0u) << msg;
  EXPECT_NE(msg.find("--on-invalid-utf8 replace|skip"), std::string::npos) << msg;

  LineReaderOptions o;
  o.on_invalid_utf8 = InvalidUtf8Policy::kReplace;
  EXPECT_EQ(read_all(p, o), (Lines{"a", "xy\xEF\xBF\xBDz"}));
}

TEST(LineReader, FirstProblemInLineIsReported) {
  TempDir d;
  auto p = d.write("both.txt", "ab\xFF\0\n"sv);
  EXPECT_NE(error_of(p).find("invalid UTF-8 at byte 3"), std::string::npos);
  auto q = d.write("both2.txt", "a\0b\xFF\n"sv);
  EXPECT_NE(error_of(q).find("NUL byte at byte 2"), std::string::npos);
}

TEST(LineReader, LongLineIsRefusedNamingTheLine) {
  TempDir d;
  LineReaderOptions o;
  o.max_line_bytes = 10;
  EXPECT_EQ(read_all(d.write("ok.txt", "0123456789\r\n0123456789"), o), (Lines{"0123456789", "0123456789"}));
  auto p = d.write("long.txt", "short\n01234567890\n");
  std::string msg = error_of(p, o);
  EXPECT_EQ(msg.rfind(p.string() + ":2: line is longer than 10 bytes", 0), 0u) << msg;
}

TEST(LineReader, LongLineAcrossChunksIsRefusedWithoutReadingItAll) {
  TempDir d;
  LineReaderOptions o;
  o.max_line_bytes = 1000;
  std::string big(3u << 20, 'x');  // 3 MiB, no newline: spans several read chunks
  auto p = d.write("big.txt", "a\n" + big);
  std::string msg = error_of(p, o);
  EXPECT_NE(msg.find(":2: line is longer than 1000 bytes"), std::string::npos) << msg;
}

TEST(LineReader, LinesSpanningReadChunksAreWhole) {
  TempDir d;
  // Lines of varied lengths (some longer than the 1 MiB chunk) with CRLF and multi-byte characters, so
  // chunk boundaries fall inside lines, inside a CRLF and inside a UTF-8 sequence.
  Lines expected;
  std::string content;
  for (int i = 0; i < 60; ++i) {
    std::string line;
    size_t len = (i % 10 == 0) ? 1200000 + i : 1000 + 9973 * i;
    while (line.size() < len) line += (i % 2) ? "한국어 " : "abc ";
    expected.push_back(line);
    content += line + ((i % 3 == 0) ? "\r\n" : "\n");
  }
  auto p = d.write("chunks.txt", content);
  LineReader r(p);
  std::string_view line;
  size_t n = 0;
  while (r.next(line)) {
    ASSERT_LT(n, expected.size());
    ASSERT_EQ(line, expected[n]) << "line " << n + 1;
    ++n;
  }
  EXPECT_EQ(n, expected.size());
  EXPECT_EQ(r.bytes_read(), content.size());
  EXPECT_EQ(r.file_size(), content.size());
}

TEST(LineReader, MissingFileAndDirectoryNameThePath) {
  TempDir d;
  ErrorKind kind{};
  std::string missing = (d.path() / "nope.txt").string();
  std::string msg = error_of(missing, {}, &kind);
  EXPECT_EQ(kind, ErrorKind::kIo);
  EXPECT_EQ(msg, missing + ": no such file");
  msg = error_of(d.path(), {}, &kind);
  EXPECT_EQ(kind, ErrorKind::kIo);
  EXPECT_NE(msg.find(d.path().string()), std::string::npos);
  EXPECT_NE(msg.find("is a directory"), std::string::npos);
}

TEST(LineReader, UnreadableFileNamesThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir d;
  auto p = d.write("secret.txt", "x\n");
  std::filesystem::permissions(p, std::filesystem::perms::none);
  std::string msg = error_of(p);
  EXPECT_EQ(msg.rfind(p.string() + ": cannot open", 0), 0u) << msg;
}

TEST(LineReader, ParsePolicy) {
  EXPECT_EQ(parse_invalid_utf8_policy("error"), InvalidUtf8Policy::kError);
  EXPECT_EQ(parse_invalid_utf8_policy("replace"), InvalidUtf8Policy::kReplace);
  EXPECT_EQ(parse_invalid_utf8_policy("skip"), InvalidUtf8Policy::kSkip);
  EXPECT_STREQ(invalid_utf8_policy_name(InvalidUtf8Policy::kSkip), "skip");
  EXPECT_THROW(parse_invalid_utf8_policy("ignore"), Error);
}

TEST(FindInvalidUtf8, AgreesWithTheReferenceDecoderOnRandomBytes) {
  // Bytes chosen around every boundary of the well-formed ranges, so truncations, overlongs, surrogates
  // and out-of-range sequences all occur often.
  const unsigned char pool[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  uint32_t state = 12345;
  auto rnd = [&]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  size_t invalid = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    size_t len = rnd() % 12;
    for (size_t k = 0; k < len; ++k) s.push_back(static_cast<char>(pool[rnd() % sizeof(pool)]));
    if (rnd() % 2) s = "abcdefghij" + s;  // exercise the 8-byte ASCII path before the interesting bytes
    size_t expected = text::utf8_find_invalid(s);
    ASSERT_EQ(find_invalid_utf8(s), expected) << "iteration " << iter;
    invalid += expected != std::string_view::npos;
  }
  EXPECT_GT(invalid, 1000u);  // both outcomes were exercised
  EXPECT_LT(invalid, 199000u);
  EXPECT_EQ(find_invalid_utf8("한국어 text \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);  // surrogate
}
