// tools/bertforge/model_init.cpp — `bertforge model init`: a fresh, HF-initialized BERT model folder
// (config.json + model.safetensors) from a BertConfig JSON file, as the seed's BertForPreTraining(config).
#include <fmt/format.h>

#include <memory>
#include <string>

#include "command.h"
#include "common/error.h"
#include "common/log.h"
#include "io/model_dir.h"
#include "models/bert.h"

namespace bertforge::cli {
namespace {

struct ModelInitOptions {
  std::string config;  // BertConfig JSON (HF config.json keys; missing keys = HF defaults)
  std::string output;  // model folder to create
  uint64_t seed = 42;  // seed of the HF initialization
  std::string arch = "BertForPreTraining";  // BertForPreTraining | BertForMaskedLM
  bool overwrite = false;                   // replace an existing output folder

  void validate() const {
    if (config.empty()) throw Error(ErrorKind::kUsage, "--config CONFIG.json is required");
    if (output.empty()) throw Error(ErrorKind::kUsage, "--output DIR is required");
    models::parse_arch(arch);
  }
};

std::function<void()> setup(CLI::App& app) {
  auto o = std::make_shared<ModelInitOptions>();
  add_option(app, "config", o->config,
             "BertConfig JSON (HF config.json keys; missing keys take HF's defaults)")
      ->required();
  add_option(app, "output", o->output, "Model folder to write (config.json + model.safetensors)")->required();
  add_option(app, "seed", o->seed, "Seed of the initialization");
  add_option(app, "arch", o->arch, "BertForPreTraining or BertForMaskedLM");
  add_bool(app, "overwrite", o->overwrite, "Replace an existing output folder");
  return [o]() {
    o->validate();
    models::BertConfig config = models::BertConfig::load(o->config);
    const auto arch = models::parse_arch(o->arch);
    config.architectures = {models::arch_name(arch)};
    print_effective_config(
        "model init",
        {{"config", config.to_json()}, {"output", o->output}, {"seed", o->seed}, {"arch", o->arch}});
    if (std::filesystem::exists(o->output) && !o->overwrite)
      throw Error(ErrorKind::kUsage, fmt::format("{} exists; pass --overwrite to replace it", o->output));
    auto model = models::make_bert(config, arch, o->seed);
    io::save_pretrained(*model, o->output, o->overwrite);
    fmt::print("{}: {} with {} parameters\n", o->output, o->arch, model->num_parameters());
  };
}

}  // namespace

BERTFORGE_COMMAND("model init", "Create an HF-initialized BERT model folder from a config.json", setup);

}  // namespace bertforge::cli
