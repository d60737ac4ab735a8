// common/fs.cpp — see fs.h.
#include "common/fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"

namespace bertforge {

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw io_error(path.string(), "no such file");
  if (fs::is_directory(path, ec)) throw io_error(path.string(), "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  std::string data;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) data.resize(static_cast<size_t>(size));
  if (size > 0 && !in.read(data.data(), size)) throw io_error(path.string(), "read failed");
  return data;
}

void require_file(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw io_error(path.string(), fmt::format("{} not found", what));
  if (!fs::is_regular_file(path, ec))
    throw io_error(path.string(), fmt::format("{} is not a regular file", what));
}

fs::path temp_sibling(const fs::path& target) {
  static std::atomic<uint64_t> counter{0};
  fs::path t = target;
  if (t.has_filename() == false) t = t.parent_path();
  return fs::path(t.string() + fmt::format(".tmp-{}-{}", getpid(), counter++));
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  fs::path tmp = temp_sibling(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error(path.string(), std::string("cannot create: ") + std::strerror(errno));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw io_error(path.string(), std::string("write failed: ") + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  // fsync/close are where NFS and delayed allocation report a full disk: a failure there must not rename
  // an incomplete file into place.
  int err = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw io_error(path.string(), std::string("write failed: ") + std::strerror(err));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw io_error(path.string(), "cannot rename temporary file into place");
  }
}

void build_dir_atomic(const fs::path& target, bool replace,
                      const std::function<void(const fs::path&)>& fill) {
  std::error_code ec;
  fs::path abs = fs::absolute(target, ec);
  if (abs.has_parent_path()) fs::create_directories(abs.parent_path(), ec);
  fs::path tmp = temp_sibling(abs.filename().empty() ? abs.parent_path() : abs);
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec) && ec)
    throw io_error(tmp.string(), "cannot create temporary output folder: " + ec.message());
  try {
    fill(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  if (fs::exists(abs, ec)) {
    if (!replace) {
      fs::remove_all(tmp, ec);
      throw io_error(abs.string(), "already exists (pass --overwrite to replace it)");
    }
    fs::path old = temp_sibling(abs);
    fs::rename(abs, old, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      throw io_error(abs.string(), "cannot move the previous output aside: " + ec.message());
    }
    fs::rename(tmp, abs, ec);
    if (ec) {
      fs::rename(old, abs, ec);
      throw io_error(abs.string(), "cannot rename the new output into place");
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp, abs, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      throw io_error(abs.string(), "cannot rename the new output into place: " + ec.message());
    }
  }
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

namespace {
constexpr size_t kAtomicFileBuffer = 1 << 20;
}

AtomicFile::AtomicFile(const fs::path& target) : target_(target), tmp_(temp_sibling(target)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw io_error(target.string(), std::string("cannot create output: ") + std::strerror(errno));
  buffer_.reserve(kAtomicFileBuffer + 4096);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void AtomicFile::write(std::string_view s) {
  buffer_.append(s);
  written_ += s.size();
  if (buffer_.size() >= kAtomicFileBuffer) flush();
}

void AtomicFile::commit() {
  flush();
  if (::fsync(fd_) != 0) fail("fsync failed");
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail("close failed");
  }
  fd_ = -1;
  std::error_code ec;
  fs::rename(tmp_, target_, ec);
  if (ec) throw io_error(target_.string(), "cannot rename the temporary output into place: " + ec.message());
  committed_ = true;
}

void AtomicFile::fail(const char* what) {
  throw io_error(target_.string(), fmt::format("{}: {}", what, std::strerror(errno)));
}

void AtomicFile::flush() {
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
}

}  // namespace bertforge
