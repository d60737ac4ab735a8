// tests/reference/test_encode_parity.cpp — bertforge's Tokenizer against HF's real `tokenizers` (npm binding
// via tests/reference/encode_ref.js and ../shared/reference/ref_tokenizer.js): encode parity on a Korean +
// English corpus and on hard cases (tokens, ids, type ids, offsets, masks, decode), loading tokenizer.json
// and vocab.txt; our saved tokenizer.json loads in HF and is byte-identical to HF's own save.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tokenizers/tokenizer.h"

using bertforge::Encoding;
using bertforge::Tokenizer;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kSource = BERTFORGE_SOURCE_DIR;
// shared/ sits beside the clone (CI, /work/main); a git worktree under /work/wt is one level deeper.
const std::string kShared = fs::exists(kSource + "/../shared/reference")
                                ? kSource + "/../shared/reference"
                                : kSource + "/../../shared/reference";
const std::string kNodeDir = kSource + "/tests/reference/node";
const std::string kCorpus = kSource + "/tests/data/tokenizer/ko_en_mixed.txt";

bool node_available() {
  return fs::exists(kNodeDir + "/node_modules/tokenizers") && fs::exists(kShared + "/ref_tokenizer.js") &&
         std::system("node --version > /dev/null 2>&1") == 0;
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

void run_or_fail(const std::string& cmd) {
  const std::string full = "TOKENIZERS_NODE_DIR=" + sh_quote(kNodeDir) + " " + cmd;
  int rc = std::system(full.c_str());
  ASSERT_EQ(rc, 0) << "command failed: " << full;
}

std::vector<std::string> split_lines(const std::string& data) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    lines.push_back(data.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> out;
  for (const auto& l : split_lines(bertforge::read_file(path))) out.push_back(json::parse(l));
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  bertforge::write_file_atomic(path, s);
}

// Strings that exercise every rule of the spec (§1a, §1b, §1e, §1h). None contains '\n'.
std::vector<std::string> hard_cases() {
  std::vector<std::string> c = {
      "",
      " ",
      std::string("\0\x0b\xc2\x85", 4),
      std::string(100, 'a'),
      std::string(101, 'a'),
      std::string(99, 'a') + "é",
      std::string(100, 'a') + "é",
      "어제 " + std::string(101, 'b') + " 오늘",
      "abc[MASK]def [SEP]",
      "[mask] [MASK [MASK]] [[CLS]] [SEP][SEP]",
      "[UNK][PAD]x[CLS]",
      "##abc ## #",
      "e\u0301cole école",
      "中文字 한국어 漢字를",
      "\U0002B820\U0002B920 \u3400",
      "Σίσυφος ΣΑΣ",
      "\uFEFFword\u200Bword",
      "tab\tnew\rline\u3000x\u00A0y\u2028z\u202Fw",
      "x\u00ADy \uE000priv \U000F0000 \uFFFDz",
      "1,000.50원 $19.99",
      "ﬁle Ｆｕｌｌ",
      "LibreOffice에서는 mixed대한민국",
      "이순신은\u00a0조선 중기의 무신이다.",
      "it's ok, don't do not we're",
      "¿Qué? ¡Sí! «quoted» „low“",
      "emoji 😀👍🏽 테스트",
      "\u0130stanbul KELVIN \u212A",
      "\u0890 \U000110CD \u2E43 \U0001E95E",
      "a\u0300\u0301\u0302b",
      "트랜스포머를 학습시켰다?!?",
      "   leading and trailing   ",
      "\u1100\u1161\u11A8 jamo",
      "カタカナ ひらがな",
      "\x7f\x01\x1f"
      "ctrl",
  };
  std::string long_ko;
  for (int i = 0; i < 40; ++i) long_ko += "가나다라";
  c.push_back(long_ko);
  return c;
}

// Compares our encoding of `inputs` with HF's JSONL (single or pairs).
void expect_same(const Tokenizer& tok, const std::vector<std::string>& inputs, const std::vector<json>& ref,
                 bool pairs, const std::string& what) {
  const size_t step = pairs ? 2 : 1;
  ASSERT_EQ(ref.size(), inputs.size() / step) << what;
  size_t mismatches = 0;
  for (size_t k = 0; k < ref.size(); ++k) {
    const std::string& a = inputs[k * step];
    Encoding e = pairs ? tok.encode_pair(a, inputs[k * step + 1]) : tok.encode(a);
    const json& r = ref[k];
    std::vector<std::vector<uint32_t>> offs;
    for (auto& o : e.offsets) offs.push_back({o.first, o.second});
    bool same = r["tokens"].get<std::vector<std::string>>() == e.tokens &&
                r["ids"].get<std::vector<uint32_t>>() == e.ids &&
                r["type_ids"].get<std::vector<uint32_t>>() == e.type_ids &&
                r["offsets"].get<std::vector<std::vector<uint32_t>>>() == offs &&
                r["special_tokens_mask"].get<std::vector<uint32_t>>() ==
                    std::vector<uint32_t>(e.special_tokens_mask.begin(), e.special_tokens_mask.end()) &&
                r["decoded"].get<std::string>() == tok.decode(e.ids, true);
    if (!same && ++mismatches <= 5) {
      json ours = {{"tokens", e.tokens},
                   {"ids", e.ids},
                   {"type_ids", e.type_ids},
                   {"offsets", offs},
                   {"decoded", tok.decode(e.ids, true)}};
      ADD_FAILURE() << what << " line " << k << " input " << json(a).dump() << "\n  HF:   " << r.dump()
                    << "\n  ours: " << ours.dump();
    }
    // encode_ids must agree with encode (no specials added).
    if (!pairs) {
      std::vector<uint32_t> ids;
      tok.encode_ids(a, ids);
      Encoding plain = tok.encode(a, false);
      EXPECT_EQ(ids, plain.ids) << what << " encode_ids, line " << k;
    }
  }
  EXPECT_EQ(mismatches, 0u) << what;
}

// Byte comparison that reports the first difference instead of two whole files.
void expect_same_bytes(const std::string& ours, const std::string& hf) {
  if (ours == hf) return;
  size_t i = 0;
  while (i < ours.size() && i < hf.size() && ours[i] == hf[i]) ++i;
  const size_t from = i > 80 ? i - 80 : 0;
  ADD_FAILURE() << "files differ at byte " << i << " (sizes " << ours.size() << " vs " << hf.size()
                << ")\n  ours: " << json(ours.substr(from, 160)).dump()
                << "\n  HF:   " << json(hf.substr(from, 160)).dump();
}

class EncodeParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!node_available()) return;
    dir_ = fs::temp_directory_path() / ("bertforge_encode_parity_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    hf_ = (dir_ / "hf").string();
    const std::string cmd = "node " + sh_quote(kShared + "/ref_tokenizer.js") + " train " +
                            sh_quote(kCorpus) + " " + sh_quote(hf_) + " > /dev/null";
    ok_ = std::system(("TOKENIZERS_NODE_DIR=" + sh_quote(kNodeDir) + " " + cmd).c_str()) == 0;
    std::vector<std::string> lines = split_lines(bertforge::read_file(kCorpus));
    for (auto& h : hard_cases()) lines.push_back(h);
    inputs_ = lines;
    write_lines((dir_ / "inputs.txt").string(), inputs_);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!node_available()) GTEST_SKIP() << "HF oracle not installed (run scripts/install-deps.sh)";
    ASSERT_TRUE(ok_) << "ref_tokenizer.js train failed";
  }
  static std::vector<json> hf_encode(const std::string& tokenizer, const std::string& lines_file,
                                     const std::string& flags = "") {
    const std::string out = (dir_ / "hf_out.jsonl").string();
    const std::string cmd = "node " + sh_quote(kSource + "/tests/reference/encode_ref.js") + " " +
                            sh_quote(tokenizer) + " " + sh_quote(lines_file) + " " + sh_quote(out) + " " +
                            flags;
    int rc = std::system(("TOKENIZERS_NODE_DIR=" + sh_quote(kNodeDir) + " " + cmd).c_str());
    EXPECT_EQ(rc, 0) << cmd;
    return read_jsonl(out);
  }

  static inline fs::path dir_;
  static inline std::string hf_;
  static inline bool ok_ = false;
  static inline std::vector<std::string> inputs_;
};

TEST_F(EncodeParity, TokenizerJsonMatchesHf) {
  Tokenizer tok = Tokenizer::load(hf_ + "/tokenizer.json");
  auto ref = hf_encode(hf_ + "/tokenizer.json", (dir_ / "inputs.txt").string());
  expect_same(tok, inputs_, ref, false, "tokenizer.json");
}

TEST_F(EncodeParity, VocabTxtMatchesHf) {
  Tokenizer tok = Tokenizer::load(hf_ + "/vocab.txt");
  auto ref = hf_encode(hf_ + "/vocab.txt", (dir_ / "inputs.txt").string());
  expect_same(tok, inputs_, ref, false, "vocab.txt");
}

TEST_F(EncodeParity, FolderWithoutSpecialsAndPairsMatchHf) {
  Tokenizer tok = Tokenizer::load(hf_);  // folder: tokenizer.json + tokenizer_config.json
  auto ref = hf_encode(hf_ + "/tokenizer.json", (dir_ / "inputs.txt").string(), "--pairs");
  expect_same(tok, inputs_, ref, true, "pairs");
  auto plain = hf_encode(hf_ + "/tokenizer.json", (dir_ / "inputs.txt").string(), "--no-special-tokens");
  ASSERT_EQ(plain.size(), inputs_.size());
  for (size_t k = 0; k < plain.size(); ++k) {
    ASSERT_EQ(plain[k]["ids"].get<std::vector<uint32_t>>(), tok.encode(inputs_[k], false).ids) << inputs_[k];
  }
}

TEST_F(EncodeParity, LowercaseStripAccentsVariantMatchesHf) {
  // HF's BertWordPieceTokenizer defaults: lowercase=true, strip_accents unset (= NFD + Mn removal).
  json j = json::parse(bertforge::read_file(hf_ + "/tokenizer.json"));
  j["normalizer"]["lowercase"] = true;
  j["normalizer"]["strip_accents"] = nullptr;
  const std::string path = (dir_ / "lower.json").string();
  bertforge::write_file_atomic(path, j.dump());
  Tokenizer tok = Tokenizer::load(path);
  EXPECT_TRUE(tok.settings().normalizer.effective_strip_accents());
  auto ref = hf_encode(path, (dir_ / "inputs.txt").string());
  expect_same(tok, inputs_, ref, false, "lowercase");
}

TEST_F(EncodeParity, QuirkCasesScriptAgrees) {
  // ../shared/reference/quirk_cases.js prints HF's encodings of the spec's quirk cases.
  const std::string out = (dir_ / "quirks.txt").string();
  run_or_fail("node " + sh_quote(kShared + "/quirk_cases.js") + " " + sh_quote(hf_ + "/tokenizer.json") +
              " > " + sh_quote(out));
  Tokenizer tok = Tokenizer::load(hf_ + "/tokenizer.json");
  size_t checked = 0;
  for (const auto& line : split_lines(bertforge::read_file(out))) {
    if (line.rfind("{", 0) == 0) {
      json r = json::parse(line);
      Encoding e = tok.encode(r["in"].get<std::string>());
      EXPECT_EQ(r["tokens"].get<std::vector<std::string>>(), e.tokens) << r["in"];
      EXPECT_EQ(r["ids"].get<std::vector<uint32_t>>(), e.ids) << r["in"];
      std::vector<std::vector<uint32_t>> offs;
      for (auto& o : e.offsets) offs.push_back({o.first, o.second});
      EXPECT_EQ(r["offsets"].get<std::vector<std::vector<uint32_t>>>(), offs) << r["in"];
      ++checked;
    } else if (line.rfind("decode keep specials:", 0) == 0) {
      EXPECT_EQ(json::parse(line.substr(21)).get<std::string>(),
                tok.decode(tok.encode("it's ok").ids, false));
      ++checked;
    } else if (line.rfind("decode:", 0) == 0) {
      EXPECT_EQ(json::parse(line.substr(7)).get<std::string>(),
                tok.decode(tok.encode("이순신은 조선 중기의 무신이다. Hello, world!").ids, true));
      ++checked;
    }
  }
  EXPECT_GE(checked, 20u);
}

TEST_F(EncodeParity, SavedTokenizerJsonIsByteIdenticalAndLoadsInHf) {
  Tokenizer hf_vocab = Tokenizer::load(hf_ + "/vocab.txt");
  bertforge::TokenizerSettings settings;
  settings.normalizer.strip_accents = false;  // ref_tokenizer.js sets it explicitly
  Tokenizer ours = Tokenizer::from_vocab(hf_vocab.vocab(), settings);
  const fs::path saved = dir_ / "ours";
  ours.save(saved);
  expect_same_bytes(bertforge::read_file(saved / "tokenizer.json"),
                    bertforge::read_file(hf_ + "/tokenizer.json"));
  expect_same_bytes(bertforge::read_file(saved / "vocab.txt"), bertforge::read_file(hf_ + "/vocab.txt"));
  // With strip_accents unset, HF writes null; so do we.
  bertforge::TokenizerSettings unset;
  EXPECT_NE(
      Tokenizer::from_vocab(hf_vocab.vocab(), unset).to_tokenizer_json().find("\"strip_accents\": null"),
      std::string::npos);
  // HF loads our file and encodes as we do.
  auto ref = hf_encode((saved / "tokenizer.json").string(), (dir_ / "inputs.txt").string());
  expect_same(ours, inputs_, ref, false, "saved tokenizer.json");
  // Reloading our own save gives the same tokenizer.
  EXPECT_EQ(Tokenizer::load(saved).fingerprint(), ours.fingerprint());
}

TEST_F(EncodeParity, DemoCorpusMatchesHfWhenPresent) {
  const std::string demo = kSource + "/demo-output/corpus.txt";
  if (!fs::exists(demo)) GTEST_SKIP() << demo << " absent (made by scripts/demo.sh)";
  // First 20,000 lines: train HF on them, then compare encodings.
  std::vector<std::string> lines = split_lines(bertforge::read_file(demo));
  if (lines.size() > 20000) lines.resize(20000);
  const std::string sample = (dir_ / "demo_sample.txt").string();
  write_lines(sample, lines);
  const std::string out = (dir_ / "demo_hf").string();
  run_or_fail("node " + sh_quote(kShared + "/ref_tokenizer.js") + " train " + sh_quote(sample) + " " +
              sh_quote(out) + " > /dev/null");
  Tokenizer tok = Tokenizer::load(out + "/tokenizer.json");
  auto ref = hf_encode(out + "/tokenizer.json", sample);
  expect_same(tok, lines, ref, false, "demo corpus");
}

}  // namespace
