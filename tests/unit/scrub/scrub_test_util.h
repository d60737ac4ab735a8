// tests/unit/scrub/scrub_test_util.h — synthetic PII for the scrubber tests (no real person's data anywhere).
#pragma once

#include <string>

#include "common/error.h"
#include "privacy/scrub.h"

namespace scrub_test {

using namespace bertforge::privacy;

// A resident/foreigner registration number with a valid (pre-2020) check digit: "YYMMDD" + gender + 5 digits.
inline std::string make_rrn(const std::string& yymmdd, char gender, const std::string& five,
                            bool dash = true) {
  std::string d = yymmdd + gender + five;
  d.push_back(static_cast<char>('0' + rrn_check_digit(d, gender >= '5')));
  if (dash) d.insert(6, "-");
  return d;
}

// The same number with a check digit that fails.
inline std::string break_check_digit(std::string rrn) {
  char& last = rrn.back();
  last = last == '9' ? '0' : static_cast<char>(last + 1);
  return rrn;
}

// A Luhn-valid card number of `digits.size() + 1` digits.
inline std::string make_card(const std::string& digits) {
  for (char c = '0'; c <= '9'; ++c)
    if (luhn_valid(digits + c)) return digits + c;
  return digits;
}

inline ScrubRules all_rules(ScrubMode mode = ScrubMode::kMask) {
  ScrubRules r;
  r.enabled.fill(true);
  r.mode = mode;
  return r;
}

}  // namespace scrub_test
