// models/bert_config.cpp — BertConfig validation and config.json round trip (HF key names and defaults).
#include "models/bert_config.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "common/error.h"
#include "common/fs.h"

namespace bertforge::models {

namespace {

const std::set<std::string>& known_activations() {
  static const std::set<std::string> acts = {
      "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh"};
  return acts;
}

// Reads j[key] into `out` when present; a wrong JSON type is an error naming the key and the file.
template <typename T>
void read_key(const nlohmann::json& j, const char* key, T& out, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  bool ok = false;
  if constexpr (std::is_same_v<T, std::string>) {
    ok = it->is_string();
  } else if constexpr (std::is_same_v<T, bool>) {
    ok = it->is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    // HF writes integers; accept 12.0 too (some tools write floats), but never 12.5.
    // The range test comes first: converting a double outside int64 (1e300) is undefined behaviour.
    // An unsigned integer above INT64_MAX would wrap to a negative value: refused as not a count.
    const bool float_int = it->is_number_float() && std::abs(it->get<double>()) < 9.2e18 &&
                           it->get<double>() == std::trunc(it->get<double>());
    ok = (it->is_number_integer() &&
          !(it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) ||
         float_int;
    if (ok) {
      out = it->is_number_integer() ? it->get<T>() : static_cast<T>(it->get<double>());
      return;
    }
  } else {
    ok = it->is_number();
  }
  if (!ok)
    throw config_error(key, fmt::format("{}: expected a {} but found {}", source,
                                        std::is_same_v<T, std::string> ? "string"
                                        : std::is_same_v<T, bool>      ? "boolean"
                                                                       : "number",
                                        it->dump()));
  out = it->get<T>();
}

const std::set<std::string>& handled_keys() {
  static const std::set<std::string> keys = {"vocab_size",
                                             "hidden_size",
                                             "num_hidden_layers",
                                             "num_attention_heads",
                                             "intermediate_size",
                                             "hidden_act",
                                             "hidden_dropout_prob",
                                             "attention_probs_dropout_prob",
                                             "max_position_embeddings",
                                             "type_vocab_size",
                                             "initializer_range",
                                             "layer_norm_eps",
                                             "pad_token_id",
                                             "position_embedding_type",
                                             "use_cache",
                                             "classifier_dropout",
                                             "tie_word_embeddings",
                                             "architectures",
                                             "torch_dtype",
                                             "model_type"};
  return keys;
}

}  // namespace

void BertConfig::validate() const {
  auto positive = [](const char* key, int64_t v) {
    if (v <= 0) throw config_error(key, fmt::format("must be > 0, got {}", v));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("intermediate_size", intermediate_size);
  positive("max_position_embeddings", max_position_embeddings);
  positive("type_vocab_size", type_vocab_size);
  if (hidden_size % num_attention_heads != 0)
    throw config_error("hidden_size",
                       fmt::format("hidden_size ({}) is not a multiple of num_attention_heads ({})",
                                   hidden_size, num_attention_heads));
  if (!known_activations().count(hidden_act))
    throw config_error("hidden_act", fmt::format("unknown activation '{}' (supported: gelu, gelu_new, "
                                                 "gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh)",
                                                 hidden_act));
  auto probability = [](const char* key, double p) {
    if (!(p >= 0.0 && p < 1.0)) throw config_error(key, fmt::format("must be in [0, 1), got {}", p));
  };
  probability("hidden_dropout_prob", hidden_dropout_prob);
  probability("attention_probs_dropout_prob", attention_probs_dropout_prob);
  if (classifier_dropout) probability("classifier_dropout", *classifier_dropout);
  if (!(initializer_range >= 0.0))
    throw config_error("initializer_range", fmt::format("must be >= 0, got {}", initializer_range));
  if (!(layer_norm_eps > 0.0))
    throw config_error("layer_norm_eps", fmt::format("must be > 0, got {}", layer_norm_eps));
  if (pad_token_id < 0 || pad_token_id >= vocab_size)
    throw config_error("pad_token_id",
                       fmt::format("must be in [0, vocab_size={}), got {}", vocab_size, pad_token_id));
  if (position_embedding_type != "absolute")
    throw Error(
        ErrorKind::kUnsupported,
        fmt::format("option 'position_embedding_type': '{}' is not supported; bertforge implements the "
                    "\"absolute\" position embeddings of BERT (relative_key / relative_key_query are not "
                    "implemented)",
                    position_embedding_type));
  if (torch_dtype != "float32" && torch_dtype != "float16" && torch_dtype != "bfloat16")
    throw config_error("torch_dtype",
                       fmt::format("expected float32, float16 or bfloat16, got '{}'", torch_dtype));
}

nlohmann::json BertConfig::to_json() const {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["architectures"] = architectures;
  j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  j["classifier_dropout"] =
      classifier_dropout ? nlohmann::json(*classifier_dropout) : nlohmann::json(nullptr);
  j["hidden_act"] = hidden_act;
  j["hidden_dropout_prob"] = hidden_dropout_prob;
  j["hidden_size"] = hidden_size;
  j["initializer_range"] = initializer_range;
  j["intermediate_size"] = intermediate_size;
  j["layer_norm_eps"] = layer_norm_eps;
  j["max_position_embeddings"] = max_position_embeddings;
  j["model_type"] = "bert";
  j["num_attention_heads"] = num_attention_heads;
  j["num_hidden_layers"] = num_hidden_layers;
  j["pad_token_id"] = pad_token_id;
  j["position_embedding_type"] = position_embedding_type;
  // HF writes tie_word_embeddings only when it differs from its default (true).
  if (!tie_word_embeddings) j["tie_word_embeddings"] = false;
  j["torch_dtype"] = torch_dtype;
  j["type_vocab_size"] = type_vocab_size;
  j["use_cache"] = use_cache;
  j["vocab_size"] = vocab_size;
  return j;  // nlohmann::json objects keep keys sorted, as HF's to_json_string(sort_keys=True)
}

BertConfig BertConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(ErrorKind::kConfig, fmt::format("{}: expected a JSON object", source));
  BertConfig c;
  if (auto it = j.find("model_type"); it != j.end() && it->is_string() && it->get<std::string>() != "bert")
    throw Error(ErrorKind::kUnsupported,
                fmt::format("{}: model_type is '{}', bertforge reads BERT models (model_type \"bert\")",
                            source, it->get<std::string>()));
  read_key(j, "vocab_size", c.vocab_size, source);
  read_key(j, "hidden_size", c.hidden_size, source);
  read_key(j, "num_hidden_layers", c.num_hidden_layers, source);
  read_key(j, "num_attention_heads", c.num_attention_heads, source);
  read_key(j, "intermediate_size", c.intermediate_size, source);
  read_key(j, "hidden_act", c.hidden_act, source);
  read_key(j, "hidden_dropout_prob", c.hidden_dropout_prob, source);
  read_key(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, source);
  read_key(j, "max_position_embeddings", c.max_position_embeddings, source);
  read_key(j, "type_vocab_size", c.type_vocab_size, source);
  read_key(j, "initializer_range", c.initializer_range, source);
  read_key(j, "layer_norm_eps", c.layer_norm_eps, source);
  read_key(j, "pad_token_id", c.pad_token_id, source);
  read_key(j, "position_embedding_type", c.position_embedding_type, source);
  read_key(j, "use_cache", c.use_cache, source);
  read_key(j, "tie_word_embeddings", c.tie_word_embeddings, source);
  read_key(j, "torch_dtype", c.torch_dtype, source);
  if (auto it = j.find("classifier_dropout"); it != j.end() && !it->is_null()) {
    double p = 0;
    read_key(j, "classifier_dropout", p, source);
    c.classifier_dropout = p;
  }
  if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw config_error("architectures", source + ": expected a list of strings");
    for (const auto& a : *it) {
      if (!a.is_string()) throw config_error("architectures", source + ": expected a list of strings");
      c.architectures.push_back(a.get<std::string>());
    }
  }
  for (const auto& [key, value] : j.items())
    if (!handled_keys().count(key)) c.extra[key] = value;
  return c;
}

BertConfig BertConfig::load(const std::filesystem::path& path) {
  std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw format_error(path.string(), 0, fmt::format("not valid JSON: {}", e.what()));
  }
  BertConfig c = from_json(j, path.string());
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", path.string(), e.what()));
  }
  return c;
}

void BertConfig::save(const std::filesystem::path& path) const {
  write_file_atomic(path, to_json().dump(2) + "\n");
}

}  // namespace bertforge::models
