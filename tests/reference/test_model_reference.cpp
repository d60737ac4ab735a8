// tests/reference/test_model_reference.cpp — bertforge's BERT against a plain-PyTorch reference
// (tests/reference/bert_reference.py, Debian python3-torch): folders load both ways, logits and losses agree
// to 1e-5 in fp32 on padded batches, gradients agree after one backward, init statistics match, and files
// rewritten by either side are byte-identical. The CLI (`model init`, `model forward`) is the bridge.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/fs.h"
#include "io/model_dir.h"
#include "io/safetensors.h"

using namespace bertforge;
namespace fs = std::filesystem;

namespace {

const std::string kRefScript = std::string(BERTFORGE_SOURCE_DIR) + "/tests/reference/bert_reference.py";

int run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return rc;
}

// A python3 that can import torch: $BERTFORGE_PYTHON, Debian's /usr/bin/python3, or python3 on PATH.
std::string find_python() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("BERTFORGE_PYTHON")) candidates.push_back(env);
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const auto& c : candidates)
    if (run(c + " -c 'import torch'") == 0) return c;
  return "";
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

class ModelReference : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = find_python();
    if (python_.empty())
      GTEST_SKIP() << "no python3 with torch (install python3-torch or set BERTFORGE_PYTHON)";
    dir_ = fs::temp_directory_path() / ("bertforge_ref_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    nlohmann::json cfg = {{"vocab_size", 99},           {"hidden_size", 32},
                          {"num_hidden_layers", 2},     {"num_attention_heads", 4},
                          {"intermediate_size", 64},    {"max_position_embeddings", 40},
                          {"hidden_act", hidden_act()}, {"type_vocab_size", 2}};
    std::ofstream(dir_ / "config.json") << cfg.dump(2);
    // Three rows of different lengths, padded to 12, two segments, scattered labels, both NSP labels.
    nlohmann::json batch;
    std::vector<int> lengths = {12, 9, 5};
    for (int b = 0; b < 3; ++b) {
      std::vector<int64_t> ids, types, mask, labels;
      for (int t = 0; t < 12; ++t) {
        const bool real = t < lengths[b];
        ids.push_back(real ? 1 + (b * 37 + t * 11) % 98 : 0);
        types.push_back(real && t >= lengths[b] / 2 ? 1 : 0);
        mask.push_back(real ? 1 : 0);
        labels.push_back(real && (t * 7 + b) % 4 == 1 ? (t * 13 + b * 5) % 99 : -100);
      }
      batch["input_ids"].push_back(ids);
      batch["token_type_ids"].push_back(types);
      batch["attention_mask"].push_back(mask);
      batch["labels"].push_back(labels);
    }
    batch["next_sentence_label"] = {0, 1, 1};
    std::ofstream(dir_ / "in.json") << batch.dump();
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  virtual std::string hidden_act() const { return "gelu"; }

  void cli(const std::string& args) {
    ASSERT_EQ(run(std::string(BERTFORGE_CLI) + " " + args), 0) << "bertforge " << args;
  }
  void py(const std::string& args) {
    ASSERT_EQ(run(python_ + " " + q(kRefScript) + " " + args), 0) << "bert_reference.py " << args;
  }

  // Every tensor both files hold agrees: outputs to 1e-5 absolute, gradients to 1e-5 relative to their scale.
  void expect_same_outputs(const fs::path& a, const fs::path& b, size_t min_grads = 0, size_t min_compared = 5) {
    io::SafetensorsReader ra(a), rb(b);
    size_t grads = 0, compared = 0;
    for (const auto& e : ra.entries()) {
      if (!rb.contains(e.name)) continue;
      auto x = ra.tensor(e.name).to(torch::kDouble), y = rb.tensor(e.name).to(torch::kDouble);
      ASSERT_EQ(x.sizes(), y.sizes()) << e.name;
      const double diff = (x - y).abs().max().item<double>();
      if (e.name.rfind("grad.", 0) == 0) {
        ++grads;
        const double scale = std::max(1e-3, y.abs().max().item<double>());
        EXPECT_LE(diff / scale, 1e-4) << e.name << " max diff " << diff << " scale " << scale;
      } else {
        EXPECT_LE(diff, 1e-5) << e.name << " max diff " << diff;
      }
      ++compared;
    }
    EXPECT_GE(grads, min_grads);
    EXPECT_GE(compared, min_compared);
  }

  std::string python_;
  fs::path dir_;
};

}  // namespace

TEST_F(ModelReference, BertforgeModelMatchesReferenceLogitsLossesGradients) {
  cli("model init --config " + q(dir_ / "config.json") + " --output " + q(dir_ / "cpp") + " --seed 5");
  cli("model forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
      q(dir_ / "cpp_out.safetensors") + " --with-grads");
  py("forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
     q(dir_ / "py_out.safetensors") + " --grads");
  io::SafetensorsReader out(dir_ / "cpp_out.safetensors");
  for (const char* name : {"prediction_logits", "seq_relationship_logits", "loss", "mlm_loss", "nsp_loss"})
    EXPECT_TRUE(out.contains(name)) << name;
  EXPECT_EQ(out.find("prediction_logits")->shape, (std::vector<int64_t>{3, 12, 99}));
  // 2 layers x 16 + 5 embeddings + 2 pooler + 5 MLM head + 2 NSP head parameters have gradients.
  expect_same_outputs(dir_ / "cpp_out.safetensors", dir_ / "py_out.safetensors", 46);
}

TEST_F(ModelReference, MaskedOnlyHeadAndMaskedLMLoadMatchReference) {
  cli("model init --config " + q(dir_ / "config.json") + " --output " + q(dir_ / "cpp") + " --seed 9");
  cli("model forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
      q(dir_ / "cpp_out.safetensors") + " --mlm-head masked-only --with-grads");
  py("forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
     q(dir_ / "py_out.safetensors") + " --grads --masked-only");
  expect_same_outputs(dir_ / "cpp_out.safetensors", dir_ / "py_out.safetensors", 46);
  // The pre-training folder loaded as BertForMaskedLM (NSP head dropped), as the seed's from_pretrained.
  cli("model forward --arch BertForMaskedLM --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") +
      " --output " + q(dir_ / "cpp_mlm.safetensors"));
  py("forward --arch BertForMaskedLM --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") +
     " --output " + q(dir_ / "py_mlm.safetensors"));
  io::SafetensorsReader mlm(dir_ / "cpp_mlm.safetensors");
  EXPECT_FALSE(mlm.contains("seq_relationship_logits"));
  expect_same_outputs(dir_ / "cpp_mlm.safetensors", dir_ / "py_mlm.safetensors", 0, 3);
}

TEST_F(ModelReference, ReferenceFolderLoadsInBertforgeAndFilesRoundTripByteIdentical) {
  py("init --config " + q(dir_ / "config.json") + " --output " + q(dir_ / "py") + " --seed 3");
  cli("model forward --model " + q(dir_ / "py") + " --input " + q(dir_ / "in.json") + " --output " +
      q(dir_ / "cpp_out.safetensors"));
  py("forward --model " + q(dir_ / "py") + " --input " + q(dir_ / "in.json") + " --output " +
     q(dir_ / "py_out.safetensors"));
  expect_same_outputs(dir_ / "cpp_out.safetensors", dir_ / "py_out.safetensors");

  // bertforge re-saves the reference's folder byte for byte; the reference re-saves bertforge's the same way.
  io::LoadReport report;
  auto model = io::load_pretrained(dir_ / "py", {}, &report);
  EXPECT_TRUE(report.missing_keys.empty());
  EXPECT_TRUE(report.unexpected_keys.empty());
  io::save_pretrained(*model, dir_ / "py_resaved_by_cpp");
  EXPECT_EQ(read_file(dir_ / "py" / "model.safetensors"),
            read_file(dir_ / "py_resaved_by_cpp" / "model.safetensors"));
  cli("model init --config " + q(dir_ / "config.json") + " --output " + q(dir_ / "cpp") + " --seed 4");
  py("resave --model " + q(dir_ / "cpp") + " --output " + q(dir_ / "cpp_resaved_by_py"));
  EXPECT_EQ(read_file(dir_ / "cpp" / "model.safetensors"),
            read_file(dir_ / "cpp_resaved_by_py" / "model.safetensors"));
  auto cfg_cpp = nlohmann::json::parse(read_file(dir_ / "cpp" / "config.json"));
  auto cfg_py = nlohmann::json::parse(read_file(dir_ / "cpp_resaved_by_py" / "config.json"));
  EXPECT_EQ(cfg_cpp, cfg_py);

  // Init statistics: both initializations are HF's (N(0, 0.02) weights, zero biases, LayerNorm 1/0).
  auto cpp_model = io::load_pretrained(dir_ / "cpp");
  auto stats = [](const torch::Tensor& t) {
    return std::make_pair(t.mean().item<double>(), t.std().item<double>());
  };
  auto py_state = model->state_dict(), cpp_state = cpp_model->state_dict();
  ASSERT_EQ(py_state.size(), cpp_state.size());
  for (size_t i = 0; i < py_state.size(); ++i) {
    const auto& name = py_state[i].first;
    ASSERT_EQ(name, cpp_state[i].first);
    auto [pm, ps] = stats(py_state[i].second);
    auto [cm, cs] = stats(cpp_state[i].second);
    if (name.find("LayerNorm") != std::string::npos || name.find("bias") != std::string::npos) {
      EXPECT_TRUE(torch::equal(py_state[i].second, cpp_state[i].second)) << name;  // constants
    } else if (py_state[i].second.numel() >= 1000) {
      EXPECT_NEAR(cs, 0.02, 0.002) << name;
      EXPECT_NEAR(ps, 0.02, 0.002) << name;
      EXPECT_NEAR(cm, 0.0, 0.003) << name;
      EXPECT_NEAR(pm, 0.0, 0.003) << name;
    }
  }
}

class ModelReferenceGeluNew : public ModelReference {
  std::string hidden_act() const override { return "gelu_new"; }
};

TEST_F(ModelReferenceGeluNew, TanhGeluMatchesReference) {
  cli("model init --config " + q(dir_ / "config.json") + " --output " + q(dir_ / "cpp") + " --seed 2");
  cli("model forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
      q(dir_ / "cpp_out.safetensors"));
  py("forward --model " + q(dir_ / "cpp") + " --input " + q(dir_ / "in.json") + " --output " +
     q(dir_ / "py_out.safetensors"));
  expect_same_outputs(dir_ / "cpp_out.safetensors", dir_ / "py_out.safetensors");
}
