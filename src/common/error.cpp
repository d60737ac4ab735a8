// common/error.cpp — constructors for the project's error type.
#include "common/error.h"

#include <fmt/format.h>

namespace bertforge {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kFormat: return "format";
    case ErrorKind::kConfig: return "config";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

Error io_error(const std::string& path, const std::string& what) {
  return Error(ErrorKind::kIo, fmt::format("{}: {}", path, what));
}

Error format_error(const std::string& path, uint64_t line, const std::string& what) {
  if (line == 0) return Error(ErrorKind::kFormat, fmt::format("{}: {}", path, what));
  return Error(ErrorKind::kFormat, fmt::format("{}:{}: {}", path, line, what));
}

Error config_error(const std::string& field, const std::string& what) {
  return Error(ErrorKind::kConfig, fmt::format("option '{}': {}", field, what));
}

}  // namespace bertforge
