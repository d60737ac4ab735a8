// tests/unit/io/test_safetensors.cpp — the safetensors reader/writer, including hostile files, and HF model
// folders (save_pretrained / load_pretrained rules).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>

#include "common/error.h"
#include "common/fs.h"
#include "io/model_dir.h"
#include "io/safetensors.h"

using namespace bertforge;
using namespace bertforge::io;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("bertforge_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// A raw file: 8-byte length, the header text as given, then `data` bytes.
void write_raw(const fs::path& p, const std::string& header, const std::string& data,
               int64_t len_override = -1) {
  std::ofstream f(p, std::ios::binary);
  uint64_t n = len_override >= 0 ? static_cast<uint64_t>(len_override) : header.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << header << data;
}

std::string read_error(const fs::path& p) {
  try {
    SafetensorsReader r(p);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat) << e.what();
    return e.what();
  }
  return "";
}

models::BertConfig tiny_config() {
  models::BertConfig c;
  c.vocab_size = 40;
  c.hidden_size = 8;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 16;
  return c;
}

}  // namespace

TEST(Safetensors, RoundTripDtypesAndMetadata) {
  TempDir dir;
  auto f32 = torch::randn({3, 4});
  auto f16 = torch::randn({5}).to(torch::kHalf);
  auto bf16 = torch::randn({2, 2}).to(torch::kBFloat16);
  auto i64 = torch::tensor({1, -2, 3}, torch::kLong);
  auto empty = torch::zeros({0, 3});
  fs::path p = dir.path() / "a.safetensors";
  write_safetensors(p, {{"w", f32}, {"h", f16}, {"b", bf16}, {"ids", i64}, {"e", empty}}, {{"format", "pt"}});
  SafetensorsReader r(p);
  EXPECT_EQ(r.metadata().at("format"), "pt");
  EXPECT_EQ(r.entries().size(), 5u);
  EXPECT_EQ(r.entries()[0].name, "ids");  // 8-byte dtypes first, as the reference writer orders them
  EXPECT_TRUE(torch::equal(r.tensor("w"), f32));
  EXPECT_TRUE(torch::equal(r.tensor("h"), f16));
  EXPECT_TRUE(torch::equal(r.tensor("b"), bf16));
  EXPECT_TRUE(torch::equal(r.tensor("ids"), i64));
  EXPECT_EQ(r.tensor("e").sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(torch::equal(r.tensor_f32("h"), f16.to(torch::kFloat)));
  EXPECT_TRUE(torch::equal(r.tensor_f32("b"), bf16.to(torch::kFloat)));
  EXPECT_THROW(r.tensor_f32("ids"), Error);
  EXPECT_THROW(r.tensor("nope"), Error);
  // Header length is a multiple of 8 and starts with '{'.
  std::string bytes = read_file(p);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes[8], '{');
  // Same input, same bytes.
  fs::path q = dir.path() / "b.safetensors";
  write_safetensors(q, {{"ids", i64}, {"e", empty}, {"w", f32}, {"b", bf16}, {"h", f16}}, {{"format", "pt"}});
  EXPECT_EQ(read_file(q), bytes);
}

TEST(Safetensors, ReadsAHandWrittenFile) {
  TempDir dir;
  float vals[2] = {1.5f, -2.0f};
  std::string data(reinterpret_cast<const char*>(vals), 8);
  fs::path p = dir.path() / "x.safetensors";
  write_raw(p, R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  )", data);
  SafetensorsReader r(p);
  auto t = r.tensor("x");
  EXPECT_FLOAT_EQ(t[0].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(t[1].item<float>(), -2.0f);
}

TEST(Safetensors, HostileFilesAreErrorsNamingFileAndTensor) {
  TempDir dir;
  fs::path p = dir.path() / "bad.safetensors";
  std::string d8(8, '\0');
  auto check = [&](const std::string& header, const std::string& data, const std::string& needle,
                   int64_t len = -1) {
    write_raw(p, header, data, len);
    std::string msg = read_error(p);
    EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << msg;
  };
  {
    std::ofstream f(p, std::ios::binary);
    f << "abc";
  }
  EXPECT_NE(read_error(p).find("shorter"), std::string::npos);
  check("{}", "", "exceeds the limit", int64_t{1} << 40);
  check("{}", "", "runs past the end", 1000);
  check("[1,2]", "", "does not start with");
  check("{\"x\":", "", "not valid JSON");
  check(R"({"x":{"dtype":"F99","shape":[2],"data_offsets":[0,8]}})", d8, "tensor 'x': unknown dtype");
  check(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8, "tensor 'x'");
  check(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8,
        "tensor 'x': dtype F32 x shape [3] needs 12");
  check(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", d8, "run past the data area");
  check(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", d8, "reversed");
  check(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})", d8, "tensor 'x'");
  check(
      R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
      d8, "overlaps");
  check(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8, "gap");
  check(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8, "cover 4 bytes");
  check(
      R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"x":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})",
      d8, "tensor 'x' is listed twice");
  check(R"({"__metadata__":{"a":1}})", "", "__metadata__");
  check(R"({"x":{"dtype":"F32","shape":[2]}})", d8, "tensor 'x': data_offsets");
  EXPECT_THROW(SafetensorsReader(dir.path() / "missing.safetensors"), Error);
}

TEST(ModelDir, SaveLoadSaveIsByteIdentical) {
  TempDir dir;
  auto model = models::make_bert(tiny_config(), models::BertArch::kPreTraining, 11);
  save_pretrained(*model, dir.path() / "m1");
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "m1" / "config.json"));
  LoadReport report;
  auto loaded = load_pretrained(dir.path() / "m1", {}, &report);
  EXPECT_EQ(loaded->arch(), models::BertArch::kPreTraining);
  EXPECT_TRUE(report.missing_keys.empty());
  EXPECT_TRUE(report.unexpected_keys.empty());
  auto a = model->state_dict(), b = loaded->state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  save_pretrained(*loaded, dir.path() / "m2");
  EXPECT_EQ(read_file(dir.path() / "m1" / "model.safetensors"),
            read_file(dir.path() / "m2" / "model.safetensors"));
  EXPECT_EQ(read_file(dir.path() / "m1" / "config.json"), read_file(dir.path() / "m2" / "config.json"));
  SafetensorsReader r(dir.path() / "m1" / "model.safetensors");
  EXPECT_FALSE(r.contains("cls.predictions.decoder.weight"));  // tied weight stored once
  EXPECT_EQ(r.metadata().at("format"), "pt");
  auto cfg = nlohmann::json::parse(read_file(dir.path() / "m1" / "config.json"));
  EXPECT_EQ(cfg["architectures"][0], "BertForPreTraining");
  EXPECT_EQ(cfg["model_type"], "bert");
}

TEST(ModelDir, PreTrainingFolderLoadsAsMaskedLMAndBack) {
  TempDir dir;
  auto model = models::make_bert(tiny_config(), models::BertArch::kPreTraining, 11);
  save_pretrained(*model, dir.path() / "pt");
  LoadOptions opt;
  opt.arch = models::BertArch::kMaskedLM;
  LoadReport report;
  auto mlm = load_pretrained(dir.path() / "pt", opt, &report);
  std::set<std::string> unexpected(report.unexpected_keys.begin(), report.unexpected_keys.end());
  EXPECT_EQ(unexpected, (std::set<std::string>{"bert.pooler.dense.weight", "bert.pooler.dense.bias",
                                               "cls.seq_relationship.weight", "cls.seq_relationship.bias"}));
  // Same MLM logits as the pre-training model.
  model->eval();
  auto ids = torch::randint(1, 40, {2, 7}, torch::kLong);
  EXPECT_TRUE(torch::allclose(mlm->forward(ids).prediction_logits, model->forward(ids).prediction_logits));
  save_pretrained(*mlm, dir.path() / "mlm");
  LoadReport back;
  opt.arch = models::BertArch::kPreTraining;
  auto pt = load_pretrained(dir.path() / "mlm", opt, &back);
  EXPECT_EQ(back.newly_initialized.size(), 4u);  // pooler + NSP head, initialized like HF
  EXPECT_EQ(load_pretrained(dir.path() / "mlm")->arch(), models::BertArch::kMaskedLM);  // from architectures
}

TEST(ModelDir, AcceptsDecoderWeightF16AndBarePrefix) {
  TempDir dir;
  auto model = models::make_bert(tiny_config(), models::BertArch::kMaskedLM, 3);
  fs::create_directories(dir.path() / "hf");
  model->config().save(dir.path() / "hf" / "config.json");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [n, t] : model->state_dict()) tensors.emplace_back(n, t.detach().to(torch::kHalf));
  tensors.emplace_back("cls.predictions.decoder.weight", model->decoder_weight().detach().to(torch::kHalf));
  tensors.emplace_back("bert.embeddings.position_ids", torch::arange(16).unsqueeze(0));
  write_safetensors(dir.path() / "hf" / "model.safetensors", tensors, {{"format", "pt"}});
  LoadReport report;
  auto loaded = load_pretrained(dir.path() / "hf", {}, &report);
  EXPECT_TRUE(report.unexpected_keys.empty());
  EXPECT_FALSE(report.converted_keys.empty());
  EXPECT_TRUE(torch::equal(
      loaded->bert->embeddings->word_embeddings->weight,
      model->bert->embeddings->word_embeddings->weight.detach().to(torch::kHalf).to(torch::kFloat)));
}

TEST(ModelDir, ErrorsAreClear) {
  TempDir dir;
  auto model = models::make_bert(tiny_config(), models::BertArch::kPreTraining, 3);
  // pickle only
  fs::create_directories(dir.path() / "pickle");
  model->config().save(dir.path() / "pickle" / "config.json");
  { std::ofstream(dir.path() / "pickle" / "pytorch_model.bin") << "x"; }
  try {
    load_pretrained(dir.path() / "pickle");
    FAIL() << "pickle folder loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("pickle"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("safetensors"), std::string::npos);
  }
  // a required tensor missing
  fs::create_directories(dir.path() / "partial");
  model->config().save(dir.path() / "partial" / "config.json");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [n, t] : model->state_dict())
    if (n != "bert.encoder.layer.0.output.dense.weight") tensors.emplace_back(n, t);
  write_safetensors(dir.path() / "partial" / "model.safetensors", tensors);
  try {
    load_pretrained(dir.path() / "partial");
    FAIL() << "partial folder loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bert.encoder.layer.0.output.dense.weight"), std::string::npos);
  }
  // shape mismatch with the config
  auto other = tiny_config();
  other.vocab_size = 41;
  other.save(dir.path() / "partial" / "config.json");
  write_safetensors(dir.path() / "partial" / "model.safetensors", model->state_dict());
  EXPECT_THROW(load_pretrained(dir.path() / "partial"), Error);
  // no folder / no config
  EXPECT_THROW(load_pretrained(dir.path() / "nothing"), Error);
  fs::create_directories(dir.path() / "empty");
  EXPECT_THROW(load_pretrained(dir.path() / "empty"), Error);
}
