// tools/bertforge/model_forward.cpp — `bertforge model forward`: run a model folder on a batch given as JSON
// and write the outputs (logits, losses, optionally gradients) to a safetensors file, in eval mode. For
// comparing with other frameworks (the tests compare with a plain-PyTorch reference through it).
//
//   in.json: {"input_ids": [[101, 7, 102, 0]], "token_type_ids": [[0,0,0,0]], "attention_mask": [[1,1,1,0]],
//             "labels": [[-100, 7, -100, -100]], "next_sentence_label": [0]}
//   out.safetensors: prediction_logits (B,T,V) F32, seq_relationship_logits (B,2), loss, mlm_loss, nsp_loss
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "command.h"
#include "common/error.h"
#include "common/fs.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "models/bert.h"

namespace bertforge::cli {
namespace {

struct ModelForwardOptions {
  std::string model;              // model folder
  std::string input;              // batch JSON
  std::string output;             // output .safetensors
  std::string arch;               // override the folder's architecture (BertForPreTraining | BertForMaskedLM)
  std::string mlm_head = "full";  // full | masked-only (logits only where labels != -100)
  bool with_grads = false;        // backward of `loss`; write grad.<parameter name> tensors too
  int threads = 0;                // intra-op threads (0 = LibTorch default)
};

// A JSON list of lists of integers -> (B,T) int64; ragged rows and non-integers are errors naming the key.
torch::Tensor read_matrix(const nlohmann::json& j, const std::string& key, const std::string& file) {
  const auto& v = j.at(key);
  if (!v.is_array() || v.empty())
    throw format_error(file, 0, fmt::format("'{}' must be a non-empty list of lists", key));
  const size_t T = v[0].is_array() ? v[0].size() : 0;
  if (T == 0) throw format_error(file, 0, fmt::format("'{}' rows must be non-empty lists", key));
  auto t = torch::empty({static_cast<int64_t>(v.size()), static_cast<int64_t>(T)}, torch::kLong);
  auto acc = t.accessor<int64_t, 2>();
  for (size_t b = 0; b < v.size(); ++b) {
    if (!v[b].is_array() || v[b].size() != T)
      throw format_error(file, 0,
                         fmt::format("'{}' row {} has a different length than row 0 ({})", key, b, T));
    for (size_t i = 0; i < T; ++i) {
      if (!v[b][i].is_number_integer())
        throw format_error(file, 0, fmt::format("'{}'[{}][{}] is not an integer", key, b, i));
      acc[b][i] = v[b][i].get<int64_t>();
    }
  }
  return t;
}

std::function<void()> setup(CLI::App& app) {
  auto o = std::make_shared<ModelForwardOptions>();
  add_option(app, "model", o->model, "Model folder (config.json + model.safetensors)")->required();
  add_option(app, "input", o->input,
             "Batch JSON: input_ids, token_type_ids, attention_mask, labels, "
             "next_sentence_label")
      ->required();
  add_option(app, "output", o->output, "Output .safetensors file")->required();
  add_option(app, "arch", o->arch, "Load as BertForPreTraining or BertForMaskedLM (default: the folder's)");
  add_option(app, "mlm_head", o->mlm_head, "full | masked-only (MLM logits only where labels != -100)");
  add_bool(app, "with_grads", o->with_grads, "Backward of loss; write grad.<name> for every parameter");
  add_option(app, "threads", o->threads, "Intra-op threads (0 = LibTorch's default)");
  return [o]() {
    if (o->mlm_head != "full" && o->mlm_head != "masked-only")
      throw Error(ErrorKind::kUsage, "--mlm-head must be full or masked-only");
    if (o->threads > 0) at::set_num_threads(o->threads);
    io::LoadOptions load;
    if (!o->arch.empty()) load.arch = models::parse_arch(o->arch);
    auto model = io::load_pretrained(o->model, load);
    model->eval();

    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(o->input));
    } catch (const nlohmann::json::parse_error& e) {
      throw format_error(o->input, 0, fmt::format("not valid JSON: {}", e.what()));
    }
    if (!j.is_object() || !j.contains("input_ids"))
      throw format_error(o->input, 0, "expected an object with at least \"input_ids\"");
    auto ids = read_matrix(j, "input_ids", o->input);
    torch::Tensor types, mask, labels, nsp;
    if (j.contains("token_type_ids")) types = read_matrix(j, "token_type_ids", o->input);
    if (j.contains("attention_mask")) mask = read_matrix(j, "attention_mask", o->input);
    if (j.contains("labels")) labels = read_matrix(j, "labels", o->input);
    if (j.contains("next_sentence_label")) {
      const auto& v = j["next_sentence_label"];
      if (!v.is_array() || v.size() != static_cast<size_t>(ids.size(0)))
        throw format_error(o->input, 0, "'next_sentence_label' must be a list with one 0/1 per row");
      nsp = torch::empty({ids.size(0)}, torch::kLong);
      for (size_t b = 0; b < v.size(); ++b) {
        if (!v[b].is_number_integer() || v[b].get<int64_t>() < 0 || v[b].get<int64_t>() > 1)
          throw format_error(o->input, 0, fmt::format("next_sentence_label[{}] must be 0 or 1", b));
        nsp[b] = v[b].get<int64_t>();
      }
    }
    if (labels.defined()) {
      const int64_t V = model->config().vocab_size;
      auto bad = (labels != models::kIgnoreIndex) & ((labels < 0) | (labels >= V));
      if (bad.any().item<bool>())
        throw format_error(o->input, 0, fmt::format("labels must be -100 or in [0, {})", V));
    }

    const auto head = o->mlm_head == "full" ? models::MlmHead::kFull : models::MlmHead::kMaskedOnly;
    std::unique_ptr<torch::NoGradGuard> no_grad;
    if (!o->with_grads) no_grad = std::make_unique<torch::NoGradGuard>();
    auto out = model->forward(ids, types, mask, labels, nsp, head);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    auto put = [&](const char* name, const torch::Tensor& t) {
      if (t.defined()) tensors.emplace_back(name, t.detach().contiguous());
    };
    put("prediction_logits", out.prediction_logits);
    put("masked_positions", out.masked_positions);
    put("seq_relationship_logits", out.seq_relationship_logits);
    put("loss", out.loss);
    put("mlm_loss", out.mlm_loss);
    put("nsp_loss", out.nsp_loss);
    if (o->with_grads) {
      if (!out.loss.defined())
        throw Error(ErrorKind::kUsage, "--with-grads needs labels and/or next_sentence_label");
      out.loss.backward();
      for (const auto& [name, p] : model->state_dict())
        if (p.grad().defined()) tensors.emplace_back("grad." + name, p.grad().detach().contiguous());
    }
    io::write_safetensors(o->output, tensors);
    if (out.loss.defined()) fmt::print("loss {:.6f}\n", out.loss.item<double>());
    if (out.mlm_loss.defined()) fmt::print("mlm_loss {:.6f}\n", out.mlm_loss.item<double>());
    if (out.nsp_loss.defined()) fmt::print("nsp_loss {:.6f}\n", out.nsp_loss.item<double>());
    fmt::print("wrote {} tensors to {}\n", tensors.size(), o->output);
  };
}

}  // namespace

BERTFORGE_COMMAND("model forward",
                  "Run a model folder on a JSON batch; write logits and losses (safetensors)", setup);

}  // namespace bertforge::cli
