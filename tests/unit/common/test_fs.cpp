// Unit tests for common/fs: atomic writes never leave partial outputs.
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/error.h"
#include "common/fs.h"

using namespace bertforge;

namespace {
fs::path make_temp_dir() {
  fs::path dir = fs::temp_directory_path() / fs::path("bertforge-test-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(std::rand()));
  fs::create_directories(dir);
  return dir;
}
}  // namespace

TEST(Fs, WriteFileAtomicRoundTrip) {
  fs::path dir = make_temp_dir();
  write_file_atomic(dir / "a.txt", "hello\n");
  EXPECT_EQ(read_file(dir / "a.txt"), "hello\n");
  write_file_atomic(dir / "a.txt", "bye");
  EXPECT_EQ(read_file(dir / "a.txt"), "bye");
  fs::remove_all(dir);
}

TEST(Fs, ReadMissingFileNamesThePath) {
  try {
    read_file("/nonexistent/bertforge/file.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/bertforge/file.txt"), std::string::npos);
  }
}

TEST(Fs, BuildDirAtomicLeavesNothingOnFailure) {
  fs::path dir = make_temp_dir();
  fs::path target = dir / "out";
  EXPECT_THROW(build_dir_atomic(target, false,
                                [](const fs::path& tmp) {
                                  write_file_atomic(tmp / "partial.txt", "x");
                                  throw std::runtime_error("boom");
                                }),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(target));
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 0u);
  build_dir_atomic(target, false, [](const fs::path& tmp) { write_file_atomic(tmp / "v.txt", "1"); });
  EXPECT_EQ(read_file(target / "v.txt"), "1");
  EXPECT_THROW(build_dir_atomic(target, false, [](const fs::path&) {}), Error);
  build_dir_atomic(target, true, [](const fs::path& tmp) { write_file_atomic(tmp / "v.txt", "2"); });
  EXPECT_EQ(read_file(target / "v.txt"), "2");
  fs::remove_all(dir);
}
