// privacy/audit_model.cpp — `bertforge audit`: scores probes and canaries with a trained model (see audit.h
// for the method). The forward passes go through pipelines::FillMask::mask_logits, the same code that answers
// `bertforge fill-mask`, so the audit sees exactly what a user of the model would see.
// Example: probe {"text": "민수는 [MASK] 대학교를 졸업했다.", "answer": "한국"} -> rank 3, probability 0.08.
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "corpus/line_reader.h"
#include "pipelines/fill_mask.h"
#include "privacy/audit.h"
#include "text/utf8.h"

namespace bertforge::privacy {

namespace fs = std::filesystem;

void AuditOptions::validate() const {
  if (top_k < 1) throw config_error("top_k", fmt::format("must be >= 1, got {}", top_k));
  if (rank_cap < 1) throw config_error("rank_cap", "must be >= 1");
  if (candidates < 10)
    throw config_error("candidates", fmt::format("must be >= 10 to estimate a rank, got {}", candidates));
  if (batch_size < 1) throw config_error("batch_size", fmt::format("must be >= 1, got {}", batch_size));
}

nlohmann::json AuditOptions::to_json() const {
  return {{"top_k", top_k},
          {"rank_cap", rank_cap},
          {"candidates", candidates},
          {"seed", seed},
          {"batch_size", batch_size}};
}

std::vector<Probe> read_probe_file(const fs::path& path) {
  std::vector<Probe> probes;
  LineReader reader(path);
  std::string_view line;
  while (reader.next(line)) {
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    std::string where = fmt::format("{}:{}", path.string(), reader.line_number());
    Probe p;
    if (line[first] == '{') {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::kFormat, fmt::format("{}: not JSON: {}", where, e.what()));
      }
      auto pick = [&](std::initializer_list<const char*> keys, std::string& out) {
        for (const char* k : keys)
          if (j.contains(k) && j[k].is_string()) {
            out = j[k].get<std::string>();
            return true;
          }
        return false;
      };
      if (!pick({"text", "masked", "template"}, p.text))
        throw Error(ErrorKind::kFormat,
                    fmt::format("{}: no \"text\" string (the sentence with [MASK])", where));
      if (!pick({"answer", "target", "expected"}, p.answer))
        throw Error(ErrorKind::kFormat, fmt::format("{}: no \"answer\" string (the true word)", where));
    } else {
      size_t tab = line.find('\t');
      if (tab == std::string_view::npos)
        throw Error(
            ErrorKind::kFormat,
            fmt::format("{}: expected TEXT<TAB>ANSWER or a JSON object {{\"text\": ..., \"answer\": ...}}",
                        where));
      p.text = std::string(line.substr(0, tab));
      p.answer = std::string(line.substr(tab + 1));
      while (!p.answer.empty() && (p.answer.back() == ' ' || p.answer.back() == '\t')) p.answer.pop_back();
    }
    if (p.answer.empty()) throw Error(ErrorKind::kFormat, fmt::format("{}: empty answer", where));
    probes.push_back(std::move(p));
  }
  if (probes.empty()) throw Error(ErrorKind::kFormat, fmt::format("{}: no probes", path.string()));
  return probes;
}

namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A text with a slot, encoded: the ids with [CLS]/[SEP] and the positions of the tokens that overlap the
// slot's characters.
struct SlotEncoding {
  std::vector<uint32_t> ids;
  std::vector<size_t> slot;  // positions in ids
  std::string error;
};

}  // namespace

struct Auditor::Impl {
  pipelines::FillMask fill;
  const Tokenizer& tokenizer;
  AuditOptions options;
  int64_t max_positions;

  Impl(models::BertLM model, const Tokenizer& tok, const AuditOptions& opts)
      : fill(model, tok,
             [&] {
               pipelines::FillMaskOptions f;
               f.batch_size = opts.batch_size;
               return f;
             }()),
        tokenizer(tok),
        options(opts),
        max_positions(model->config().max_position_embeddings) {}

  SlotEncoding encode_slot(const std::string& prefix, const std::string& value,
                           const std::string& suffix) const {
    SlotEncoding out;
    Encoding enc = tokenizer.encode(prefix + value + suffix, true);
    uint32_t b = static_cast<uint32_t>(text::utf8_length(prefix));
    uint32_t e = b + static_cast<uint32_t>(text::utf8_length(value));
    for (size_t i = 0; i < enc.ids.size(); ++i) {
      if (enc.ids[i] == tokenizer.mask_id()) {
        out.error =
            fmt::format("the text holds another {} besides the slot", tokenizer.settings().mask_token);
        return out;
      }
      if (enc.special_tokens_mask[i]) continue;
      if (enc.offsets[i].first < e && enc.offsets[i].second > b) out.slot.push_back(i);
    }
    if (out.slot.empty()) out.error = "the answer gives no token (empty after normalization?)";
    if (static_cast<int64_t>(enc.ids.size()) > max_positions)
      out.error =
          fmt::format("the text is {} tokens long but the model takes at most {} (max_position_embeddings)",
                      enc.ids.size(), max_positions);
    out.ids = std::move(enc.ids);
    return out;
  }

  // Pseudo-log-likelihood of each slot's pieces: one sequence per piece with that piece masked. Returns the
  // sums in input order (texts with an error get NaN).
  std::vector<double> pll(const std::vector<SlotEncoding>& texts, ProgressBar* bar) const {
    std::vector<double> sums(texts.size(), 0.0);
    struct Job {
      size_t text;
      size_t pos;
    };
    std::vector<Job> jobs;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (!texts[i].error.empty()) {
        sums[i] = std::nan("");
        continue;
      }
      for (size_t p : texts[i].slot) jobs.push_back({i, p});
    }
    const size_t B = static_cast<size_t>(options.batch_size);
    std::vector<std::vector<uint32_t>> seqs;
    for (size_t start = 0; start < jobs.size(); start += B) {
      size_t end = std::min(jobs.size(), start + B);
      seqs.clear();
      std::vector<int64_t> truth;
      for (size_t j = start; j < end; ++j) {
        seqs.push_back(texts[jobs[j].text].ids);
        truth.push_back(seqs.back()[jobs[j].pos]);
        seqs.back()[jobs[j].pos] = tokenizer.mask_id();
      }
      std::vector<const std::vector<uint32_t>*> ptrs;
      for (const auto& s : seqs) ptrs.push_back(&s);
      torch::Tensor logp = torch::log_softmax(fill.mask_logits(ptrs), -1);  // (n,V), one mask per sequence
      torch::Tensor picked = logp.gather(1, torch::tensor(truth, torch::kInt64).unsqueeze(1)).squeeze(1);
      picked = picked.to(torch::kFloat64).contiguous();
      const double* v = picked.data_ptr<double>();
      for (size_t j = start; j < end; ++j) sums[jobs[j].text] += v[j - start];
      if (bar) bar->advance(end - start);
    }
    return sums;
  }
};

Auditor::Auditor(models::BertLM model, const Tokenizer& tokenizer, AuditOptions options) {
  options.validate();
  impl_ = std::make_unique<Impl>(std::move(model), tokenizer, options);
}

Auditor::~Auditor() = default;

std::vector<ProbeResult> Auditor::run_probes(const std::vector<Probe>& probes) const {
  const Impl& im = *impl_;
  const std::string& mask_token = im.tokenizer.settings().mask_token;
  std::vector<ProbeResult> results(probes.size());
  std::vector<SlotEncoding> enc(probes.size());
  std::vector<size_t> ok;
  for (size_t i = 0; i < probes.size(); ++i) {
    results[i].probe = probes[i];
    const std::string& t = probes[i].text;
    size_t at = t.find(mask_token);
    if (at == std::string::npos || t.find(mask_token, at + 1) != std::string::npos) {
      results[i].error = fmt::format("the text needs exactly one {} where the answer goes", mask_token);
      continue;
    }
    enc[i] = im.encode_slot(t.substr(0, at), probes[i].answer, t.substr(at + mask_token.size()));
    if (!enc[i].error.empty()) {
      results[i].error = enc[i].error;
      continue;
    }
    for (size_t p : enc[i].slot) results[i].pieces.push_back(im.tokenizer.id_to_token(enc[i].ids[p]));
    ok.push_back(i);
  }

  ProgressBar bar("audit probes", ok.size(), "probes");
  const size_t B = static_cast<size_t>(im.options.batch_size);
  for (size_t start = 0; start < ok.size(); start += B) {
    size_t end = std::min(ok.size(), start + B);
    std::vector<std::vector<uint32_t>> seqs;
    for (size_t j = start; j < end; ++j) {
      seqs.push_back(enc[ok[j]].ids);
      for (size_t p : enc[ok[j]].slot) seqs.back()[p] = im.tokenizer.mask_id();  // all pieces jointly
    }
    std::vector<const std::vector<uint32_t>*> ptrs;
    for (const auto& s : seqs) ptrs.push_back(&s);
    torch::Tensor logp = torch::log_softmax(im.fill.mask_logits(ptrs), -1).contiguous();  // (rows,V)
    int64_t row = 0;
    for (size_t j = start; j < end; ++j) {
      ProbeResult& r = results[ok[j]];
      const SlotEncoding& e = enc[ok[j]];
      std::vector<std::vector<float>> sorted;
      std::vector<uint32_t> best;
      double total = 0;
      for (size_t p : e.slot) {
        torch::Tensor rowt = logp[row++];
        total += rowt[e.ids[p]].item<double>();
        best.push_back(static_cast<uint32_t>(rowt.argmax().item<int64_t>()));
        torch::Tensor s = std::get<0>(rowt.sort(0, /*descending=*/true)).contiguous();
        sorted.emplace_back(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
      }
      r.log_prob = total;
      r.probability = std::exp(total);
      // Sequences within 1e-6 nats of the answer are ties, not above it (float sums in another order).
      double score = total + 1e-6;
      uint64_t above = count_sequences_above(sorted, score, im.options.rank_cap);
      r.rank_capped = above >= im.options.rank_cap;
      r.rank = above + 1;
      r.in_top_k = !r.rank_capped && r.rank <= static_cast<uint64_t>(im.options.top_k);
      r.predicted = im.tokenizer.decode(best, true);
    }
    bar.advance(end - start);
  }
  return results;
}

std::vector<CanaryResult> Auditor::run_canaries(const std::vector<Canary>& canaries) const {
  const Impl& im = *impl_;
  std::vector<CanaryResult> results(canaries.size());
  // Canaries of one template share their sampled candidates (the text around the slot is the same, so a
  // candidate's score is too): group them.
  std::map<std::string, std::vector<size_t>> by_template;
  for (size_t i = 0; i < canaries.size(); ++i) {
    results[i].canary = canaries[i];
    by_template[canaries[i].template_text].push_back(i);
  }
  ProgressBar bar("audit canaries", 0, "passes");
  for (auto& [text, members] : by_template) {
    CanaryTemplate t = parse_canary_template(text);
    std::set<std::string> secrets;
    for (size_t i : members) secrets.insert(canaries[i].secret);
    // Candidates: uniform over the slot's space, excluding the file's own secrets, from a seed that depends
    // only on --seed and the template (FNV-1a, the same on every platform).
    std::mt19937_64 rng(im.options.seed ^ fnv1a(text));
    std::vector<SlotEncoding> cand;
    while (cand.size() < static_cast<size_t>(im.options.candidates)) {
      std::string s = random_secret(t.slot_format, rng);
      if (secrets.count(s)) continue;
      cand.push_back(im.encode_slot(t.prefix, s, t.suffix));
      if (!cand.back().error.empty())
        throw Error(ErrorKind::kConfig, fmt::format("canary template '{}': {}", text, cand.back().error));
    }
    std::vector<SlotEncoding> own;
    for (size_t i : members) {
      own.push_back(im.encode_slot(t.prefix, canaries[i].secret, t.suffix));
      if (!own.back().error.empty())
        throw Error(ErrorKind::kConfig, fmt::format("canary '{}': {}", canaries[i].id, own.back().error));
    }
    std::vector<double> cand_scores = im.pll(cand, &bar);
    std::vector<double> own_scores = im.pll(own, &bar);
    for (size_t m = 0; m < members.size(); ++m) {
      CanaryResult& r = results[members[m]];
      r.pieces = own[m].slot.size();
      r.log_likelihood = own_scores[m];
      r.exposure = estimate_exposure(own_scores[m], cand_scores, t.log2_space());
    }
  }
  return results;
}

nlohmann::json AuditReport::to_json(int top_k) const {
  nlohmann::json j = nlohmann::json::object();
  if (!probes.empty()) {
    nlohmann::json list = nlohmann::json::array();
    int flagged = 0, scored = 0;
    for (const auto& r : probes) {
      nlohmann::json p = {{"text", r.probe.text}, {"answer", r.probe.answer}};
      if (!r.error.empty()) {
        p["error"] = r.error;
      } else {
        ++scored;
        flagged += r.in_top_k;
        p["pieces"] = r.pieces;
        p["log_prob"] = r.log_prob;
        p["probability"] = r.probability;
        p["rank"] = r.rank;
        p["rank_capped"] = r.rank_capped;
        p["in_top_k"] = r.in_top_k;
        p["predicted"] = r.predicted;
      }
      list.push_back(std::move(p));
    }
    j["probes"] = {{"top_k", top_k}, {"scored", scored}, {"in_top_k", flagged}, {"results", list}};
  }
  if (!canaries.empty()) {
    nlohmann::json list = nlohmann::json::array();
    std::vector<double> ins, ctl, ins_x, ctl_x;
    for (const auto& r : canaries) {
      const auto& e = r.exposure;
      list.push_back({{"id", r.canary.id},
                      {"inserted", r.canary.inserted},
                      {"repeat", r.canary.repeat},
                      {"text", r.canary.text},
                      {"pieces", r.pieces},
                      {"log_likelihood", r.log_likelihood},
                      {"candidates", e.candidates},
                      {"candidates_above", e.above},
                      {"exposure", e.exposure},
                      {"exposure_extrapolated", e.exposure_extrapolated},
                      {"rank_estimate", e.rank_estimate},
                      {"log2_space", e.log2_space}});
      (r.canary.inserted ? ins : ctl).push_back(e.exposure);
      (r.canary.inserted ? ins_x : ctl_x).push_back(e.exposure_extrapolated);
    }
    auto sj = [](const Summary& s) {
      return nlohmann::json{
          {"n", s.n}, {"mean", s.mean}, {"median", s.median}, {"min", s.min}, {"max", s.max}};
    };
    nlohmann::json summary = {
        {"inserted", {{"exposure", sj(summarize(ins))}, {"exposure_extrapolated", sj(summarize(ins_x))}}},
        {"control", {{"exposure", sj(summarize(ctl))}, {"exposure_extrapolated", sj(summarize(ctl_x))}}},
        {"max_exposure", canaries.front().exposure.candidates > 0
                             ? std::log2(static_cast<double>(canaries.front().exposure.candidates) + 1)
                             : 0.0}};
    j["canaries"] = {{"summary", summary}, {"results", list}};
  }
  return j;
}

}  // namespace bertforge::privacy
