// fuzz/fuzz_util.h — shared helpers of the libFuzzer targets (fuzz/*.cpp, built with -DBERTFORGE_FUZZ=ON).
// The readers under test take paths, as the commands do, so each input is written to a scratch file first:
// one folder per process under /dev/shm (memory, not disk), removed at exit.
//
// Rule of every target: a bertforge::Error is the expected answer to a bad input; any other exception
// (nlohmann::json's, c10::Error, std::out_of_range, ...) escapes, which libFuzzer reports as a crash,
// because the CLI would then print a message that names no file and no fix.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace bertforge::fuzz {

namespace fs = std::filesystem;

inline const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("bertforge-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code e;
      fs::remove_all(scratch_dir(), e);
    });
    return d;
  }();
  return dir;
}

// Writes the fuzz input to scratch_dir()/name and returns its path.
inline fs::path write_input(const std::string& name, const uint8_t* data, size_t size) {
  fs::path p = scratch_dir() / name;
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return p;
}

// A check that must hold whatever the input: abort (a libFuzzer crash report) when it does not.
#define BERTFORGE_FUZZ_CHECK(cond)                                                            \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

}  // namespace bertforge::fuzz
