// tools/bertforge/scrub.cpp — `bertforge scrub`: mask or pseudonymize personal data in corpus files before
// `tokenizer train` (see docs/privacy.md). The work is in src/privacy/scrub*.cpp; this file binds flags.
#include <fmt/format.h>

#include "command.h"
#include "common/log.h"
#include "privacy/scrub.h"

namespace bertforge::cli {
namespace {

std::function<void()> setup_scrub(CLI::App& app) {
  auto opts = std::make_shared<privacy::ScrubOptions>();
  auto& o = *opts;
  app.add_option("--input,-i", o.input, "Corpus file(s) to scrub, concatenated in order")
      ->required()
      ->expected(1, -1);
  add_option(app, "output", o.output, "Scrubbed corpus (written atomically)")->required();
  add_option(app, "report", o.report, "JSON report: counts per type and per file (never the values)");
  add_option(app, "types", o.types, "Types to scrub: email,phone,rrn,frn,card,ip,url,terms")->delimiter(',');
  add_option(app, "mode", o.mode, "mask ([EMAIL], [PHONE], ...) or pseudonymize (consistent fake values)")
      ->check(CLI::IsMember({"mask", "pseudonymize"}));
  add_option(app, "terms", o.terms, "File of names/terms to scrub as [NAME], one per line (enables 'terms')");
  add_option(app, "seed", o.seed,
             "Key of the pseudonym hash; keep it secret (with it, fakes can be traced back)");
  add_option(app, "threads", o.threads, "Worker threads (0 = all cores)");
  add_option(app, "on_invalid_utf8", o.on_invalid_utf8, "Lines with invalid UTF-8: error | replace | skip")
      ->check(CLI::IsMember({"error", "replace", "skip"}));
  add_option(app, "chunk_bytes", o.chunk_bytes, "Bytes of lines per parallel work unit");
  add_bool(app, "overwrite", o.overwrite, "Replace an existing --output / --report");
  add_config_option(app);
  return [opts]() {
    auto& o = *opts;
    print_effective_config("scrub", nlohmann::json(o));
    if (o.mode == "pseudonymize" && o.seed == 0)
      log_warn(
          "pseudonymize with the default --seed 0: anyone can recompute the fake of a guessed value; "
          "pass a secret --seed to make the fakes unlinkable");
    privacy::ScrubReport r = privacy::run_scrub(o);
    std::string found;
    for (size_t i = 0; i < privacy::kNumPiiTypes; ++i) {
      if (r.counts.by_type[i] == 0) continue;
      if (!found.empty()) found += ", ";
      found +=
          fmt::format("{} {}", privacy::pii_type_name(static_cast<privacy::PiiType>(i)), r.counts.by_type[i]);
    }
    fmt::print("scrubbed {} lines ({:.1f} MB) in {:.2f} s ({:.1f} MB/s, {} threads): {} -> {}\n", r.lines,
               r.bytes / 1e6, r.seconds, r.seconds > 0 ? r.bytes / 1e6 / r.seconds : 0.0, r.threads,
               found.empty() ? std::string("nothing found") : found, o.output);
    if (r.skipped_lines)
      log_warn("{} lines with invalid UTF-8 were skipped (--on-invalid-utf8 skip)", r.skipped_lines);
  };
}

BERTFORGE_COMMAND("scrub",
                  "Mask or pseudonymize personal data (e-mail, phone, RRN, card, IP, names) in a corpus",
                  setup_scrub);

}  // namespace
}  // namespace bertforge::cli
