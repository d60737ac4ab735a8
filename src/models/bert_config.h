// models/bert_config.h — BertConfig: the hyper-parameters of a BERT model, with Hugging Face's key names and
// defaults, read from and written to a model folder's config.json. Sits between the user's config file
// (`bertforge model init --config`, `pretrain`) and the modules in models/bert.h. No LibTorch here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bertforge::models {

// HF's BertConfig (transformers.BertConfig) field for field; defaults are HF's (bert-base-uncased shapes).
struct BertConfig {
  int64_t vocab_size = 30522;        // rows of the word embedding and of the MLM decoder
  int64_t hidden_size = 768;         // width of every hidden state
  int64_t num_hidden_layers = 12;    // encoder layers
  int64_t num_attention_heads = 12;  // heads per layer; must divide hidden_size
  int64_t intermediate_size = 3072;  // width of the feed-forward layer
  std::string hidden_act = "gelu";   // gelu (erf), gelu_new / gelu_pytorch_tanh (tanh), relu, silu/swish
  double hidden_dropout_prob = 0.1;  // dropout on embeddings and sub-layer outputs (train mode only)
  double attention_probs_dropout_prob = 0.1;         // dropout on attention probabilities (train mode only)
  int64_t max_position_embeddings = 512;             // longest sequence the position embedding covers
  int64_t type_vocab_size = 2;                       // segment ids (token_type_ids) 0..type_vocab_size-1
  double initializer_range = 0.02;                   // std of the normal init of weights
  double layer_norm_eps = 1e-12;                     // epsilon of every LayerNorm
  int64_t pad_token_id = 0;                          // word-embedding row kept at zero by init
  std::string position_embedding_type = "absolute";  // only "absolute"; relative kinds are refused
  bool use_cache = true;                             // decoder-only option, kept for HF compatibility
  std::optional<double> classifier_dropout;  // HF key for downstream heads; null = hidden_dropout_prob
  bool tie_word_embeddings = true;           // MLM decoder weight shares the word embedding (HF default)
  std::vector<std::string> architectures;    // e.g. ["BertForPreTraining"]; written by save_pretrained
  std::string torch_dtype = "float32";       // dtype of the saved weights, as HF writes it

  // Keys of a config.json that bertforge does not use (from HF or elsewhere): kept and written back.
  nlohmann::json extra = nlohmann::json::object();

  // Throws config_error naming the key for impossible values (sizes <= 0, hidden_size % heads, ...).
  void validate() const;

  // Every HF key plus model_type "bert", architectures and the kept unknown keys (sorted, like HF).
  nlohmann::json to_json() const;
  // Missing keys take the defaults above; wrong types are config errors naming the key (and `source`).
  static BertConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");

  // config.json files: load validates; save writes atomically with HF's layout (indent 2, newline).
  static BertConfig load(const std::filesystem::path& path);
  void save(const std::filesystem::path& path) const;

  int64_t head_size() const { return hidden_size / num_attention_heads; }
};

}  // namespace bertforge::models
