// io/model_dir.cpp — HF model folder save/load for BERT (see model_dir.h for the rules).
#include "io/model_dir.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "io/safetensors.h"

namespace bertforge::io {

namespace fs = std::filesystem;
using models::BertArch;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Parameters a folder may lack: HF initializes them fresh (BertForMaskedLM folders have no pooler/NSP head).
bool optional_key(const std::string& name) {
  return starts_with(name, "bert.pooler.") || starts_with(name, "cls.seq_relationship.");
}

// The tensors of a folder: one model.safetensors or the shards named by model.safetensors.index.json.
class FolderTensors {
 public:
  explicit FolderTensors(const fs::path& dir) {
    const fs::path single = dir / kWeightsFile, index = dir / kShardIndexFile;
    if (fs::is_regular_file(single)) {
      readers_.push_back(std::make_unique<SafetensorsReader>(single));
    } else if (fs::is_regular_file(index)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(read_file(index));
      } catch (const nlohmann::json::exception& e) {
        throw format_error(index.string(), 0, fmt::format("not valid JSON: {}", e.what()));
      }
      if (!j.contains("weight_map") || !j["weight_map"].is_object())
        throw format_error(index.string(), 0, "missing \"weight_map\" object");
      std::set<std::string> files;
      for (auto& [name, file] : j["weight_map"].items()) {
        if (!file.is_string())
          throw format_error(index.string(), 0, fmt::format("weight_map['{}'] is not a file name", name));
        const std::string f = file.get<std::string>();
        if (f.find('/') != std::string::npos || f.find("..") != std::string::npos)
          throw format_error(index.string(), 0,
                             fmt::format("weight_map['{}'] = '{}' leaves the folder", name, f));
        files.insert(f);
      }
      for (const auto& f : files) readers_.push_back(std::make_unique<SafetensorsReader>(dir / f));
    } else if (fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json")) {
      throw Error(
          ErrorKind::kUnsupported,
          fmt::format(
              "{}: only pytorch_model.bin was found. bertforge does not load pickle files: unpickling "
              "can run arbitrary code from the file. Convert the folder to safetensors with "
              "transformers in Python (model = AutoModelForPreTraining.from_pretrained(dir); "
              "model.save_pretrained(dir, safe_serialization=True)), which writes model.safetensors",
              dir.string()));
    } else {
      throw io_error(dir.string(),
                     fmt::format("no {} (or {}) in the model folder", kWeightsFile, kShardIndexFile));
    }
    for (const auto& r : readers_)
      for (const auto& e : r->entries()) {
        if (where_.count(e.name))
          throw Error(ErrorKind::kFormat,
                      fmt::format("{}: tensor '{}' appears in two shards", dir.string(), e.name));
        where_[e.name] = r.get();
      }
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, r] : where_) out.push_back(name);
    return out;
  }
  const SafetensorsReader* reader(const std::string& name) const {
    auto it = where_.find(name);
    return it == where_.end() ? nullptr : it->second;
  }

 private:
  std::vector<std::unique_ptr<SafetensorsReader>> readers_;
  std::map<std::string, const SafetensorsReader*> where_;
};

}  // namespace

LoadReport load_weights(models::BertLMImpl& model, const fs::path& dir, const LoadOptions& options) {
  LoadReport report;
  report.arch = models::arch_name(model.arch());
  FolderTensors files(dir);

  // Map file names to model names: a bare BertModel folder has no "bert." prefix; HF's older files carry
  // cls.predictions.decoder.bias (the same tensor as cls.predictions.bias) and the position_ids buffer.
  auto all = files.names();
  bool bare = true;
  for (const auto& n : all)
    if (starts_with(n, "bert.")) bare = false;
  std::map<std::string, std::string> file_name_of;  // model name -> name in the file
  std::vector<std::string> leftovers;
  for (const auto& n : all) {
    std::string m = n;
    if (bare && (starts_with(n, "embeddings.") || starts_with(n, "encoder.") || starts_with(n, "pooler.")))
      m = "bert." + n;
    if (m == "bert.embeddings.position_ids") continue;  // a constant buffer older HF versions saved
    if (m == "cls.predictions.decoder.bias") {
      if (files.reader("cls.predictions.bias")) continue;
      m = "cls.predictions.bias";
    }
    file_name_of[m] = n;
  }

  auto state = model.state_dict();
  std::set<std::string> model_names;
  for (const auto& [name, t] : state) model_names.insert(name);
  std::vector<std::string> to_init;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, param] : state) {
      auto it = file_name_of.find(name);
      if (it == file_name_of.end()) {
        if (!optional_key(name))
          throw Error(
              ErrorKind::kFormat,
              fmt::format("{}: required tensor '{}' is missing from the model folder", dir.string(), name));
        report.missing_keys.push_back(name);
        to_init.push_back(name);
        continue;
      }
      const SafetensorsReader* r = files.reader(it->second);
      const TensorEntry* e = r->find(it->second);
      if (e->shape != param.sizes().vec())
        throw Error(
            ErrorKind::kFormat,
            fmt::format("{}: tensor '{}' has shape [{}] but the config needs [{}]", r->path().string(),
                        it->second, fmt::join(e->shape, ", "), fmt::join(param.sizes().vec(), ", ")));
      if (e->dtype != StDtype::kF32) report.converted_keys.push_back(name);
      param.copy_(r->tensor_f32(it->second));
    }
    // Parameters the folder lacks get HF's init from the seed (as from_pretrained does), reported.
    if (!to_init.empty()) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(options.init_seed);
      for (auto& [name, param] : state) {
        if (std::find(to_init.begin(), to_init.end(), name) == to_init.end()) continue;
        if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
          param.zero_();
        else
          param.normal_(0.0, model.config().initializer_range, gen);
        report.newly_initialized.push_back(name);
      }
    }
  }

  for (const auto& [m, n] : file_name_of) {
    if (model_names.count(m)) continue;
    if (m == "cls.predictions.decoder.weight" && model.config().tie_word_embeddings) {
      // Tied: the decoder is the word embedding. Loading keeps the embedding, as HF's tie_weights() does.
      continue;
    }
    report.unexpected_keys.push_back(n);
  }

  if (options.log_warnings) {
    if (!report.unexpected_keys.empty())
      log_warn(
          "{}: some weights of the folder were not used by {} (expected when loading a BertForPreTraining "
          "folder as BertForMaskedLM): {}",
          dir.string(), report.arch, fmt::join(report.unexpected_keys, ", "));
    if (!report.newly_initialized.empty())
      log_warn("{}: some weights of {} were not in the folder and are newly initialized: {}", dir.string(),
               report.arch, fmt::join(report.newly_initialized, ", "));
  }
  return report;
}

models::BertLM load_pretrained(const fs::path& dir, const LoadOptions& options, LoadReport* report) {
  if (!fs::is_directory(dir)) throw io_error(dir.string(), "model folder not found (or not a folder)");
  const fs::path config_path = dir / kConfigFile;
  if (!fs::is_regular_file(config_path))
    throw io_error(config_path.string(),
                   "missing: a model folder needs config.json next to model.safetensors");
  models::BertConfig config = models::BertConfig::load(config_path);

  BertArch arch = BertArch::kPreTraining;
  if (options.arch) {
    arch = *options.arch;
  } else if (!config.architectures.empty() && (config.architectures[0] == "BertForPreTraining" ||
                                               config.architectures[0] == "BertForMaskedLM")) {
    arch = models::parse_arch(config.architectures[0]);
  }
  // The built model names its own class, as HF's from_pretrained does when saving again.
  config.architectures = {models::arch_name(arch)};
  models::BertLM model(config, arch);
  LoadReport r = load_weights(*model, dir, options);
  model->eval();
  if (report) *report = std::move(r);
  return model;
}

void write_model_files(const models::BertLMImpl& model, const fs::path& dir) {
  models::BertConfig config = model.config();
  config.architectures = {models::arch_name(model.arch())};
  config.torch_dtype = "float32";
  config.save(dir / kConfigFile);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, t] : model.state_dict()) tensors.emplace_back(name, t.detach().to(torch::kFloat));
  write_safetensors(dir / kWeightsFile, tensors, {{"format", "pt"}});
}

void save_pretrained(const models::BertLMImpl& model, const fs::path& dir, bool replace) {
  build_dir_atomic(dir, replace, [&](const fs::path& tmp) { write_model_files(model, tmp); });
}

Tokenizer load_model_tokenizer(const fs::path& model_dir, const std::string& tokenizer_path) {
  if (!tokenizer_path.empty()) return Tokenizer::load(tokenizer_path);
  try {
    return Tokenizer::load(model_dir.string());
  } catch (const Error& e) {
    throw Error(e.kind(),
                fmt::format("{} (the model folder has no tokenizer: pass --tokenizer PATH)", e.what()));
  }
}

}  // namespace bertforge::io
