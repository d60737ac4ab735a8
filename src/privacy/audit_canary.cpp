// privacy/audit_canary.cpp — `bertforge audit canaries --insert`: plants random secrets in a corpus before
// training (see audit.h). Two streaming passes over the corpus: the first counts sentence lines and checks
// that no drawn secret already occurs in it, the second copies it with the canary lines inserted.
// Example (count 1, repeat 2): "a\nb\n\nc\n" -> "a\n제 휴대폰 번호는 010-4821-0937 입니다.\nb\n\n제 휴대폰
// ...\nc\n"
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "corpus/line_reader.h"
#include "privacy/audit.h"

namespace bertforge::privacy {

namespace fs = std::filesystem;

double CanaryTemplate::log2_space() const {
  return digits * std::log2(10.0);
}

CanaryTemplate parse_canary_template(const std::string& text) {
  CanaryTemplate t;
  t.text = text;
  size_t open = text.find('{');
  size_t close = text.find('}');
  auto bad = [&](const std::string& what) {
    return config_error("template",
                        fmt::format("'{}': {} (write the secret as {{...}} with '#' for each random "
                                    "digit, e.g. \"{}\")",
                                    text, what, kDefaultCanaryTemplate));
  };
  if (open == std::string::npos || close == std::string::npos || close < open) throw bad("no {...} slot");
  if (text.find('{', open + 1) != std::string::npos || text.find('}', close + 1) != std::string::npos)
    throw bad("more than one slot");
  if (text.find('\n') != std::string::npos) throw bad("a template is one line");
  t.prefix = text.substr(0, open);
  t.slot_format = text.substr(open + 1, close - open - 1);
  t.suffix = text.substr(close + 1);
  t.digits = static_cast<int>(std::count(t.slot_format.begin(), t.slot_format.end(), '#'));
  // Fewer than 4 digits: too few candidates for a rank to mean anything; more than 18: beyond uint64.
  if (t.digits < 4) throw bad("the slot needs at least 4 '#' digits");
  if (t.digits > 18) throw bad("the slot may hold at most 18 '#' digits");
  return t;
}

void CanaryInsertOptions::validate() const {
  if (count < 1) throw config_error("count", fmt::format("must be >= 1, got {}", count));
  if (repeat < 1) throw config_error("repeat", fmt::format("must be >= 1, got {}", repeat));
  for (const auto& t : templates) parse_canary_template(t);
}

nlohmann::json CanaryInsertOptions::to_json() const {
  return {{"count", count}, {"repeat", repeat}, {"seed", seed}, {"templates", templates}};
}

nlohmann::json canary_to_json(const Canary& c) {
  return {{"id", c.id},
          {"inserted", c.inserted},
          {"repeat", c.repeat},
          {"template", c.template_text},
          {"secret", c.secret},
          {"text", c.text},
          {"template_index", c.template_index}};
}

Canary canary_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(ErrorKind::kFormat, fmt::format("{}: expected a JSON object", where));
  Canary c;
  auto need = [&](const char* key) -> const nlohmann::json& {
    if (!j.contains(key))
      throw Error(ErrorKind::kFormat, fmt::format("{}: missing field '{}' (canary files come from "
                                                  "`bertforge audit canaries --insert`)",
                                                  where, key));
    return j.at(key);
  };
  try {
    c.id = need("id").get<std::string>();
    c.inserted = need("inserted").get<bool>();
    c.template_text = need("template").get<std::string>();
    c.secret = need("secret").get<std::string>();
    c.repeat = j.value("repeat", 0);
    c.template_index = j.value("template_index", 0);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kFormat, fmt::format("{}: {}", where, e.what()));
  }
  CanaryTemplate t = parse_canary_template(c.template_text);
  bool shape_ok = c.secret.size() == t.slot_format.size();
  for (size_t i = 0; shape_ok && i < c.secret.size(); ++i)
    shape_ok = t.slot_format[i] == '#' ? (c.secret[i] >= '0' && c.secret[i] <= '9')
                                       : c.secret[i] == t.slot_format[i];
  if (!shape_ok)
    throw Error(ErrorKind::kFormat,
                fmt::format("{}: secret of canary '{}' does not fit its template's slot {{{}}}", where, c.id,
                            t.slot_format));
  c.text = t.fill(c.secret);
  return c;
}

void write_canary_file(const fs::path& path, const std::vector<Canary>& canaries) {
  std::string out;
  for (const auto& c : canaries) out += canary_to_json(c).dump(-1, ' ', false) + "\n";
  write_file_atomic(path, out);
}

std::vector<Canary> read_canary_file(const fs::path& path) {
  std::vector<Canary> canaries;
  LineReader reader(path);
  std::string_view line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string where = fmt::format("{}:{}", path.string(), reader.line_number());
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::kFormat, fmt::format("{}: not JSON: {}", where, e.what()));
    }
    canaries.push_back(canary_from_json(j, where));
  }
  if (canaries.empty())
    throw Error(ErrorKind::kFormat,
                fmt::format("{}: no canaries (expected one JSON object a line)", path.string()));
  return canaries;
}

std::vector<Canary> insert_canaries(const fs::path& input, const fs::path& output,
                                    const CanaryInsertOptions& options, CanaryInsertStats* stats) {
  options.validate();
  std::vector<CanaryTemplate> templates;
  for (const auto& t : options.templates) templates.push_back(parse_canary_template(t));
  if (templates.empty()) templates.push_back(parse_canary_template(kDefaultCanaryTemplate));
  std::error_code ec;
  if (fs::exists(output, ec) && fs::equivalent(input, output, ec))
    throw config_error("output", "must differ from --corpus (the corpus is read twice)");

  // Secrets: 2*count distinct ones, template i % T for canary i within each half; the first half is planted.
  std::mt19937_64 rng(options.seed);
  const int n = options.count;
  std::vector<Canary> canaries;
  std::set<std::string> used;
  auto draw = [&](int i, bool inserted) {
    Canary c;
    c.template_index = i % static_cast<int>(templates.size());
    const CanaryTemplate& t = templates[c.template_index];
    for (int attempt = 0;; ++attempt) {
      c.secret = random_secret(t.slot_format, rng);
      if (used.insert(std::to_string(c.template_index) + "\t" + c.secret).second) break;
      if (attempt > 1000)
        throw config_error("count", "cannot draw that many distinct secrets from the template");
    }
    c.template_text = t.text;
    c.text = t.fill(c.secret);
    c.inserted = inserted;
    c.repeat = inserted ? options.repeat : 0;
    return c;
  };
  for (int i = 0; i < n; ++i) canaries.push_back(draw(i, true));
  for (int i = 0; i < n; ++i) canaries.push_back(draw(i, false));

  // Pass 1: count sentence lines and documents. A secret already in the corpus would make its canary's
  // exposure meaningless (and a control would then be in the training data): such secrets are redrawn, and
  // the redrawn ones checked by another pass, until none occurs.
  uint64_t lines = 0, documents = 0;
  std::vector<size_t> check(canaries.size());
  for (size_t i = 0; i < check.size(); ++i) check[i] = i;
  for (int round = 0; !check.empty(); ++round) {
    if (round == 64)
      throw config_error("seed", fmt::format("cannot draw secrets absent from {}: its text holds too many "
                                             "numbers of the template's shape; use a template with more '#'",
                                             input.string()));
    std::vector<bool> clash(check.size(), false);
    LineReader reader(input);
    std::string_view line;
    bool in_doc = false;
    lines = documents = 0;
    while (reader.next(line)) {
      bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
      if (blank) {
        in_doc = false;
        continue;
      }
      if (!in_doc) ++documents, in_doc = true;
      ++lines;
      for (size_t k = 0; k < check.size(); ++k)
        if (!clash[k] && line.find(canaries[check[k]].secret) != std::string_view::npos) clash[k] = true;
    }
    if (lines == 0)
      throw Error(ErrorKind::kFormat,
                  fmt::format("{}: no sentence lines to insert canaries among", input.string()));
    std::vector<size_t> again;
    for (size_t k = 0; k < check.size(); ++k) {
      if (!clash[k]) continue;
      size_t i = check[k];
      canaries[i] = draw(static_cast<int>(i % n), canaries[i].inserted);
      again.push_back(i);
    }
    check = std::move(again);
  }

  // Positions: canary line k goes before sentence line pos[k] (0-based among sentence lines).
  std::vector<std::pair<uint64_t, size_t>> positions;  // (line, canary index)
  for (int r = 0; r < options.repeat; ++r)
    for (int i = 0; i < n; ++i) positions.push_back({rng() % lines, static_cast<size_t>(i)});
  std::stable_sort(positions.begin(), positions.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  // Pass 2: copy with insertions.
  AtomicFile out(output);
  {
    LineReader reader(input);
    std::string_view line;
    uint64_t sentence = 0;
    size_t next = 0;
    std::string buf;
    while (reader.next(line)) {
      bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
      if (!blank) {
        while (next < positions.size() && positions[next].first == sentence) {
          buf += canaries[positions[next].second].text;
          buf += '\n';
          ++next;
        }
        ++sentence;
      }
      buf.append(line);
      buf += '\n';
      if (buf.size() > (1u << 20)) out.write(buf), buf.clear();
    }
    out.write(buf);
  }
  out.commit();

  // Ids in a shuffled order, so an id says nothing about inserted or not.
  std::vector<int> order(canaries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  for (size_t i = 0; i < canaries.size(); ++i) canaries[i].id = fmt::format("canary-{:04d}", order[i]);
  std::sort(canaries.begin(), canaries.end(), [](const Canary& a, const Canary& b) { return a.id < b.id; });

  if (stats) {
    stats->input_lines = lines;
    stats->documents = documents;
    stats->inserted_lines = static_cast<uint64_t>(n) * options.repeat;
  }
  return canaries;
}

}  // namespace bertforge::privacy
