// tools/bertforge/torch/audit.cpp — `bertforge audit` (what a trained model remembers: probes and canary
// exposure) and `bertforge audit canaries --insert` (plant canaries in a corpus before training). See
// src/privacy/audit.h for the method and docs/privacy.md for the guide.
#include <fmt/format.h>
#include <torch/torch.h>

#include <iostream>

#include "command.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "io/model_dir.h"
#include "privacy/audit.h"

namespace bertforge::cli {
namespace {

struct AuditArgs {
  std::string model;
  std::string tokenizer;  // default: the model folder
  std::string probes;
  std::string canaries;
  std::string output;  // report.json
  bool json = false;
  int threads = 0;
  privacy::AuditOptions options;
};

struct InsertArgs {
  bool insert = false;
  std::string corpus;
  std::string output;
  std::string canary_list;  // default: <output>.canaries.jsonl
  privacy::CanaryInsertOptions options;
};

void print_text(const privacy::AuditReport& report, int top_k) {
  if (!report.probes.empty()) {
    int flagged = 0;
    std::cout << fmt::format("Probes (answer rank by the model; * = within the top {}):\n", top_k);
    std::cout << fmt::format("  {:>1} {:>8}  {:>9}  {:<16} {:<16} {}\n", "", "rank", "prob", "answer",
                             "predicted", "text");
    for (const auto& r : report.probes) {
      if (!r.error.empty()) {
        std::cout << fmt::format("  error: {}  ({})\n", r.error, r.probe.text);
        continue;
      }
      flagged += r.in_top_k;
      std::string rank = r.rank_capped ? fmt::format(">{}", r.rank - 1) : std::to_string(r.rank);
      std::cout << fmt::format("  {:>1} {:>8}  {:>9.3g}  {:<16} {:<16} {}\n", r.in_top_k ? "*" : "", rank,
                               r.probability, r.probe.answer, r.predicted, r.probe.text);
    }
    std::cout << fmt::format("  {} of {} answers within the top {}\n\n", flagged, report.probes.size(),
                             top_k);
  }
  if (!report.canaries.empty()) {
    std::cout << "Canaries (exposure in bits; higher = better remembered):\n";
    std::cout << fmt::format("  {:<12} {:<8} {:>6} {:>9} {:>9} {:>12}  {}\n", "id", "kind", "pieces",
                             "exposure", "extrap.", "log-lik", "text");
    for (const auto& r : report.canaries)
      std::cout << fmt::format("  {:<12} {:<8} {:>6} {:>9.2f} {:>9.2f} {:>12.3f}  {}\n", r.canary.id,
                               r.canary.inserted ? "inserted" : "control", r.pieces, r.exposure.exposure,
                               r.exposure.exposure_extrapolated, r.log_likelihood, r.canary.text);
    auto j = report.to_json(top_k)["canaries"]["summary"];
    for (const char* kind : {"inserted", "control"}) {
      const auto& s = j[kind];
      if (s["exposure"]["n"].get<size_t>() == 0) continue;
      std::cout << fmt::format(
          "  {:<8} n={:<4} exposure mean {:.2f} median {:.2f}   extrapolated mean {:.2f} "
          "median {:.2f}\n",
          kind, s["exposure"]["n"].get<size_t>(), s["exposure"]["mean"].get<double>(),
          s["exposure"]["median"].get<double>(), s["exposure_extrapolated"]["mean"].get<double>(),
          s["exposure_extrapolated"]["median"].get<double>());
    }
    std::cout << fmt::format(
        "  (sampled exposure resolves up to {:.2f} bits; a secret the model never saw "
        "averages about 1.44)\n",
        j["max_exposure"].get<double>());
  }
}

std::function<void()> setup(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  auto ins = std::make_shared<InsertArgs>();
  app.require_subcommand(0, 1);
  app.add_option("--model", args->model, "Model folder (config.json + model.safetensors)");
  app.add_option("--tokenizer", args->tokenizer,
                 "Tokenizer folder, tokenizer.json or vocab.txt (default: --model)");
  app.add_option(
      "--probes", args->probes,
      "Probe file: JSON Lines {\"text\": \"... [MASK] ...\", \"answer\": \"...\"} or TEXT<TAB>ANSWER");
  app.add_option("--canaries", args->canaries, "Canary list from `bertforge audit canaries --insert`");
  add_option(app, "top_k", args->options.top_k, "Probes: flag answers ranked within the top K");
  add_option(app, "rank_cap", args->options.rank_cap, "Probes: count a multi-piece answer's rank up to this");
  add_option(app, "candidates", args->options.candidates,
             "Canaries: random candidate secrets sampled per template to estimate ranks");
  add_option(app, "seed", args->options.seed, "Canaries: seed of the candidate sampling");
  add_option(app, "batch_size", args->options.batch_size, "Sequences per forward pass");
  app.add_flag("--json", args->json, "Print the report as JSON instead of tables");
  app.add_option("--output", args->output, "Also write the JSON report to this file");
  add_option(app, "threads", args->threads, "Intra-op threads (0 = all cores)");
  add_config_option(app);

  CLI::App* can =
      app.add_subcommand("canaries", "Plant random secrets (canaries) in a corpus before training");
  can->add_flag("--insert", ins->insert,
                "Insert canaries into --corpus, writing --output and the canary list");
  can->add_option("--corpus", ins->corpus, "Corpus to plant canaries in (one sentence a line)");
  can->add_option("--output", ins->output, "Corpus with the canaries");
  can->add_option(
      "--canary-list,--canary_list", ins->canary_list,
      "Canary list (JSON Lines; default: <output>.canaries.jsonl); keep it away from training data");
  add_option(*can, "count", ins->options.count, "Secrets to plant (and as many never-planted controls)");
  add_option(*can, "repeat", ins->options.repeat, "Times each planted secret appears in the corpus");
  add_option(*can, "seed", ins->options.seed, "Seed of secrets and positions");
  can->add_option("--template", ins->options.templates,
                  fmt::format("Sentence with the secret slot in braces, '#' = random digit (repeatable; "
                              "default: \"{}\")",
                              privacy::kDefaultCanaryTemplate));
  add_config_option(*can);

  return [args, ins, can]() {
    if (can->parsed()) {
      if (!ins->insert) throw Error(ErrorKind::kUsage, "audit canaries: pass --insert (the only action)");
      if (ins->corpus.empty())
        throw Error(ErrorKind::kUsage, "audit canaries --insert: --corpus FILE is required");
      if (ins->output.empty())
        throw Error(ErrorKind::kUsage, "audit canaries --insert: --output FILE is required");
      std::string list = ins->canary_list.empty() ? ins->output + ".canaries.jsonl" : ins->canary_list;
      print_effective_config("audit canaries", ins->options.to_json());
      privacy::CanaryInsertStats stats;
      auto canaries = privacy::insert_canaries(ins->corpus, ins->output, ins->options, &stats);
      privacy::write_canary_file(list, canaries);
      log_info(
          "planted {} secrets x {} = {} lines among {} sentence lines of {} documents; {} controls never "
          "planted",
          ins->options.count, ins->options.repeat, stats.inserted_lines, stats.input_lines, stats.documents,
          ins->options.count);
      std::cout << fmt::format("corpus with canaries: {}\ncanary list: {}\n", ins->output, list);
      return;
    }
    if (args->model.empty()) throw Error(ErrorKind::kUsage, "audit: --model DIR is required");
    if (args->probes.empty() && args->canaries.empty())
      throw Error(ErrorKind::kUsage, "audit: nothing to measure: pass --probes FILE and/or --canaries FILE");
    if (args->threads > 0) torch::set_num_threads(args->threads);
    args->options.validate();
    print_effective_config("audit", args->options.to_json());
    // Read the inputs first: a bad file fails before the model loads.
    std::vector<privacy::Probe> probes;
    std::vector<privacy::Canary> canaries;
    if (!args->probes.empty()) probes = privacy::read_probe_file(args->probes);
    if (!args->canaries.empty()) canaries = privacy::read_canary_file(args->canaries);

    io::LoadOptions load;
    load.arch = models::BertArch::kMaskedLM;
    load.log_warnings = log_level() <= LogLevel::kDebug;
    models::BertLM model = io::load_pretrained(args->model, load);
    Tokenizer tokenizer = io::load_model_tokenizer(args->model, args->tokenizer);
    privacy::Auditor auditor(model, tokenizer, args->options);
    privacy::AuditReport report;
    if (!probes.empty()) report.probes = auditor.run_probes(probes);
    if (!canaries.empty()) report.canaries = auditor.run_canaries(canaries);
    nlohmann::json j = report.to_json(args->options.top_k);
    j["model"] = args->model;
    j["options"] = args->options.to_json();
    if (!args->output.empty()) write_file_atomic(args->output, j.dump(2) + "\n");
    if (args->json)
      std::cout << j.dump(2) << "\n";
    else
      print_text(report, args->options.top_k);
  };
}

BERTFORGE_COMMAND("audit", "Measure what a trained model remembers: [MASK] probes and canary exposure",
                  setup);

}  // namespace
}  // namespace bertforge::cli
