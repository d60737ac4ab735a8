// tests/unit/corpus/test_encoding_hints.cpp — a corpus file in another encoding fails on its first line with
// a message that says what the file probably is and how to convert it (tests/integration/test_bad_inputs.cpp
// checks the same through every command).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "corpus/line_reader.h"
#include "test_util.h"

namespace bertforge {
namespace {

std::string first_error(const std::string& bytes) {
  testing::TempDir dir;
  const auto path = dir.path() / "c.txt";
  testing::write_file(path, bytes);
  try {
    LineReader r(path);
    std::string_view line;
    while (r.next(line)) {
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(EncodingHints, Utf16ByteOrderMarkSaysUtf16AndIconv) {
  std::string err = first_error(std::string("\xFF\xFEh\0i\0\n\0", 8));
  EXPECT_NE(err.find(":1: the file starts with a UTF-16 byte-order mark"), std::string::npos) << err;
  EXPECT_NE(err.find("iconv -f UTF-16 -t UTF-8"), std::string::npos) << err;
  err = first_error(std::string("\xFE\xFF\0h\0i\0\n", 8));
  EXPECT_NE(err.find("UTF-16"), std::string::npos) << err;
}

TEST(EncodingHints, InvalidFirstLineSuggestsConversion) {
  // "이순신" in EUC-KR.
  std::string err = first_error("\xC0\xCC\xBC\xF8\xBD\xC5\n");
  EXPECT_NE(err.find(":1: invalid UTF-8 at byte 1 (use --on-invalid-utf8 replace|skip); if the file is in "
                     "another encoding (EUC-KR"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("iconv"), std::string::npos) << err;
}

TEST(EncodingHints, LaterLinesKeepTheShortMessage) {
  std::string err = first_error("fine\n\xC0\xCC\n");
  EXPECT_NE(err.find(":2: invalid UTF-8 at byte 1 (use --on-invalid-utf8 replace|skip)"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("iconv"), std::string::npos) << err;
}

}  // namespace
}  // namespace bertforge
