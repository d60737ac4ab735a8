// privacy/scrub.h — the PII scrubber: corpus.txt -> corpus.txt with personal data masked or pseudonymized,
// run between `corpus prepare` and `tokenizer train` (the seed's "[MASK] token attack": a BERT trained on
// personal data gives it back through fill-mask, so it must leave the corpus first).
//
// Detection: one combined RE2 alternation finds the leftmost candidate of any enabled type; per-rule
// anchored RE2 patterns plus C++ validators (dates, check digits, Luhn, octet ranges, context words) decide
// what it is. A user term list (names) is matched by a second RE2 alternation with whole-token boundaries
// and Korean particles allowed after the term.
//   "연락처 010-1234-5678, hong@example.org"  -> mask:         "연락처 [PHONE], [EMAIL]"
//                                             -> pseudonymize: "연락처 010-4821-0937, user394028@example.com"
// Torch-free: this is part of bertforge_core.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bertforge::privacy {

enum class PiiType { kEmail = 0, kPhone, kRrn, kFrn, kCard, kIp, kUrl, kName };
constexpr size_t kNumPiiTypes = 8;

const char* pii_type_name(PiiType type);  // "email", "phone", "rrn", "frn", "card", "ip", "url", "terms"
const char* pii_type_tag(PiiType type);   // "[EMAIL]", "[PHONE]", ..., "[NAME]"
PiiType parse_pii_type(const std::string& name);  // config_error naming --types on an unknown name

enum class ScrubMode { kMask, kPseudonymize };

// Which types to look for, and how to replace them. Shared by the detector and the CLI.
struct ScrubRules {
  std::array<bool, kNumPiiTypes> enabled{};  // indexed by PiiType
  ScrubMode mode = ScrubMode::kMask;
  uint64_t seed = 0;               // keys the pseudonym hash: same seed + same value -> same fake value
  std::vector<std::string> terms;  // names/terms for PiiType::kName (UTF-8, matched as whole tokens)
  bool enabled_type(PiiType t) const { return enabled[static_cast<size_t>(t)]; }
};

// Per-type counters. Counts only: no values, no positions, so a report can never repeat a secret.
struct FindingCounts {
  std::array<uint64_t, kNumPiiTypes> by_type{};
  uint64_t rrn_unverified = 0;  // RRN/FRN masked on date + gender digit although the check digit fails
  void add(const FindingCounts& other);
  uint64_t total() const;
  nlohmann::json to_json() const;  // {"email": n, ...} for the enabled types plus totals
};

// One detection: text[begin, end) is of `type`.
struct Finding {
  PiiType type;
  size_t begin, end;
  bool unverified = false;  // RRN/FRN whose check digit failed (still masked, see docs/privacy.md)
};

// Finds and replaces PII in text. `text` may hold many lines separated by '\n': no pattern crosses a
// newline, so scrubbing a chunk of lines equals scrubbing each line. Not thread-safe for concurrent calls
// on one object (RE2 caches); give each worker thread its own Scrubber (construction is cheap).
class Scrubber {
 public:
  explicit Scrubber(ScrubRules rules);
  ~Scrubber();
  Scrubber(const Scrubber&) = delete;
  Scrubber& operator=(const Scrubber&) = delete;

  // All findings, sorted by position, non-overlapping.
  std::vector<Finding> find(std::string_view text) const;
  // Appends the scrubbed text to `out` and adds what was replaced to `counts`.
  void scrub(std::string_view text, std::string& out, FindingCounts& counts) const;
  // Convenience for tests: the scrubbed text.
  std::string scrub(std::string_view text) const;

  const ScrubRules& rules() const { return rules_; }

 private:
  struct Impl;
  ScrubRules rules_;
  std::unique_ptr<Impl> impl_;
};

// Validators, exposed for tests.
bool luhn_valid(std::string_view digits);                             // digits only
int rrn_check_digit(std::string_view first12, bool foreigner);        // the 13th digit for pre-2020 numbers
bool plausible_birth_date(int yy, int mm, int dd, int gender_digit);  // month/day valid for the century

// Pseudonyms: a fake value of the same shape as `value`, a pure function of (seed, type, value), so the same
// value maps to the same fake everywhere in a run (and across runs with the same --seed).
std::string pseudonymize(PiiType type, std::string_view value, uint64_t seed);
// SipHash-2-4 keyed by the seed: the keyed hash behind the pseudonyms.
uint64_t keyed_hash(uint64_t seed, std::string_view data);

// Options of `bertforge scrub` (one struct; the CLI binds its flags to these fields).
struct ScrubOptions {
  std::vector<std::string> input;  // corpus files, concatenated in order (a blank line between files)
  std::string output;              // scrubbed corpus (written to a temp name, renamed when complete)
  std::string report;              // optional JSON report (counts only)
  std::vector<std::string> types = {"email", "phone", "rrn", "frn", "card", "ip"};  // + "url", "terms"
  std::string mode = "mask";              // "mask" ([EMAIL] tags) or "pseudonymize" (consistent fakes)
  std::string terms;                      // file of names/terms, one per line ('#' comments); enables "terms"
  uint64_t seed = 0;                      // pseudonym key
  int threads = 0;                        // worker threads; 0 = all cores
  std::string on_invalid_utf8 = "error";  // error | replace | skip (see corpus/line_reader.h)
  bool overwrite = false;                 // replace an existing --output / --report
  uint64_t chunk_bytes = 1 << 20;         // lines are scrubbed in chunks of about this size (parallel unit)

  void validate() const;
  ScrubRules make_rules() const;  // reads the terms file
};
void to_json(nlohmann::json& j, const ScrubOptions& o);
void from_json(const nlohmann::json& j, ScrubOptions& o);

// What a run did, per input file and in total. to_json() is the --report format.
struct ScrubFileStats {
  std::string path;
  uint64_t lines = 0, bytes = 0, skipped_lines = 0;
  FindingCounts counts;
};
struct ScrubReport {
  std::vector<ScrubFileStats> files;
  uint64_t lines = 0, bytes = 0, skipped_lines = 0;
  FindingCounts counts;
  double seconds = 0;
  int threads = 1;
  nlohmann::json to_json(const ScrubOptions& options) const;
};

// Runs the whole command: reads every input, writes output (and report) atomically.
ScrubReport run_scrub(const ScrubOptions& options);

}  // namespace bertforge::privacy
