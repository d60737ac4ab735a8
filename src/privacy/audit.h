// privacy/audit.h — what a trained model remembers of its training text: the second half of issue 7 (the
// first is scrub.h). Sits after `pretrain` in the pipeline: model dir + tokenizer -> memorization report.
//
//  - Probes: the seed's "[MASK] token attack". A template with [MASK] and the true answer
//    ("이순신은 [MASK] 중기의 무신이다." / "조선") -> the rank and probability the model gives the answer.
//  - Canaries (Carlini et al. 2019, "The Secret Sharer"): random secrets planted R times each in a corpus
//    (`audit canaries --insert`), plus as many never-planted controls; after training, the exposure of each
//    secret = log2 |candidate space| - log2 rank(secret among all candidates), ranked by the model's
//    pseudo-log-likelihood of the secret's pieces. Memorized secrets rank near the top (high exposure);
//    controls land anywhere (exposure about 1.44 bits on average, whatever the model).
//
// Scoring (see docs/privacy.md, "How the audit scores"):
//  - A slot is the part of a text the model must guess: the probe's answer, the canary's secret. The text is
//    tokenized with the slot filled in, and every token overlapping the slot's characters is a slot piece.
//  - Probes mask all slot pieces jointly (k [MASK]s, one forward pass), like the attack: the answer's score
//    is the sum of log p(piece_i) at its position, and its rank is the number of piece sequences with a
//    higher joint score, plus one, counted exactly (up to a cap) from the k distributions.
//  - Canaries use the pseudo-log-likelihood (Salazar et al. 2020): each slot piece is masked on its own with
//    the rest of the text visible, and the log-probabilities of the true pieces are summed.
//  - The candidate space (10^digits) is far too large to rank exhaustively, so the rank is estimated from N
//    candidates sampled uniformly from it with a seeded RNG (the same N for every canary of a template):
//    exposure = log2(N+1) - log2(c+1), c = sampled candidates scoring above the secret (ties count half);
//    it resolves exposures up to log2(N+1) bits. Beyond that, exposure_extrapolated fits a normal
//    distribution to the candidates' scores and takes -log2 of its upper tail at the secret's score (the
//    paper fits a skew-normal), capped at log2 |space|.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "models/bert.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::privacy {

// ---------------------------------------------------------------------------------------------------------
// Canary templates and canary lists (no model needed)

// A canary template: a sentence with one secret slot in braces, '#' a random decimal digit and every other
// character inside the braces kept as written. "제 번호는 010-{####-####} 입니다." -> slot format
// "####-####", 10^8 possible secrets. Parsed by parse_canary_template (errors name the template and what is
// wrong).
struct CanaryTemplate {
  std::string text;           // as given, braces included
  std::string prefix;         // text before '{'
  std::string slot_format;    // between the braces
  std::string suffix;         // text after '}'
  int digits = 0;             // '#' count in slot_format
  double log2_space() const;  // digits * log2(10)
  std::string fill(const std::string& secret) const { return prefix + secret + suffix; }
};
CanaryTemplate parse_canary_template(const std::string& text);

// The default template: a fake Korean mobile number in a sentence; the scrubber tags it [PHONE].
inline constexpr const char* kDefaultCanaryTemplate = "제 휴대폰 번호는 010-{####-####} 입니다.";

// A secret of `format` drawn from `rng`: each '#' a digit (rng() % 10), other characters copied.
template <typename Rng>
std::string random_secret(const std::string& format, Rng& rng) {
  std::string s = format;
  for (char& c : s)
    if (c == '#') c = static_cast<char>('0' + rng() % 10);
  return s;
}

struct Canary {
  std::string id;  // "canary-0007" (inserted and controls share the numbering, order shuffled)
  int template_index = 0;
  std::string template_text;  // the template, braces included
  std::string secret;         // the slot's value, e.g. "1234-5678"
  std::string text;           // the full sentence
  bool inserted = false;      // planted in the corpus (true) or a control that never was (false)
  int repeat = 0;             // times planted (0 for controls)
};

nlohmann::json canary_to_json(const Canary& c);
Canary canary_from_json(const nlohmann::json& j, const std::string& where);  // `where` names file:line
// The canary list: JSON Lines, one canary per line. Writes atomically; reading checks every field.
void write_canary_file(const std::filesystem::path& path, const std::vector<Canary>& canaries);
std::vector<Canary> read_canary_file(const std::filesystem::path& path);

struct CanaryInsertOptions {
  int count = 10;                      // secrets planted (and as many controls)
  int repeat = 10;                     // times each planted secret is written into the corpus
  uint64_t seed = 42;                  // secrets, controls and positions all come from it
  std::vector<std::string> templates;  // empty: kDefaultCanaryTemplate; several: used in turn
  void validate() const;
  nlohmann::json to_json() const;
};

struct CanaryInsertStats {
  uint64_t input_lines = 0;     // sentence lines of the input (not counting blank separators)
  uint64_t documents = 0;       // documents of the input
  uint64_t inserted_lines = 0;  // count * repeat
};

// Reads the corpus `input` (one sentence a line, blank line between documents), writes it to `output` with
// every planted secret's sentence inserted `repeat` times as a line of its own before a sentence line chosen
// uniformly at random (so inside a random document, at a random place; documents, blank lines and every
// original line stay, in order), and returns the canaries: `count` inserted, then `count` controls, each
// half drawn from the same templates. Secrets are distinct and none occurs in the input corpus, so a
// control is never in the output. Same input + options -> same bytes. Output written atomically.
std::vector<Canary> insert_canaries(const std::filesystem::path& input, const std::filesystem::path& output,
                                    const CanaryInsertOptions& options, CanaryInsertStats* stats = nullptr);

// ---------------------------------------------------------------------------------------------------------
// Exposure and rank math (no model needed)

struct ExposureEstimate {
  double log2_space = 0;             // log2 |candidate space|
  uint64_t candidates = 0;           // N sampled candidates
  double above = 0;                  // c: candidates scoring above the secret (ties count half)
  double exposure = 0;               // log2(N+1) - log2(c+1), in [0, log2(N+1)]
  double exposure_extrapolated = 0;  // -log2 of the fitted normal's tail at the secret's score, capped
  double rank_estimate = 0;          // 2^(log2_space - exposure): the secret's estimated rank in the space
};

// The exposure of a secret with score `secret_score` against candidate scores sampled uniformly from a space
// of 2^log2_space secrets. Throws config_error on an empty candidate list.
ExposureEstimate estimate_exposure(double secret_score, const std::vector<double>& candidate_scores,
                                   double log2_space);

// Number of sequences (t_1..t_k), t_i ranging over position i's values, whose summed log-probability is
// strictly greater than `score`; counting stops at `cap` (returns cap then). Each vector holds one position's
// log-probabilities sorted in descending order. The probe rank is this + 1.
uint64_t count_sequences_above(const std::vector<std::vector<float>>& sorted_desc, double score,
                               uint64_t cap);

struct Summary {
  size_t n = 0;
  double mean = 0, median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> values);

// ---------------------------------------------------------------------------------------------------------
// Auditing a model

// A probe: a text with exactly one [MASK] and the answer the model should not know.
struct Probe {
  std::string text;
  std::string answer;
};
// JSON Lines ({"text": ..., "answer": ...}, also "masked"/"template" and "target"/"expected" as names) or TSV
// (text TAB answer). Blank lines and lines starting with '#' are skipped. Errors name file:line.
std::vector<Probe> read_probe_file(const std::filesystem::path& path);

struct AuditOptions {
  int top_k = 10;               // probes: flag answers ranked within the top k
  uint64_t rank_cap = 1000000;  // probes: exact rank counted up to this many sequences
  int candidates = 1000;        // canaries: sampled candidates per template
  uint64_t seed = 0;            // canaries: candidate sampling
  int batch_size = 64;          // sequences per forward pass
  void validate() const;
  nlohmann::json to_json() const;
};

struct ProbeResult {
  Probe probe;
  std::vector<std::string> pieces;  // the answer's pieces as tokenized in the text
  double log_prob = 0;              // sum over pieces, jointly masked (natural log)
  double probability = 0;           // exp(log_prob)
  uint64_t rank = 0;                // 1 = the model's first choice; rank_capped: at least this
  bool rank_capped = false;
  bool in_top_k = false;
  std::string predicted;  // the best piece at each masked position, decoded
  std::string error;      // set instead of the scores when the probe cannot be scored
};

struct CanaryResult {
  Canary canary;
  size_t pieces = 0;          // slot pieces scored
  double log_likelihood = 0;  // pseudo-log-likelihood of the secret's pieces (natural log)
  ExposureEstimate exposure;
};

struct AuditReport {
  std::vector<ProbeResult> probes;
  std::vector<CanaryResult> canaries;
  nlohmann::json to_json(int top_k) const;  // the --json / --output report, with inserted/control summaries
};

class Auditor {
 public:
  // The model is put in eval mode; the tokenizer must be the model's.
  Auditor(models::BertLM model, const Tokenizer& tokenizer, AuditOptions options);
  ~Auditor();
  std::vector<ProbeResult> run_probes(const std::vector<Probe>& probes) const;
  std::vector<CanaryResult> run_canaries(const std::vector<Canary>& canaries) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertforge::privacy
