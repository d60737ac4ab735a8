// common/progress.h — a progress bar for long work (training a tokenizer, building a dataset, pre-training).
// On a terminal it redraws one line on stderr; otherwise it prints a plain line at most every few seconds,
// so CI logs stay readable. Thread-safe: workers call advance() concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace bertforge {

class ProgressBar {
 public:
  // total == 0 means unknown (a spinner-like counter).
  ProgressBar(std::string label, uint64_t total, std::string unit = "");
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void advance(uint64_t n = 1);
  void set(uint64_t done);
  void set_total(uint64_t total);
  // Free text shown after the counters (e.g. "loss 3.21 lr 1e-4").
  void set_message(const std::string& message);
  void finish();

  static void set_enabled(bool enabled);  // --quiet turns all bars off

 private:
  void draw(bool force);

  std::string label_, unit_, message_;
  std::atomic<uint64_t> done_{0};
  uint64_t total_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

bool stderr_is_terminal();

}  // namespace bertforge
