// tools/bertforge/fill_mask.cpp — `bertforge fill-mask`: HF's fill-mask pipeline on any BERT MLM folder
// (bertforge output_dir, checkpoint-<step>/, or a folder saved by transformers with model.safetensors).
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "command.h"
#include "common/error.h"
#include "common/log.h"
#include "corpus/line_reader.h"
#include "io/model_dir.h"
#include "pipelines/fill_mask.h"

namespace bertforge::cli {
namespace {

struct FillMaskArgs {
  std::string model;
  std::string tokenizer;   // default: the model folder
  std::string first_text;  // the first TEXT argument; the others come from CLI11's extras
  std::vector<std::string> texts;
  std::string input;    // one text per line
  std::string targets;  // comma-separated
  std::string device = "cpu";
  bool json = false;
  std::string on_invalid_utf8 = "error";
  int threads = 0;
  pipelines::FillMaskOptions options;
};

void print_table(const pipelines::FillMaskResult& r) {
  std::cout << r.input << "\n";
  if (!r.error.empty()) {
    std::cout << "  error: " << r.error << "\n\n";
    return;
  }
  for (size_t m = 0; m < r.masks.size(); ++m) {
    if (r.masks.size() > 1) std::cout << fmt::format("  [MASK] #{}\n", m + 1);
    std::cout << fmt::format("  {:>2}  {:>7}  {:<14}  {}\n", "#", "score", "token", "sequence");
    int rank = 1;
    for (const auto& c : r.masks[m])
      std::cout << fmt::format("  {:>2}  {:>7.4f}  {:<14}  {}\n", rank++, c.score, c.token_str, c.sequence);
  }
  std::cout << "\n";
}

std::function<void()> setup(CLI::App& app) {
  auto args = std::make_shared<FillMaskArgs>();
  app.add_option("--model", args->model, "Model folder (config.json + model.safetensors)")->required();
  app.add_option("--tokenizer", args->tokenizer,
                 "Tokenizer folder, tokenizer.json or vocab.txt (default: --model)");
  add_option(app, "top_k", args->options.top_k, "Candidates per [MASK]")->check(CLI::PositiveNumber);
  app.add_option("--targets", args->targets, "Comma-separated words: score only these (HF's targets)");
  add_option(app, "batch_size", args->options.batch_size, "Texts per forward pass")
      ->check(CLI::PositiveNumber);
  add_option(app, "on_invalid_utf8", args->on_invalid_utf8,
             "Lines of --input/stdin with invalid UTF-8: error (stop) | replace (U+FFFD) | skip")
      ->check(CLI::IsMember({"error", "replace", "skip"}));
  app.add_option("--input", args->input, "File with one text per line (empty lines are skipped)");
  app.add_flag("--json", args->json, "Print HF's pipeline output as JSON (one line per text)");
  add_option(app, "device", args->device, "cpu, or cuda:N when LibTorch was built with CUDA");
  add_option(app, "threads", args->threads, "Intra-op threads (0 = all cores)");
  // CLI11 reads a vector argument in brackets, "[MASK] [MASK]", as a list "[a,b]" and strips the
  // brackets. So the first text binds to a single-value positional (no list syntax) and the others are
  // taken verbatim from the extras, in order.
  app.add_option("text", args->first_text,
                 "Texts with [MASK] (one or more); without texts or --input: stdin (or a prompt on a "
                 "terminal)")
      ->allow_extra_args(false);
  app.allow_extras();
  add_config_option(app);
  return [args, &app]() {
    if (app.get_option("text")->count() > 0) args->texts.push_back(args->first_text);
    for (const std::string& extra : app.remaining()) {
      if (extra.size() > 1 && extra[0] == '-')
        throw Error(ErrorKind::kUsage, fmt::format("fill-mask: unknown option {} (see --help)", extra));
      args->texts.push_back(extra);
    }
    if (args->device != "cpu") {
      if (args->device.rfind("cuda", 0) != 0)
        throw Error(ErrorKind::kUsage, fmt::format("--device '{}': expected cpu or cuda:N", args->device));
      if (!torch::cuda::is_available())
        throw Error(
            ErrorKind::kUnsupported,
            fmt::format("--device {}: this LibTorch has no CUDA support (Debian's libtorch is CPU-only); "
                        "use --device cpu or build against a CUDA LibTorch",
                        args->device));
      throw Error(ErrorKind::kUnsupported, "--device cuda: fill-mask runs on cpu only in this version");
    }
    if (args->threads > 0) torch::set_num_threads(args->threads);
    for (const auto& t : [&] {
           std::vector<std::string> v;
           std::string cur;
           for (char c : args->targets) {
             if (c == ',') {
               if (!cur.empty()) v.push_back(cur);
               cur.clear();
             } else {
               cur.push_back(c);
             }
           }
           if (!cur.empty()) v.push_back(cur);
           return v;
         }())
      args->options.targets.push_back(t);

    auto t0 = std::chrono::steady_clock::now();
    io::LoadOptions load;
    load.arch = models::BertArch::kMaskedLM;
    load.log_warnings = log_level() <= LogLevel::kDebug;
    models::BertLM model = io::load_pretrained(args->model, load);
    Tokenizer tokenizer = io::load_model_tokenizer(args->model, args->tokenizer);
    pipelines::FillMask pipe(model, tokenizer, args->options);
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log_debug("model and tokenizer loaded in {:.3f} s", load_s);

    bool any_error = false;
    auto answer = [&](const std::vector<std::string>& texts) {
      auto q0 = std::chrono::steady_clock::now();
      auto results = pipe.run(texts);
      double q_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - q0).count();
      log_debug("{} text(s) answered in {:.3f} s", texts.size(), q_s);
      for (const auto& r : results) {
        if (!r.error.empty()) any_error = true;
        if (args->json) {
          std::cout << pipelines::FillMask::to_json(r).dump(-1, ' ', false) << "\n";
        } else {
          print_table(r);
        }
      }
      std::cout.flush();
    };

    if (!args->texts.empty()) {
      answer(args->texts);
    } else if (!args->input.empty() || !isatty(STDIN_FILENO)) {
      std::string path = args->input.empty() ? "/dev/stdin" : args->input;
      LineReaderOptions ro;
      ro.on_invalid_utf8 = parse_invalid_utf8_policy(args->on_invalid_utf8);
      LineReader reader(path, ro);
      std::vector<std::string> batch;
      std::string_view line;
      for (;;) {
        try {
          if (!reader.next(line)) break;
        } catch (const Error&) {
          if (!batch.empty()) answer(batch);  // what came before the bad line is still answered
          throw;
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        batch.emplace_back(line);
        if (batch.size() >= static_cast<size_t>(args->options.batch_size) * 8) {
          answer(batch);
          batch.clear();
        }
      }
      if (!batch.empty()) answer(batch);
      if (reader.skipped_lines() > 0)
        log_warn("{}: skipped {} line(s) with invalid UTF-8 (--on-invalid-utf8 skip)", path,
                 reader.skipped_lines());
    } else {
      std::cerr << "Type a sentence with " << tokenizer.settings().mask_token
                << " (an empty line or Ctrl-D ends).\n";
      std::string line;
      while (true) {
        std::cerr << "> " << std::flush;
        if (!std::getline(std::cin, line) || line.empty()) break;
        answer({line});
      }
    }
    if (any_error) throw Error(ErrorKind::kConfig, "some texts could not be answered (see above)");
  };
}

BERTFORGE_COMMAND("fill-mask", "Fill [MASK] in texts with a trained model (HF's fill-mask pipeline)", setup);

}  // namespace
}  // namespace bertforge::cli
