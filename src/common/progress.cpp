// common/progress.cpp — see progress.h.
#include "common/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace bertforge {
namespace {
std::atomic<bool> g_enabled{true};

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  int s = static_cast<int>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}
}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

void ProgressBar::set_enabled(bool enabled) { g_enabled = enabled; }

ProgressBar::ProgressBar(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(stderr_is_terminal()) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance(uint64_t n) {
  done_ += n;
  draw(false);
}

void ProgressBar::set(uint64_t done) {
  done_ = done;
  draw(false);
}

void ProgressBar::set_total(uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  total_ = total;
}

void ProgressBar::set_message(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  message_ = message;
}

void ProgressBar::finish() {
  if (finished_) return;
  draw(true);
  std::lock_guard<std::mutex> lock(mutex_);
  if (g_enabled && tty_) std::fprintf(stderr, "\n");
  finished_ = true;
}

void ProgressBar::draw(bool force) {
  if (!g_enabled) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  auto now = std::chrono::steady_clock::now();
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since_draw < (tty_ ? 0.1 : 5.0)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  uint64_t done = done_;
  std::string counters;
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const int width = 24;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '-');
    double eta = done > 0 ? elapsed * (static_cast<double>(total_) - done) / done : -1;
    counters = fmt::format("[{}] {:3.0f}% {}/{}{}{} {} eta {}", bar, frac * 100, done, total_,
                           unit_.empty() ? "" : " ", unit_, format_duration(elapsed), format_duration(eta));
  } else {
    counters = fmt::format("{}{}{} {}", done, unit_.empty() ? "" : " ", unit_, format_duration(elapsed));
  }
  std::string line = fmt::format("{}: {}{}{}", label_, counters, message_.empty() ? "" : "  ", message_);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace bertforge
