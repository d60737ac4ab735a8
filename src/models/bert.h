// models/bert.h — the BERT model in LibTorch: embeddings, post-LN encoder, pooler, MLM and NSP heads, with
// Hugging Face's architecture, numerics and state-dict names
// (bert.encoder.layer.0.attention.self.query.weight, cls.predictions.transform.LayerNorm.weight, ...), so
// model.safetensors needs no rename table. Used by `model init/info/forward`, the trainer (training/) and
// fill-mask (pipelines/).
//
//   input_ids, token_type_ids, attention_mask (B,T) int64
//     -> BertModel -> sequence_output (B,T,H), pooled_output (B,H)
//     -> cls.predictions (MLM) -> prediction_logits (B,T,V)   [or (N,V) at the N masked positions only]
//     -> cls.seq_relationship (NSP) -> seq_relationship_logits (B,2)      [BertForPreTraining only]
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <utility>
#include <vector>

#include "models/bert_config.h"

namespace bertforge::models {

// HF's ignore index: label positions holding it are not predicted (not masked, or padding).
constexpr int64_t kIgnoreIndex = -100;

// Which model class: the seed trains BertForPreTraining and reloads it as BertForMaskedLM.
enum class BertArch { kPreTraining, kMaskedLM };
const char* arch_name(BertArch arch);          // "BertForPreTraining" / "BertForMaskedLM"
BertArch parse_arch(const std::string& name);  // throws config_error("arch") for other names

// Where the MLM head runs.
enum class MlmHead {
  kFull,        // every position: prediction_logits (B,T,V), as HF
  kMaskedOnly,  // only where labels != -100: prediction_logits (N,V); same loss, far fewer FLOPs when V is
                // big. Needs labels; without labels it falls back to kFull.
  kNone,        // skip the MLM head (no prediction_logits, no mlm_loss)
};

// Activation by HF name (ACT2FN): gelu = erf GELU, gelu_new / gelu_pytorch_tanh / gelu_fast = tanh GELU.
torch::Tensor apply_activation(const std::string& name, const torch::Tensor& x);

// word + position + token-type embeddings, LayerNorm, dropout.
class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& config);
  // input_ids (B,T) int64, token_type_ids (B,T) int64 or undefined (= zeros) -> (B,T,H)
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout_p;
};
TORCH_MODULE(BertEmbeddings);

// The real (non-padding) tokens of a (B,T) batch when the encoder runs on them alone: hidden states are then
// (N,H) rows, row i being flattened position index[i] of B*T.
struct TokenIndex {
  torch::Tensor index;  // (N,) int64, increasing
  int64_t batch = 0, seq = 0;
};

class BertSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertConfig& config);
  // hidden (B,T,H), extended_mask (B,1,1,T) float (0 or finfo.min) or undefined -> context (B,T,H);
  // with `packed`: hidden (N,H) -> (N,H) (training path only, see bert.cpp)
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                        const TokenIndex* packed = nullptr);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  int64_t num_heads, head_size;
  double dropout_p;
};
TORCH_MODULE(BertSelfAttention);

// dense -> dropout -> LayerNorm(x + residual): the post-LN residual block of attention and feed-forward.
class BertResidualOutputImpl : public torch::nn::Module {
 public:
  BertResidualOutputImpl(int64_t in_features, const BertConfig& config);
  // x (B,T,in), residual (B,T,H) -> (B,T,H)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);

  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout_p;
};
TORCH_MODULE(BertResidualOutput);

class BertAttentionImpl : public torch::nn::Module {
 public:
  explicit BertAttentionImpl(const BertConfig& config);
  // hidden (B,T,H) or (N,H) with `packed`, extended_mask (B,1,1,T) -> same shape as hidden
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                        const TokenIndex* packed = nullptr);

  BertSelfAttention self{nullptr};  // state-dict name "self", as HF
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

class BertIntermediateImpl : public torch::nn::Module {
 public:
  explicit BertIntermediateImpl(const BertConfig& config);
  // (B,T,H) -> (B,T,I)
  torch::Tensor forward(const torch::Tensor& hidden);

  torch::nn::Linear dense{nullptr};
  std::string act;
};
TORCH_MODULE(BertIntermediate);

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& config);
  // hidden (B,T,H) or (N,H) with `packed`, extended_mask (B,1,1,T) -> same shape as hidden
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                        const TokenIndex* packed = nullptr);

  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

class BertPoolerImpl : public torch::nn::Module {
 public:
  explicit BertPoolerImpl(const BertConfig& config);
  // sequence_output (B,T,H) -> tanh(dense(hidden of [CLS])) (B,H)
  torch::Tensor forward(const torch::Tensor& sequence_output);

  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertPooler);

// HF's BertModel: "embeddings", "encoder.layer.N", optional "pooler".
class BertModelImpl : public torch::nn::Module {
 public:
  BertModelImpl(const BertConfig& config, bool add_pooling_layer);
  // input_ids (B,T), token_type_ids (B,T) or undefined, attention_mask (B,T) 1 = token / 0 = padding or
  // undefined -> sequence_output (B,T,H). drop_padding (honoured on the training path, when there is
  // padding): the layers run on the real tokens only and padding positions of the result are 0 — for
  // callers that never read them (the masked-only MLM head, the pooler's [CLS]).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                        const torch::Tensor& attention_mask, bool drop_padding = false);

  BertEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};  // registered as "encoder" -> "layer"
  BertPooler pooler{nullptr};             // null for BertForMaskedLM
};
TORCH_MODULE(BertModel);

// cls.predictions: transform (dense + act + LayerNorm), then the decoder (tied to the word embeddings) +
// bias.
class BertLMPredictionHeadImpl : public torch::nn::Module {
 public:
  explicit BertLMPredictionHeadImpl(const BertConfig& config);
  // hidden (...,H), decoder_weight (V,H) -> logits (...,V)
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& decoder_weight);

  torch::nn::Linear transform_dense{nullptr};         // "transform.dense"
  torch::nn::LayerNorm transform_LayerNorm{nullptr};  // "transform.LayerNorm"
  torch::nn::Linear decoder{nullptr};  // only when tie_word_embeddings is false ("decoder.weight")
  torch::Tensor bias;                  // "bias" (V)
  std::string act;
};
TORCH_MODULE(BertLMPredictionHead);

// What a forward pass returns; tensors that were not computed are undefined.
struct BertLMOutput {
  torch::Tensor prediction_logits;  // (B,T,V), or (N,V) with MlmHead::kMaskedOnly
  torch::Tensor masked_positions;   // (N,) int64 indices into the flattened (B*T) positions (kMaskedOnly)
  torch::Tensor seq_relationship_logits;  // (B,2), BertForPreTraining only
  torch::Tensor mlm_loss;                 // scalar, when labels were given
  torch::Tensor nsp_loss;                 // scalar, when next_sentence_label was given (BertForPreTraining)
  torch::Tensor loss;                     // mlm_loss + nsp_loss (the ones that were computed)
};

// BertForPreTraining (bert + cls.predictions + cls.seq_relationship + bert.pooler) or BertForMaskedLM
// (bert without pooler + cls.predictions). Both derive from this, so trainer and fill-mask take a BertLM.
class BertLMImpl : public torch::nn::Module {
 public:
  BertLMImpl(const BertConfig& config, BertArch arch);

  // input_ids (B,T) int64; token_type_ids (B,T) or undefined; attention_mask (B,T) (1 token, 0 padding) or
  // undefined; labels (B,T) with -100 where not predicted, or undefined; next_sentence_label (B,) 0 = B
  // follows A, 1 = random, or undefined. Losses are HF's: mean cross-entropy over labels != -100, plus NSP
  // cross-entropy. Ids out of range are errors (not crashes).
  BertLMOutput forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids = {},
                       const torch::Tensor& attention_mask = {}, const torch::Tensor& labels = {},
                       const torch::Tensor& next_sentence_label = {}, MlmHead mlm_head = MlmHead::kFull);

  // HF initialization from `seed`: weights ~ N(0, initializer_range), biases 0, LayerNorm 1/0, padding row 0.
  void init_weights(uint64_t seed);

  // Parameters (the tied decoder weight counted once, like HF's num_parameters()).
  int64_t num_parameters() const;

  // The state dict under HF names, in registration order (parameters; the tied decoder weight is absent).
  std::vector<std::pair<std::string, torch::Tensor>> state_dict() const;

  // The MLM decoder's weight: the word embedding when tied.
  torch::Tensor decoder_weight() const;

  const BertConfig& config() const { return config_; }
  BertArch arch() const { return arch_; }
  bool has_nsp() const { return arch_ == BertArch::kPreTraining; }

  BertModel bert{nullptr};
  BertLMPredictionHead predictions{nullptr};    // "cls.predictions"
  torch::nn::Linear seq_relationship{nullptr};  // "cls.seq_relationship", BertForPreTraining only

 private:
  BertConfig config_;
  BertArch arch_;
};
TORCH_MODULE(BertLM);

class BertForPreTrainingImpl : public BertLMImpl {
 public:
  explicit BertForPreTrainingImpl(const BertConfig& config) : BertLMImpl(config, BertArch::kPreTraining) {}
};
TORCH_MODULE(BertForPreTraining);

class BertForMaskedLMImpl : public BertLMImpl {
 public:
  explicit BertForMaskedLMImpl(const BertConfig& config) : BertLMImpl(config, BertArch::kMaskedLM) {}
};
TORCH_MODULE(BertForMaskedLM);

// A fresh model of `arch`, HF-initialized from `seed` (validates the config first).
BertLM make_bert(const BertConfig& config, BertArch arch, uint64_t seed = 42);

// Parameter counts by part, for `model info`: embeddings, encoder, pooler, heads (cls.*), total.
struct ParameterCounts {
  int64_t embeddings = 0, encoder = 0, pooler = 0, heads = 0, total = 0;
};
ParameterCounts count_parameters(const BertLMImpl& model);

}  // namespace bertforge::models
