// common/log.cpp — stderr logger; one mutex so lines from worker threads never interleave.
#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace bertforge {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mutex;
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log_message(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const char* prefix = level == LogLevel::kWarn ? "warning: " : level == LogLevel::kError ? "error: " : "";
  std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
  std::fflush(stderr);
}

}  // namespace bertforge
