// tools/bertforge/tokenizer_train.cpp — `bertforge tokenizer train`: corpus files -> an HF-compatible
// WordPiece tokenizer folder (vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// plus train_config.json and train_report.json), then the sanity report the seed recipe asks for.
// Defaults are those of the seed's BertWordPieceTokenizer(...).train(...), except lowercase (off: Korean).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "text/utf8.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/wordpiece_trainer.h"

namespace bertforge {
namespace {

struct TrainArgs {
  std::string config;  // --config FILE.json
  std::vector<std::string> files;
  std::string output;
  std::string prefix;  // save_model's prefix: NAME-vocab.txt
  std::string strip_accents = "unset";
  std::string on_invalid_utf8 = "error";
  bool overwrite = false;
  WordPieceTrainerOptions options;
};

bool has_hangul_syllable(std::string_view s) {
  size_t i = 0;
  char32_t cp;
  while (i < s.size())
    if (text::utf8_next(s, i, cp) && cp >= 0xAC00 && cp <= 0xD7A3) return true;
  return false;
}
bool is_conjoining_jamo(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xD7B0 && cp <= 0xD7FF);
}

// The sanity report: structure of the vocab, [UNK] rate on a corpus sample, a few tokenized sentences.
nlohmann::json sanity_report(const Tokenizer& tok, const WordPieceTrainResult& r, const WordCounts& wc,
                             const WordPieceTrainerOptions& o, const std::vector<std::string>& sample,
                             double seconds) {
  nlohmann::json rep;
  rep["vocab_size"] = r.vocab.size();
  rep["special_tokens"] = r.num_special;
  rep["alphabet_size"] = r.alphabet_size;
  rep["continuation_tokens"] = r.continuation_size;
  rep["merged_tokens"] = r.vocab.size() - r.num_special - r.alphabet_size - r.continuation_size;
  rep["merges"] = r.merges;
  rep["stopped_by_min_frequency"] = r.stopped_by_min_frequency;
  rep["chars_dropped_by_limit_alphabet"] = r.dropped_chars;
  rep["dropped_char_occurrences"] = r.dropped_char_occurrences;
  rep["corpus_lines"] = wc.lines;
  rep["corpus_bytes"] = wc.bytes;
  rep["skipped_lines"] = wc.skipped_lines;
  rep["word_occurrences"] = wc.total_words;
  rep["distinct_words"] = wc.words.size();
  rep["train_seconds"] = seconds;

  uint64_t tokens = 0, unks = 0;
  const int64_t unk = tok.token_to_id(tok.settings().unk_token);
  const bool has_cls_sep =
      tok.token_to_id(tok.settings().cls_token) >= 0 && tok.token_to_id(tok.settings().sep_token) >= 0;
  std::vector<std::string> encodable;
  if (unk >= 0) {
    encodable = sample;
  } else {
    // Without [UNK], a word with an unseen char cannot be encoded at all: keep the lines that encode.
    for (const auto& s : sample) {
      try {
        tok.encode(s, false);
        encodable.push_back(s);
      } catch (const Error&) {
        ++unks;
      }
    }
  }
  auto encodings = tok.encode_batch(encodable, /*add_special_tokens=*/false, o.threads);
  for (const auto& e : encodings) {
    tokens += e.ids.size();
    for (uint32_t id : e.ids) unks += static_cast<int64_t>(id) == unk;
  }
  rep["sample_lines"] = sample.size();
  rep["sample_tokens"] = tokens;
  rep["sample_unk_tokens"] = unks;
  rep["unk_rate"] = tokens ? static_cast<double>(unks) / static_cast<double>(tokens) : 0.0;

  // A few sentences of reasonable length, spread over the sample.
  nlohmann::json examples = nlohmann::json::array();
  std::vector<size_t> picks;
  for (size_t i = 0; i < sample.size() && picks.size() < 3; i += std::max<size_t>(1, sample.size() / 3)) {
    for (size_t k = i; k < sample.size(); ++k) {
      size_t len = text::utf8_length(sample[k]);
      if (len >= 8 && len <= 100) {
        picks.push_back(k);
        break;
      }
    }
  }
  for (size_t k : picks) {
    Encoding e;
    try {
      e = tok.encode(sample[k], /*add_special_tokens=*/has_cls_sep);
    } catch (const Error&) {
      continue;  // no [UNK] in the vocab and an unseen char
    }
    examples.push_back({{"text", sample[k]}, {"tokens", e.tokens}});
  }
  rep["examples"] = examples;

  bool hangul = false;
  for (const auto& s : sample) hangul = hangul || has_hangul_syllable(s);
  bool jamo = false;
  for (uint32_t id = r.num_special; id < r.num_special + r.alphabet_size; ++id) {
    size_t i = 0;
    char32_t cp;
    if (text::utf8_next(r.vocab[id], i, cp) && is_conjoining_jamo(cp)) jamo = true;
  }
  std::vector<std::string> warnings;
  if (o.normalizer.effective_strip_accents() && (hangul || jamo)) {
    warnings.push_back(
        fmt::format("Hangul was decomposed into jamo: accent stripping is on (strip_accents={}, "
                    "lowercase={}), and its NFD "
                    "splits every Hangul syllable into conjoining jamo, so 이순신 becomes ᄋ ᅵ ᄉ ᅮ ᆫ ... "
                    "For Korean train with "
                    "--no-lowercase --strip-accents false (bertforge's default).",
                    o.normalizer.strip_accents ? (*o.normalizer.strip_accents ? "true" : "false") : "unset",
                    o.normalizer.lowercase ? "true" : "false"));
  }
  double rate = rep["unk_rate"].get<double>();
  if (rate > 0.01) {
    warnings.push_back(fmt::format(
        "[UNK] rate is high: {:.2f}% of the tokens of the corpus sample are [UNK]{}", rate * 100.0,
        r.dropped_chars
            ? fmt::format(" ({} chars were dropped by --limit-alphabet {}; raise it or use 0 for no limit)",
                          r.dropped_chars, o.limit_alphabet)
            : ""));
  }
  if (unk < 0)
    warnings.push_back(fmt::format(
        "the vocab has no {} token: encoding a word with an unseen char fails{} "
        "(--special-tokens)",
        tok.settings().unk_token, unks ? fmt::format(" ({} sample lines could not be encoded)", unks) : ""));
  if (!has_cls_sep)
    warnings.push_back("the vocab has no [CLS]/[SEP]: BERT inputs cannot be built (--special-tokens)");
  rep["warnings"] = warnings;
  return rep;
}

void print_report(const nlohmann::json& rep, const std::string& output) {
  std::string out;
  out += fmt::format("Tokenizer written to {}\n", output);
  out += fmt::format("  vocab size          {}\n", rep["vocab_size"].get<uint64_t>());
  out += fmt::format("    special tokens    {}\n", rep["special_tokens"].get<uint64_t>());
  out += fmt::format("    alphabet          {}\n", rep["alphabet_size"].get<uint64_t>());
  out += fmt::format("    ## single chars   {}\n", rep["continuation_tokens"].get<uint64_t>());
  out += fmt::format("    merged tokens     {} ({} merges{})\n", rep["merged_tokens"].get<uint64_t>(),
                     rep["merges"].get<uint64_t>(),
                     rep["stopped_by_min_frequency"].get<bool>() ? ", stopped by --min-frequency" : "");
  if (rep["chars_dropped_by_limit_alphabet"].get<uint64_t>() > 0)
    out += fmt::format("  chars dropped by --limit-alphabet: {} ({} occurrences)\n",
                       rep["chars_dropped_by_limit_alphabet"].get<uint64_t>(),
                       rep["dropped_char_occurrences"].get<uint64_t>());
  out += fmt::format("  corpus              {} lines, {}, {} words ({} distinct)\n",
                     rep["corpus_lines"].get<uint64_t>(), human_bytes(rep["corpus_bytes"].get<uint64_t>()),
                     rep["word_occurrences"].get<uint64_t>(), rep["distinct_words"].get<uint64_t>());
  if (rep["skipped_lines"].get<uint64_t>() > 0)
    out += fmt::format("  skipped lines (invalid UTF-8): {}\n", rep["skipped_lines"].get<uint64_t>());
  out += fmt::format("  [UNK] rate          {:.3f}% ({} of {} tokens on {} sample lines)\n",
                     rep["unk_rate"].get<double>() * 100.0, rep["sample_unk_tokens"].get<uint64_t>(),
                     rep["sample_tokens"].get<uint64_t>(), rep["sample_lines"].get<uint64_t>());
  out += fmt::format("  training time       {:.2f} s\n", rep["train_seconds"].get<double>());
  for (const auto& ex : rep["examples"]) {
    out += fmt::format("  example: {}\n", ex["text"].get<std::string>());
    std::string toks;
    for (const auto& t : ex["tokens"]) toks += (toks.empty() ? "" : " ") + t.get<std::string>();
    out += fmt::format("        -> {}\n", toks);
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  for (const auto& w : rep["warnings"]) log_warn("{}", w.get<std::string>());
}

void run_train(TrainArgs& a) {
  auto& o = a.options;
  if (a.strip_accents == "true")
    o.normalizer.strip_accents = true;
  else if (a.strip_accents == "false")
    o.normalizer.strip_accents = false;
  else if (a.strip_accents == "unset" || a.strip_accents == "none")
    o.normalizer.strip_accents.reset();
  else
    throw Error(ErrorKind::kUsage,
                fmt::format("--strip-accents: expected true, false or unset, got '{}'", a.strip_accents));
  o.on_invalid_utf8 = parse_invalid_utf8_policy(a.on_invalid_utf8);
  o.validate();
  if (a.output.empty()) throw Error(ErrorKind::kUsage, "--output DIR is required");
  const fs::path output(a.output);
  if (fs::exists(output) && !a.overwrite)
    throw Error(ErrorKind::kUsage,
                fmt::format("{}: already exists (pass --overwrite to replace it)", a.output));
  if (!o.reference_vocab.empty()) require_file(o.reference_vocab, "--reference-vocab");
  // The folder is a BERT tokenizer: tokenizer.json's post-processor and encoding need these three.
  for (const char* needed : {"[UNK]", "[CLS]", "[SEP]"})
    if (std::find(o.special_tokens.begin(), o.special_tokens.end(), needed) == o.special_tokens.end())
      throw Error(
          ErrorKind::kUsage,
          fmt::format(
              "--special-tokens must include {} (a BERT tokenizer folder needs [UNK], [CLS] and [SEP])",
              needed));

  nlohmann::json effective = o.to_json();
  effective["files"] = a.files;
  effective["output"] = a.output;
  effective["prefix"] = a.prefix;
  cli::print_effective_config("tokenizer train", effective);

  std::vector<fs::path> files(a.files.begin(), a.files.end());
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> sample;
  WordCounts wc;
  {
    ProgressBar bar("counting words", 0, "B");
    wc = count_words_in_files(
        files, o,
        [&](uint64_t done, uint64_t total) {
          bar.set_total(total);
          bar.set(done);
        },
        &sample, 2000);
    bar.finish();
  }
  log_info("counted {} words ({} distinct) in {} lines", wc.total_words, wc.words.size(), wc.lines);
  WordPieceTrainer trainer(o);
  WordPieceTrainResult result;
  {
    ProgressBar bar("merging", 0, "tokens");
    result = trainer.train(wc, [&](uint64_t done, uint64_t total) {
      bar.set_total(total);
      bar.set(done);
    });
    bar.finish();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  TokenizerSettings settings;
  settings.normalizer = o.normalizer;
  settings.continuing_subword_prefix = o.wordpieces_prefix;
  settings.special_tokens = o.special_tokens;
  Tokenizer tok = Tokenizer::from_vocab(result.vocab, settings);
  nlohmann::json report = sanity_report(tok, result, wc, o, sample, seconds);

  nlohmann::json config = o.to_json();
  config["files"] = a.files;
  config["prefix"] = a.prefix;
  build_dir_atomic(output, a.overwrite, [&](const fs::path& dir) {
    tok.save(dir, a.prefix);
    write_file_atomic(dir / "train_config.json", config.dump(2) + "\n");
    write_file_atomic(dir / "train_report.json", report.dump(2) + "\n");
  });
  print_report(report, a.output);
}

// --config FILE.json: a flat object of option names (snake_case or kebab-case). Applied after parsing to the
// options not given on the command line (defaults < config < flags). Done here because CLI11 2.1.2 reads
// config files for the top-level app only, not for subcommands.
void apply_json_config(CLI::App& app, const std::string& path, TrainArgs& args) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kUsage, fmt::format("{}: not valid JSON (--config): {}", path, e.what()));
  }
  if (!j.is_object())
    throw Error(ErrorKind::kUsage,
                fmt::format("{}: expected a JSON object of option names (--config)", path));
  for (auto& [key, value] : j.items()) {
    std::string kebab = key;
    std::replace(kebab.begin(), kebab.end(), '_', '-');
    CLI::Option* op = app.get_option_no_throw("--" + kebab);
    if (!op || key == "config")
      throw Error(ErrorKind::kUsage, fmt::format("{}: unknown option '{}' (--config)", path, key));
    if (op->count() > 0 || value.is_null()) continue;  // the command line wins
    std::vector<std::string> inputs;
    auto as_input = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (value.is_array())
      for (const auto& v : value) inputs.push_back(as_input(v));
    else
      inputs.push_back(as_input(value));
    if (inputs.empty()) {  // an empty list: no special tokens / no initial alphabet
      if (kebab == "special-tokens") args.options.special_tokens.clear();
      if (kebab == "initial-alphabet") args.options.initial_alphabet.clear();
      continue;
    }
    op->add_result(inputs);
    op->run_callback();
  }
}

std::function<void()> setup(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto& o = args->options;
  app.add_option("--files", args->files, "Corpus text files (UTF-8, one sentence a line); required");
  app.add_option("-o,--output", args->output, "Output tokenizer folder (written atomically); required");
  cli::add_option(app, "vocab_size", o.vocab_size, "Vocabulary size, special tokens included");
  cli::add_option(app, "min_frequency", o.min_frequency,
                  "Stop merging when the best pair occurs fewer times");
  cli::add_option(app, "limit_alphabet", o.limit_alphabet,
                  "Keep at most this many chars (most frequent); 0 = no limit");
  cli::add_option(app, "initial_alphabet", o.initial_alphabet,
                  "Chars always in the alphabet; as HF, only the first char of each value counts")
      ->expected(0, 4096)
      ->allow_extra_args(false);
  // A bounded count with allow_extra_args(false): CLI11 would otherwise read "[UNK]" as its list syntax
  // and store "UNK".
  cli::add_option(app, "special_tokens", o.special_tokens, "Special tokens, ids 0..k-1 in this order")
      ->expected(0, 4096)
      ->allow_extra_args(false);
  cli::add_option(app, "wordpieces_prefix", o.wordpieces_prefix, "Continuing-subword prefix");
  cli::add_option(app, "prefix", args->prefix,
                  "Name prefix of the vocab file: NAME-vocab.txt (as save_model)");
  cli::add_bool(app, "lowercase", o.normalizer.lowercase,
                "Lowercase (HF's default is on; off keeps Korean intact)");
  cli::add_option(app, "strip_accents", args->strip_accents,
                  "true|false|unset; unset follows --lowercase (HF's rule). On turns Hangul into jamo")
      ->check(CLI::IsMember({"true", "false", "unset", "none"}));
  cli::add_bool(app, "clean_text", o.normalizer.clean_text, "Remove control chars, map whitespace to spaces");
  cli::add_bool(app, "handle_chinese_chars", o.normalizer.handle_chinese_chars,
                "Split CJK ideographs into single chars");
  cli::add_option(app, "threads", o.threads, "Word-counting and encoding threads; 0 = all cores");
  cli::add_option(
      app, "reference_vocab", o.reference_vocab,
      "HF vocab.txt whose ##c order (and kept alphabet) to reproduce, for byte-for-byte comparison");
  cli::add_option(app, "on_invalid_utf8", args->on_invalid_utf8,
                  "error|replace|skip: what to do with invalid UTF-8")
      ->check(CLI::IsMember({"error", "replace", "skip"}));
  cli::add_bool(app, "overwrite", args->overwrite, "Replace an existing output folder");
  app.add_option("--config", args->config,
                 "JSON file with option values (flags given on the command line win)");
  // A scalar given twice (e.g. by a script and then by the user) takes the last value.
  for (CLI::Option* opt : app.get_options())
    if (opt->get_items_expected_max() == 1 && opt->get_expected_max() == 1)
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  CLI::App* self = &app;
  return [args, self]() {
    if (!args->config.empty()) apply_json_config(*self, args->config, *args);
    run_train(*args);
  };
}

BERTFORGE_COMMAND("tokenizer train",
                  "Train a WordPiece tokenizer (HF BertWordPieceTokenizer.train) on corpus files", setup);

}  // namespace
}  // namespace bertforge
