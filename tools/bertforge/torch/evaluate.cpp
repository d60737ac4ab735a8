// tools/bertforge/evaluate.cpp — `bertforge evaluate`: masked-LM (and NSP) accuracy of a model folder on a
// dataset built by `dataset build`, next to the accuracy of always guessing the most frequent token. The
// demo runs it on documents held out from training.
#include <fmt/format.h>
#include <torch/torch.h>

#include <iostream>

#include "command.h"
#include "common/log.h"
#include "data/format.h"
#include "io/model_dir.h"
#include "pipelines/evaluate.h"

namespace bertforge::cli {
namespace {

struct EvaluateArgs {
  std::string model;
  std::string dataset;
  bool json = false;
  int threads = 0;
  pipelines::EvaluateOptions options;
};

std::function<void()> setup(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  app.add_option("--model", args->model, "Model folder (config.json + model.safetensors)")->required();
  app.add_option("--dataset", args->dataset, "Dataset folder made by `bertforge dataset build`")->required();
  add_option(app, "batch_size", args->options.batch_size, "Examples per forward pass");
  add_option(app, "max_examples", args->options.max_examples,
             "Evaluate at most this many examples (0 = all)");
  add_option(app, "seed", args->options.seed, "Masking seed (the same seed gives the same masks)");
  add_option(app, "mlm_probability", args->options.masking.mlm_probability, "Share of tokens masked");
  add_option(app, "threads", args->threads, "Intra-op threads (0 = all cores)");
  app.add_flag("--json", args->json, "Print the figures as one JSON object");
  add_config_option(app);
  return [args]() {
    if (args->threads > 0) torch::set_num_threads(args->threads);
    io::LoadOptions load;
    load.log_warnings = log_level() <= LogLevel::kDebug;
    models::BertLM model = io::load_pretrained(args->model, load);
    data::Dataset dataset(args->dataset);
    auto r = pipelines::evaluate(*model, dataset, args->options);
    if (args->json) {
      std::cout << r.to_json().dump() << "\n";
      return;
    }
    std::cout << fmt::format("examples           {}\n", r.examples);
    std::cout << fmt::format("masked tokens      {}\n", r.masked_tokens);
    std::cout << fmt::format("loss               {:.4f}\n", r.loss);
    std::cout << fmt::format("MLM accuracy       {:.2f}%\n", 100 * r.mlm_accuracy);
    std::cout << fmt::format("baseline accuracy  {:.2f}%  (always the most frequent masked token, id {})\n",
                             100 * r.baseline_accuracy, r.baseline_token);
    if (r.nsp_accuracy >= 0)
      std::cout << fmt::format("NSP accuracy       {:.2f}%  (chance: 50%)\n", 100 * r.nsp_accuracy);
    if (r.masked_tokens > 0)
      std::cout << (r.mlm_accuracy > r.baseline_accuracy
                        ? fmt::format("=> the model beats the baseline by {:.1f} points\n",
                                      100 * (r.mlm_accuracy - r.baseline_accuracy))
                        : std::string("=> the model does not beat the baseline yet: train longer\n"));
  };
}

BERTFORGE_COMMAND("evaluate",
                  "MLM/NSP accuracy of a model on a dataset, against a most-frequent-token baseline", setup);

}  // namespace
}  // namespace bertforge::cli
