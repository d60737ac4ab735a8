// tools/bertforge/model_info.cpp — `bertforge model info DIR`: what a model folder holds (config summary,
// parameter counts by part, dtypes), read from config.json and the safetensors header only.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>

#include "command.h"
#include "common/error.h"
#include "common/fs.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "models/bert_config.h"

namespace bertforge::cli {
namespace {

struct ModelInfoOptions {
  std::string model;  // model folder
  bool json = false;  // print one JSON object instead of text
};

std::string part_of(const std::string& name) {
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  if (starts("bert.embeddings.") || starts("embeddings.")) return "embeddings";
  if (starts("bert.encoder.") || starts("encoder.")) return "encoder";
  if (starts("bert.pooler.") || starts("pooler.")) return "pooler";
  if (starts("cls.predictions.")) return "mlm_head";
  if (starts("cls.seq_relationship.")) return "nsp_head";
  return "other";
}

std::function<void()> setup(CLI::App& app) {
  auto o = std::make_shared<ModelInfoOptions>();
  app.add_option("model", o->model, "Model folder (config.json + model.safetensors)")->required();
  add_bool(app, "json", o->json, "Print a JSON object");
  return [o]() {
    const std::filesystem::path dir = o->model;
    auto config = models::BertConfig::load(dir / io::kConfigFile);
    const auto weights = dir / io::kWeightsFile;
    if (!std::filesystem::is_regular_file(weights)) {
      if (std::filesystem::exists(dir / "pytorch_model.bin"))
        throw Error(ErrorKind::kUnsupported,
                    fmt::format("{}: only pytorch_model.bin (pickle) found; bertforge reads "
                                "model.safetensors (see `bertforge model forward --help`)",
                                dir.string()));
      throw io_error(weights.string(), "missing");
    }
    io::SafetensorsReader reader(weights);
    std::map<std::string, int64_t> parts;
    std::map<std::string, int64_t> dtypes;
    int64_t total = 0;
    for (const auto& e : reader.entries()) {
      if (e.name == "bert.embeddings.position_ids") continue;
      // The tied decoder weight, when a file stores it, is the word embedding: count it once.
      if (e.name == "cls.predictions.decoder.weight" && config.tie_word_embeddings) continue;
      parts[part_of(e.name)] += e.numel();
      dtypes[io::dtype_name(e.dtype)] += e.numel();
      total += e.numel();
    }
    nlohmann::json j = {{"model", dir.string()},
                        {"architectures", config.architectures},
                        {"config", config.to_json()},
                        {"parameters", total},
                        {"parameters_by_part", parts},
                        {"dtypes", dtypes},
                        {"tensors", reader.entries().size()},
                        {"file_bytes", std::filesystem::file_size(weights)}};
    if (o->json) {
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("model        {}\n", dir.string());
    fmt::print("architecture {}\n", config.architectures.empty() ? "(none)" : config.architectures[0]);
    fmt::print(
        "shape        vocab {} | hidden {} | layers {} | heads {} | intermediate {} | max positions {} | "
        "type vocab {}\n",
        config.vocab_size, config.hidden_size, config.num_hidden_layers, config.num_attention_heads,
        config.intermediate_size, config.max_position_embeddings, config.type_vocab_size);
    fmt::print("activation   {} | dropout {} / attention {} | layer_norm_eps {} | init std {}\n",
               config.hidden_act, config.hidden_dropout_prob, config.attention_probs_dropout_prob,
               config.layer_norm_eps, config.initializer_range);
    fmt::print("parameters   {} ({:.2f} M)\n", total, total / 1e6);
    for (const char* p : {"embeddings", "encoder", "pooler", "mlm_head", "nsp_head", "other"})
      if (parts.count(p))
        fmt::print("  {:<11}{:>12}  {:5.1f}%\n", p, parts[p], 100.0 * parts[p] / std::max<int64_t>(total, 1));
    for (const auto& [d, n] : dtypes) fmt::print("dtype        {} ({} values)\n", d, n);
    fmt::print("file         {} ({}, {} tensors)\n", weights.string(),
               human_bytes(std::filesystem::file_size(weights)), reader.entries().size());
  };
}

}  // namespace

BERTFORGE_COMMAND("model info", "Show a model folder's config and parameter counts by part", setup);

}  // namespace bertforge::cli
