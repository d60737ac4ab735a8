// io/model_dir.h — Hugging Face model folders: config.json + model.safetensors, written by save_pretrained
// and read by load_pretrained with HF's rules (tied decoder weight stored once and optional on load, a
// BertForPreTraining folder loads as BertForMaskedLM by dropping the NSP head, missing/unexpected keys
// reported). The trainer's checkpoints and the final model are such folders; fill-mask and audit read them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "models/bert.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::io {

inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kWeightsFile = "model.safetensors";
inline constexpr const char* kShardIndexFile = "model.safetensors.index.json";

// What load_pretrained did with the file's tensors, like HF's loading warnings.
struct LoadReport {
  std::vector<std::string> missing_keys;       // expected but absent (only optional ones, else it throws)
  std::vector<std::string> newly_initialized;  // missing optional parameters, HF-initialized from the seed
  std::vector<std::string> unexpected_keys;    // in the file but not in the model (e.g. NSP head -> MaskedLM)
  std::vector<std::string> converted_keys;     // stored as F16/BF16/F64, converted to float32
  std::string arch;                            // the architecture that was built
};

struct LoadOptions {
  std::optional<models::BertArch>
      arch;                  // unset: config.json's architectures[0] (BertForPreTraining if absent)
  uint64_t init_seed = 42;   // seed for parameters the folder lacks (pooler / NSP head)
  bool log_warnings = true;  // log missing/unexpected keys (HF prints the same warnings)
};

// Loads an HF BERT folder. Errors: no config.json, only pytorch_model.bin (pickle: refused, with how to
// convert), a required tensor missing (embeddings, encoder, MLM head), a shape mismatch, a corrupt file.
models::BertLM load_pretrained(const std::filesystem::path& dir, const LoadOptions& options = {},
                               LoadReport* report = nullptr);

// The tokenizer that goes with a model folder: `tokenizer_path` when given, else the folder's own tokenizer
// files; a folder without them is an error that says to pass --tokenizer.
Tokenizer load_model_tokenizer(const std::filesystem::path& model_dir, const std::string& tokenizer_path);

// Copies the tensors of model.safetensors (or a sharded index) in `dir` into an existing model of the same
// config, with the rules of load_pretrained. The trainer uses it to resume from a checkpoint.
LoadReport load_weights(models::BertLMImpl& model, const std::filesystem::path& dir,
                        const LoadOptions& options = {});

// Writes config.json (architectures = the model's class, torch_dtype float32) and model.safetensors
// (metadata {"format": "pt"}, F32, decoder weight not stored when tied) into an existing folder `dir`.
// Use it inside your own atomic folder build (checkpoints); same model -> same bytes.
void write_model_files(const models::BertLMImpl& model, const std::filesystem::path& dir);

// save_pretrained: builds `dir` atomically (temp folder + rename); an existing `dir` is replaced only when
// `replace` is true.
void save_pretrained(const models::BertLMImpl& model, const std::filesystem::path& dir, bool replace = true);

}  // namespace bertforge::io
