// Shared scaffolding for tests that run commands or need a scratch folder: one way of doing it for every
// test binary (integration, reference, unit). Header-only; include as "test_util.h".
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bertforge::testing {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir named after the running test; removed when it goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "bertforge-test") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = prefix + "-" + std::to_string(::getpid());
    if (info) name += std::string("-") + info->test_suite_name() + "-" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    path_ = fs::temp_directory_path() / name;
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Single-quotes a string for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

struct RunResult {
  int code;            // exit status; 128+N when killed by signal N
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures stdout+stderr.
inline RunResult run_command(const std::string& command) {
  std::string cmd = "(" + command + ") 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return {code, out};
}

#ifdef BERTFORGE_CLI
// Runs the built CLI with already-quoted arguments.
inline RunResult run_cli(const std::string& args) {
  return run_command(sh_quote(BERTFORGE_CLI) + " " + args);
}
#endif

// The Python with Debian's python3-torch (a pyenv python3 earlier on PATH may lack torch).
inline std::string python3() {
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

}  // namespace bertforge::testing
