// tools/bertforge/dataset_inspect.cpp — `bertforge dataset inspect DIR`: counts, NSP balance, length
// histogram and the first examples (decoded with --tokenizer, optionally masked as the trainer would with
// --mask), or one JSON line per example with --json. The seed's way to look at masks was
// tokenizer.decode(data_collator(examples)['input_ids'][0]); this shows the same thing.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <optional>

#include "command.h"
#include "common/fs.h"
#include "common/log.h"
#include "data/format.h"
#include "data/masking.h"
#include "data/stats.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::cli {
namespace {

struct DatasetInspectOptions {
  std::string dir;
  std::string tokenizer;  // decode examples with it (optional)
  int64_t num = 5;        // examples to show (0 = none, -1 = all)
  uint64_t start = 0;     // first example shown
  bool mask = false;      // show examples masked as the trainer would
  uint64_t seed = 42;     // masking seed
  uint64_t epoch = 0;     // masking epoch
  double mlm_probability = 0.15;
  bool whole_word_mask = false;
  bool json = false;   // one JSON line per example on stdout (no summary)
  bool verify = true;  // verify the payload checksum on open
};

std::function<void()> setup_dataset_inspect(CLI::App& app) {
  auto o = std::make_shared<DatasetInspectOptions>();
  app.add_option("dir", o->dir, "Dataset folder")->required();
  add_option(app, "tokenizer", o->tokenizer, "Tokenizer to decode examples with (else ids are shown)");
  add_option(app, "num", o->num, "Examples to show (-1 = all)");
  add_option(app, "start", o->start, "Index of the first example shown");
  add_bool(app, "mask", o->mask, "Show examples with MLM masking applied (as the trainer's batches)");
  add_option(app, "seed", o->seed, "Masking seed (--mask)");
  add_option(app, "epoch", o->epoch, "Masking epoch (--mask)");
  add_option(app, "mlm_probability", o->mlm_probability, "Masking probability (--mask)");
  add_bool(app, "whole_word_mask", o->whole_word_mask, "Whole-word masking (--mask)");
  add_bool(app, "json", o->json, "One JSON object per example on stdout instead of the summary");
  add_bool(app, "verify", o->verify, "Verify the checksum of the whole file when opening");
  add_config_option(app);
  return [o]() {
    data::Dataset ds(o->dir, data::OpenOptions{o->verify});
    std::optional<Tokenizer> tok;
    if (!o->tokenizer.empty()) {
      tok.emplace(Tokenizer::load(o->tokenizer));
      if (tok->fingerprint() != ds.vocab().fingerprint)
        log_warn("the tokenizer {} is not the one the dataset was built with (fingerprint {} vs {})",
                 o->tokenizer, tok->fingerprint(), ds.vocab().fingerprint);
    }
    std::unique_ptr<data::Masker> masker;
    if (o->mask) {
      data::MaskingOptions m;
      m.seed = o->seed;
      m.mlm_probability = o->mlm_probability;
      m.whole_word_mask = o->whole_word_mask;
      masker = std::make_unique<data::Masker>(ds.vocab(), m);
    }
    if (!o->json) {
      fmt::print("dataset {} ({}, format version {}, uint{} ids)\n", ds.file().string(),
                 human_bytes(ds.file_size()), data::kFormatVersion, ds.token_width() * 8);
      fmt::print("built with: {}\n", ds.metadata().value("build", nlohmann::json::object()).dump());
      fmt::print("{}", data::dataset_stats(ds).to_text());
      if (ds.num_tokens() > 0)
        fmt::print("bytes per stored token: {:.2f}\n", static_cast<double>(ds.file_size()) / ds.num_tokens());
    }
    uint64_t end =
        o->num < 0 ? ds.size() : std::min<uint64_t>(ds.size(), o->start + static_cast<uint64_t>(o->num));
    std::vector<int64_t> ids, types, labels;
    for (uint64_t i = o->start; i < end; ++i) {
      ds.assemble(i, ids, types);
      labels.assign(ids.size(), data::kIgnoreIndex);
      if (masker) masker->apply(o->epoch, i, ids.data(), labels.data(), ids.size());
      int label = ds.example(i).label;
      if (o->json) {
        nlohmann::json j = {{"input_ids", ids}, {"token_type_ids", types}};
        if (label != data::kNoNspLabel) j["next_sentence_label"] = label;
        if (masker) j["labels"] = labels;
        fmt::print("{}\n", j.dump());
        continue;
      }
      fmt::print("\nexample {} (length {}, next_sentence_label {}):\n", i, ids.size(),
                 label == data::kNoNspLabel ? std::string("none") : std::to_string(label));
      if (tok) {
        std::vector<uint32_t> u(ids.begin(), ids.end());
        fmt::print("  {}\n", tok->decode(u, false));
        if (masker) {
          std::vector<std::string> targets;
          for (size_t k = 0; k < labels.size(); ++k)
            if (labels[k] != data::kIgnoreIndex)
              targets.push_back(fmt::format("{}:{}", k, tok->id_to_token(static_cast<uint32_t>(labels[k]))));
          fmt::print("  labels: {}\n", fmt::join(targets, " "));
        }
      } else {
        fmt::print("  input_ids: {}\n  token_type_ids: {}\n", fmt::join(ids, " "), fmt::join(types, " "));
        if (masker) fmt::print("  labels: {}\n", fmt::join(labels, " "));
      }
    }
  };
}

}  // namespace

BERTFORGE_COMMAND("dataset inspect", "Show counts, NSP balance, lengths and examples of a built dataset",
                  setup_dataset_inspect);

}  // namespace bertforge::cli
