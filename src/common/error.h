// common/error.h — the one exception type of the project. Every stage throws bertforge::Error with a kind
// and the context a person needs to fix the problem (file, line, field, the flag that fixes it). The CLI
// catches it at the top and prints `bertforge: error: ...`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace bertforge {

enum class ErrorKind {
  kUsage,         // bad flag or option value (CLI exit code 2)
  kIo,            // missing file, permission, disk full
  kFormat,        // a file's content is not what its format says (bad UTF-8, corrupt header, ...)
  kConfig,        // an option/config value is invalid
  kUnsupported,   // a valid input that bertforge refuses (pickle files, other tokenizer types, ...)
  kInternal,      // a bug: an invariant broke
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// "FILE:LINE: message" style helpers so every error names where it comes from.
Error io_error(const std::string& path, const std::string& what);
Error format_error(const std::string& path, uint64_t line, const std::string& what);
Error config_error(const std::string& field, const std::string& what);

}  // namespace bertforge
