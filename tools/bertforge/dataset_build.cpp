// tools/bertforge/dataset_build.cpp — `bertforge dataset build`: corpus.txt + tokenizer -> dataset folder of
// NSP examples (HF's TextDatasetForNextSentencePrediction algorithm), cached under a file lock. See
// docs/dataset.md and src/data/build.h.
#include <fmt/format.h>

#include <memory>

#include "command.h"
#include "common/fs.h"
#include "common/log.h"
#include "data/build.h"
#include "data/tokenizer_vocab.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::cli {
namespace {

struct DatasetBuildCli {
  data::DatasetBuildOptions build;
  std::string tokenizer;  // tokenizer folder, tokenizer.json or vocab.txt
};

// A copy of the tokenizer in DATASET/tokenizer/ (HF folder), so that `pretrain` needs no --tokenizer and the
// dataset says by itself what its ids mean. Also added to a dataset reused from the cache that lacks one. Not
// fatal: the dataset is complete without it (pretrain then asks for --tokenizer).
void keep_tokenizer_copy(const fs::path& dataset_dir, const Tokenizer& tokenizer) {
  fs::path copy = dataset_dir / data::kTokenizerCopyDir;
  try {
    std::error_code ec;
    if (fs::exists(copy / "tokenizer.json", ec) &&
        Tokenizer::load(copy).fingerprint() == tokenizer.fingerprint())
      return;
    build_dir_atomic(copy, /*replace=*/true, [&](const fs::path& tmp) { tokenizer.save(tmp); });
  } catch (const std::exception& e) {
    log_warn("could not keep a copy of the tokenizer in {}: {}", copy.string(), e.what());
  }
}

std::function<void()> setup_dataset_build(CLI::App& app) {
  auto o = std::make_shared<DatasetBuildCli>();
  auto& b = o->build;
  add_option(app, "corpus", b.corpus,
             "corpus.txt files (one sentence per line, blank line between documents)")
      ->required()
      ->expected(1, -1);
  add_option(app, "tokenizer", o->tokenizer, "Tokenizer folder, tokenizer.json or vocab.txt")->required();
  add_option(app, "output", b.output, "Dataset folder (also the cache: reused when inputs match)")
      ->required();
  add_option(app, "block_size", b.nsp.block_size, "Longest example in tokens, [CLS] and [SEP]s included");
  add_option(app, "short_seq_probability", b.nsp.short_seq_probability,
             "Chance that a document aims at a shorter random length");
  add_option(app, "nsp_probability", b.nsp.nsp_probability,
             "Chance that segment B comes from another document");
  add_option(app, "seed", b.nsp.seed, "Random seed: same inputs and seed give the same bytes");
  add_option(app, "dupe_factor", b.nsp.dupe_factor,
             "Passes over the corpus, each with different random choices");
  add_bool(app, "nsp", b.nsp.nsp, "Next-sentence pairs; --no-nsp builds contiguous full blocks for MLM only");
  add_bool(app, "overwrite_cache", b.overwrite_cache, "Rebuild even if the output folder holds a dataset");
  add_option(app, "threads", b.threads, "Tokenization threads (0 = all cores)");
  add_option(app, "on_invalid_utf8", b.on_invalid_utf8,
             "Corpus lines with invalid UTF-8: error | replace | skip")
      ->check(CLI::IsMember({"error", "replace", "skip"}));
  add_config_option(app);
  return [o]() {
    o->build.validate();
    nlohmann::json config = o->build.to_json();
    config["tokenizer"] = o->tokenizer;
    print_effective_config("dataset build", config);
    Tokenizer tokenizer = Tokenizer::load(o->tokenizer);
    data::VocabInfo vocab = data::vocab_info_from_tokenizer(tokenizer);
    data::BuildResult r = data::build_dataset(
        o->build, vocab,
        [&tokenizer](std::string_view text, std::vector<uint32_t>& ids) { tokenizer.encode_ids(text, ids); });
    keep_tokenizer_copy(r.dir, tokenizer);
    const auto& counts = r.metadata.at("counts");
    fmt::print("{} {}: {} examples, {} tokens ({}){}\n", r.reused ? "reused" : "built", r.dir.string(),
               counts.at("examples").get<uint64_t>(), counts.at("tokens").get<uint64_t>(),
               counts.at("nsp").get<bool>() ? "NSP pairs" : "MLM-only blocks",
               r.reused
                   ? ""
                   : fmt::format(", {:.1f} MB of corpus in {:.1f} s", r.corpus_bytes / 1e6, r.total_seconds));
  };
}

}  // namespace

BERTFORGE_COMMAND("dataset build",
                  "Build the pre-training dataset (NSP examples) from corpus.txt and a tokenizer",
                  setup_dataset_build);

}  // namespace bertforge::cli
