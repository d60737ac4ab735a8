// models/bert.cpp — BERT modules with HF's numerics: post-LN layers, extended attention mask of finfo.min,
// erf GELU by default, dropout only in train mode, MLM loss ignoring -100, optional masked-positions-only
// head.
#include "models/bert.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "models/fused_ops.h"

namespace bertforge::models {

namespace {

// The training path: gradients are being recorded on float/double tensors (not under bf16 autocast). There
// the fused kernels of models/fused_ops.h run; inference (NoGradGuard: fill-mask, evaluate, `model forward`)
// keeps LibTorch's own ops in HF's order, so its numerics are HF's.
bool fused_path(const torch::Tensor& x) {
  return fused::enabled() && torch::GradMode::is_enabled() && !at::autocast::is_cpu_enabled() &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

torch::Tensor maybe_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  if (fused_path(x)) return fused::dropout(x, p, fused::draw_seed());
  return at::dropout(x, p, /*train=*/true);
}

torch::nn::Linear make_linear(int64_t in, int64_t out, bool bias = true) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

torch::nn::LayerNorm make_layer_norm(const BertConfig& c) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps).elementwise_affine(true));
}

// A named container so sub-modules land under HF's dotted names ("encoder.layer", "cls.predictions").
std::shared_ptr<torch::nn::Module> container() {
  return std::make_shared<torch::nn::Module>();
}

}  // namespace

const char* arch_name(BertArch arch) {
  return arch == BertArch::kPreTraining ? "BertForPreTraining" : "BertForMaskedLM";
}

BertArch parse_arch(const std::string& name) {
  if (name == "BertForPreTraining") return BertArch::kPreTraining;
  if (name == "BertForMaskedLM") return BertArch::kMaskedLM;
  throw config_error(
      "arch",
      fmt::format("unknown architecture '{}' (expected BertForPreTraining or BertForMaskedLM)", name));
}

torch::Tensor apply_activation(const std::string& name, const torch::Tensor& x) {
  if (name == "gelu") return at::gelu(x);  // exact erf form, HF's default
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return at::gelu(x, "tanh");
  if (name == "relu") return at::relu(x);
  if (name == "silu" || name == "swish") return at::silu(x);
  if (name == "tanh") return at::tanh(x);
  throw config_error("hidden_act", fmt::format("unknown activation '{}'", name));
}

// ---- embeddings ----

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) : dropout_p(c.hidden_dropout_prob) {
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(
          torch::nn::EmbeddingOptions(c.vocab_size, c.hidden_size).padding_idx(c.pad_token_id)));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings =
      register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& input_ids,
                                          const torch::Tensor& token_type_ids) {
  const int64_t T = input_ids.size(1);
  auto positions = torch::arange(T, input_ids.options().dtype(torch::kLong));
  auto types = token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);
  // Same summation order as HF: (word + token_type) + position.
  auto embeddings = word_embeddings->forward(input_ids) + token_type_embeddings->forward(types);
  embeddings = embeddings + position_embeddings->forward(positions);
  embeddings = LayerNorm->forward(embeddings);
  return maybe_dropout(embeddings, dropout_p, is_training());
}

// ---- attention ----

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c)
    : num_heads(c.num_attention_heads), head_size(c.head_size()), dropout_p(c.attention_probs_dropout_prob) {
  query = register_module("query", make_linear(c.hidden_size, c.hidden_size));
  key = register_module("key", make_linear(c.hidden_size, c.hidden_size));
  value = register_module("value", make_linear(c.hidden_size, c.hidden_size));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                                             const TokenIndex* packed) {
  if (fused_path(hidden)) {
    // One (.., 3H) projection instead of three, the scale, padding mask, softmax and dropout in one pass
    // (fused_ops.h), and with `packed` the projections run on the real tokens only.
    const int64_t H = num_heads * head_size;
    auto qkv = at::linear(hidden, at::cat({query->weight, key->weight, value->weight}),
                          at::cat({query->bias, key->bias, value->bias}));
    int64_t B, T;
    if (packed) {
      B = packed->batch;
      T = packed->seq;
      qkv = at::zeros({B * T, 3 * H}, qkv.options()).index_copy(0, packed->index, qkv);
    } else {
      B = hidden.size(0);
      T = hidden.size(1);
    }
    auto heads = qkv.view({B, T, 3, num_heads, head_size}).permute({2, 0, 3, 1, 4});  // (3,B,heads,T,d)
    auto q = heads.select(0, 0), k = heads.select(0, 1), v = heads.select(0, 2);
    auto scores = at::matmul(q, k.transpose(-1, -2));  // (B,heads,T,T)
    auto mask2d = extended_mask.defined() ? extended_mask.reshape({B, T}) : torch::Tensor();
    const double p = is_training() ? dropout_p : 0.0;
    auto probs = fused::attention_softmax_dropout(scores, mask2d, std::sqrt(static_cast<double>(head_size)),
                                                  p, p > 0 ? fused::draw_seed() : 0);
    auto context = at::matmul(probs, v).permute({0, 2, 1, 3}).reshape({B * T, H});  // (B*T,H)
    if (packed) return context.index_select(0, packed->index);                      // (N,H)
    return context.view({B, T, H});
  }
  const int64_t B = hidden.size(0), T = hidden.size(1);
  // (B,T,H) -> (B,heads,T,d)
  auto split = [&](const torch::Tensor& x) {
    return x.view({B, T, num_heads, head_size}).permute({0, 2, 1, 3});
  };
  auto q = split(query->forward(hidden));
  auto k = split(key->forward(hidden));
  auto v = split(value->forward(hidden));
  // Scores scaled after the product, then the additive mask, as HF does (bit-for-bit the same order).
  auto scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_size));
  if (extended_mask.defined()) scores = scores + extended_mask;
  auto probs = maybe_dropout(at::softmax(scores, -1), dropout_p, is_training());
  auto context = at::matmul(probs, v);  // (B,heads,T,d)
  return context.permute({0, 2, 1, 3}).contiguous().view({B, T, num_heads * head_size});
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in_features, const BertConfig& c)
    : dropout_p(c.hidden_dropout_prob) {
  dense = register_module("dense", make_linear(in_features, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  if (fused_path(x)) {
    const double p = is_training() ? dropout_p : 0.0;
    return fused::dropout_add_layer_norm(dense->forward(x), residual, LayerNorm->weight, LayerNorm->bias,
                                         LayerNorm->options.eps(), p, p > 0 ? fused::draw_seed() : 0);
  }
  auto h = maybe_dropout(dense->forward(x), dropout_p, is_training());
  return LayerNorm->forward(h + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertResidualOutput(c.hidden_size, c));
}

torch::Tensor BertAttentionImpl::forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                                         const TokenIndex* packed) {
  return output->forward(self->forward(hidden, extended_mask, packed), hidden);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig& c) : act(c.hidden_act) {
  dense = register_module("dense", make_linear(c.hidden_size, c.intermediate_size));
}

torch::Tensor BertIntermediateImpl::forward(const torch::Tensor& hidden) {
  return apply_activation(act, dense->forward(hidden));
}

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  attention = register_module("attention", BertAttention(c));
  intermediate = register_module("intermediate", BertIntermediate(c));
  output = register_module("output", BertResidualOutput(c.intermediate_size, c));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& hidden, const torch::Tensor& extended_mask,
                                     const TokenIndex* packed) {
  auto attended = attention->forward(hidden, extended_mask, packed);
  return output->forward(intermediate->forward(attended), attended);
}

BertPoolerImpl::BertPoolerImpl(const BertConfig& c) {
  dense = register_module("dense", make_linear(c.hidden_size, c.hidden_size));
}

torch::Tensor BertPoolerImpl::forward(const torch::Tensor& sequence_output) {
  return at::tanh(dense->forward(sequence_output.select(1, 0)));
}

// ---- BertModel ----

BertModelImpl::BertModelImpl(const BertConfig& c, bool add_pooling_layer) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  auto encoder = register_module("encoder", container());
  layers = torch::nn::ModuleList();
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(BertLayer(c));
  encoder->register_module("layer", layers);
  if (add_pooling_layer) pooler = register_module("pooler", BertPooler(c));
}

torch::Tensor BertModelImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                                     const torch::Tensor& attention_mask, bool drop_padding) {
  auto hidden = embeddings->forward(input_ids, token_type_ids);
  torch::Tensor extended;
  if (attention_mask.defined()) {
    // HF's extended mask: (1 - mask) * finfo(dtype).min, broadcast over heads and query positions.
    auto m = attention_mask.to(hidden.scalar_type()).unsqueeze(1).unsqueeze(2);  // (B,1,1,T)
    extended = (1.0 - m) * static_cast<double>(std::numeric_limits<float>::lowest());
    if (hidden.scalar_type() == torch::kDouble) extended = (1.0 - m) * std::numeric_limits<double>::lowest();
  }
  if (drop_padding && attention_mask.defined() && fused_path(hidden) &&
      attention_mask.min().item<int64_t>() == 0) {
    // Only the real tokens go through the layers, (N,H) with N = tokens in the batch: every row-wise op
    // (projections, feed-forward, LayerNorm, dropout) skips the padding; attention scatters them back into
    // (B,T) blocks. Padding keys get probability exactly 0 either way, so real tokens see the same values.
    const int64_t B = hidden.size(0), T = hidden.size(1), H = hidden.size(2);
    TokenIndex packed{attention_mask.reshape({-1}).nonzero().squeeze(1), B, T};
    auto x = hidden.reshape({B * T, H}).index_select(0, packed.index);
    for (const auto& layer : *layers) x = layer->as<BertLayer>()->forward(x, extended, &packed);
    // Padding positions of the result are 0 (HF computes values there that nothing downstream reads).
    return at::zeros({B * T, H}, x.options()).index_copy(0, packed.index, x).view({B, T, H});
  }
  for (const auto& layer : *layers) hidden = layer->as<BertLayer>()->forward(hidden, extended);
  return hidden;
}

// ---- heads ----

BertLMPredictionHeadImpl::BertLMPredictionHeadImpl(const BertConfig& c) : act(c.hidden_act) {
  auto transform = register_module("transform", container());
  transform_dense = transform->register_module("dense", make_linear(c.hidden_size, c.hidden_size));
  transform_LayerNorm = transform->register_module("LayerNorm", make_layer_norm(c));
  if (!c.tie_word_embeddings)
    decoder = register_module("decoder", make_linear(c.hidden_size, c.vocab_size, false));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
}

torch::Tensor BertLMPredictionHeadImpl::forward(const torch::Tensor& hidden,
                                                const torch::Tensor& decoder_weight) {
  auto h = transform_LayerNorm->forward(apply_activation(act, transform_dense->forward(hidden)));
  return at::linear(h, decoder_weight, bias);
}

BertLMImpl::BertLMImpl(const BertConfig& c, BertArch arch) : config_(c), arch_(arch) {
  config_.validate();
  bert = register_module("bert", BertModel(c, /*add_pooling_layer=*/arch == BertArch::kPreTraining));
  auto cls = register_module("cls", container());
  predictions = cls->register_module("predictions", BertLMPredictionHead(c));
  if (arch == BertArch::kPreTraining)
    seq_relationship = cls->register_module("seq_relationship", make_linear(c.hidden_size, 2));
  if (config_.architectures.empty()) config_.architectures = {arch_name(arch)};
}

torch::Tensor BertLMImpl::decoder_weight() const {
  return predictions->decoder ? predictions->decoder->weight : bert->embeddings->word_embeddings->weight;
}

namespace {

void check_ids(const torch::Tensor& t, const char* name, int64_t limit, const char* key,
               const torch::Tensor& ref) {
  if (!t.defined()) return;
  if (t.dim() != 2 || t.sizes() != ref.sizes())
    throw Error(ErrorKind::kFormat, fmt::format("{}: expected shape [{}, {}], got {}", name, ref.size(0),
                                                ref.size(1), fmt::join(t.sizes().vec(), "x")));
  if (t.numel() == 0) return;
  auto mn = t.min().item<int64_t>(), mx = t.max().item<int64_t>();
  if (mn < 0 || mx >= limit)
    throw Error(ErrorKind::kFormat,
                fmt::format("{}: ids must be in [0, {}) ({} of the model config) but found {}", name, limit,
                            key, mn < 0 ? mn : mx));
}

}  // namespace

BertLMOutput BertLMImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                                 const torch::Tensor& attention_mask, const torch::Tensor& labels,
                                 const torch::Tensor& next_sentence_label, MlmHead mlm_head) {
  if (!input_ids.defined() || input_ids.dim() != 2)
    throw Error(ErrorKind::kFormat, "input_ids: expected a (batch, sequence) tensor");
  if (input_ids.size(1) > config_.max_position_embeddings)
    throw Error(ErrorKind::kFormat,
                fmt::format("input_ids: sequence length {} exceeds max_position_embeddings {}",
                            input_ids.size(1), config_.max_position_embeddings));
  check_ids(input_ids, "input_ids", config_.vocab_size, "vocab_size", input_ids);
  check_ids(token_type_ids, "token_type_ids", config_.type_vocab_size, "type_vocab_size", input_ids);
  check_ids(attention_mask, "attention_mask", 2, "0 or 1", input_ids);
  if (labels.defined() && labels.sizes() != input_ids.sizes())
    throw Error(ErrorKind::kFormat, "labels: expected the shape of input_ids");

  BertLMOutput out;
  // With the masked-only head nothing reads the padding positions' outputs, so the encoder may skip them.
  const bool drop_padding = mlm_head == MlmHead::kMaskedOnly && labels.defined();
  auto sequence_output = bert->forward(input_ids, token_type_ids, attention_mask, drop_padding);  // (B,T,H)
  const int64_t H = config_.hidden_size, V = config_.vocab_size;

  if (mlm_head == MlmHead::kMaskedOnly && labels.defined()) {
    // Only the N labelled positions go through transform + decoder: (N,H) -> (N,V). The mean over them is
    // exactly HF's cross-entropy with ignore_index -100 over all positions.
    auto flat_labels = labels.reshape({-1});
    out.masked_positions = (flat_labels != kIgnoreIndex).nonzero().squeeze(1);
    auto selected = sequence_output.reshape({-1, H}).index_select(0, out.masked_positions);
    out.prediction_logits = predictions->forward(selected, decoder_weight());
    out.mlm_loss =
        at::cross_entropy_loss(out.prediction_logits, flat_labels.index_select(0, out.masked_positions), {},
                               at::Reduction::Mean, kIgnoreIndex);
  } else if (mlm_head != MlmHead::kNone) {
    out.prediction_logits = predictions->forward(sequence_output, decoder_weight());  // (B,T,V)
    if (labels.defined())
      out.mlm_loss = at::cross_entropy_loss(out.prediction_logits.view({-1, V}), labels.reshape({-1}), {},
                                            at::Reduction::Mean, kIgnoreIndex);
  }
  if (has_nsp()) {
    out.seq_relationship_logits = seq_relationship->forward(bert->pooler->forward(sequence_output));  // (B,2)
    if (next_sentence_label.defined())
      out.nsp_loss =
          at::cross_entropy_loss(out.seq_relationship_logits.view({-1, 2}), next_sentence_label.reshape({-1}),
                                 {}, at::Reduction::Mean, kIgnoreIndex);
  }
  if (out.mlm_loss.defined() && out.nsp_loss.defined())
    out.loss = out.mlm_loss + out.nsp_loss;
  else if (out.mlm_loss.defined())
    out.loss = out.mlm_loss;
  else if (out.nsp_loss.defined())
    out.loss = out.nsp_loss;
  return out;
}

void BertLMImpl::init_weights(uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std_dev = config_.initializer_range;
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // Registration order is fixed, so the same seed gives the same weights.
  for (auto& item : named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    auto& p = item.value();
    if (ends_with(name, "LayerNorm.weight")) {
      p.fill_(1.0);
    } else if (ends_with(name, "bias")) {
      p.zero_();
    } else {
      p.normal_(0.0, std_dev, gen);
    }
  }
  bert->embeddings->word_embeddings->weight[config_.pad_token_id].zero_();
}

int64_t BertLMImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, torch::Tensor>> BertLMImpl::state_dict() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

BertLM make_bert(const BertConfig& config, BertArch arch, uint64_t seed) {
  BertLM model(config, arch);
  model->init_weights(seed);
  return model;
}

ParameterCounts count_parameters(const BertLMImpl& model) {
  ParameterCounts c;
  for (const auto& [name, t] : model.state_dict()) {
    const int64_t n = t.numel();
    c.total += n;
    if (name.rfind("bert.embeddings.", 0) == 0)
      c.embeddings += n;
    else if (name.rfind("bert.encoder.", 0) == 0)
      c.encoder += n;
    else if (name.rfind("bert.pooler.", 0) == 0)
      c.pooler += n;
    else
      c.heads += n;
  }
  return c;
}

}  // namespace bertforge::models
