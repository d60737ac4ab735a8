// tests/unit/tokenizers/test_tokenizer.cpp — Tokenizer behaviour on a small hand-made vocab: the spec's
// edge cases (hf-tokenizers-spec.md §1e/§1f/§1h), loading/saving formats and their error cases.
// Parity with HF itself is checked in tests/reference/test_encode_parity.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "common/error.h"
#include "common/fs.h"
#include "tokenizers/tokenizer.h"

using bertforge::Encoding;
using bertforge::Tokenizer;
using bertforge::TokenizerSettings;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> small_vocab() {
  return {"[PAD]", "[UNK]",  "[CLS]", "[SEP]", "[MASK]", "이",   "##순",   "##신",     "##은", "조",  "##선",
          "중",    "##기의", "무",    "##이",  "##다",   ".",    ",",      "!",        "?",    "#",   "a",
          "##a",   "aa",     "##aa",  "abc",   "def",    "x",    "##y",    "中",       "文",   "'",   "s",
          "it",    "ok",     "꽃",    "##c",   "é",      "e",    "\u0301", "##\u0301", "c",    "##o", "##l",
          "##e",   "[",      "]",     "mask",  "가",     "셀을", "병합"};
}

Tokenizer small() {
  return Tokenizer::from_vocab(small_vocab(), TokenizerSettings{});
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + v[i];
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("bertforge_tok_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

}  // namespace

TEST(Tokenizer, EncodesWithBertProcessing) {
  Tokenizer t = small();
  Encoding e = t.encode("이순신은 조선 중기의 무신이다.");
  EXPECT_EQ(join(e.tokens), "[CLS] 이 ##순 ##신 ##은 조 ##선 중 ##기의 무 ##신 ##이 ##다 . [SEP]");
  EXPECT_EQ(e.ids.front(), t.cls_id());
  EXPECT_EQ(e.ids.back(), t.sep_id());
  ASSERT_EQ(e.offsets.size(), e.ids.size());
  EXPECT_EQ(e.offsets[0], std::make_pair(0u, 0u));
  EXPECT_EQ(e.offsets[1], std::make_pair(0u, 1u));  // 이: code point offsets, not bytes
  EXPECT_EQ(e.offsets[4], std::make_pair(3u, 4u));  // ##은
  EXPECT_EQ(e.offsets[13], std::make_pair(16u, 17u));
  EXPECT_EQ(e.special_tokens_mask.front(), 1);
  EXPECT_EQ(e.special_tokens_mask[1], 0);
  EXPECT_EQ(e.attention_mask, std::vector<uint8_t>(e.ids.size(), 1));
  EXPECT_EQ(e.type_ids, std::vector<uint32_t>(e.ids.size(), 0));
}

TEST(Tokenizer, EmptyAndControlOnlyInput) {
  Tokenizer t = small();
  EXPECT_EQ(join(t.encode("").tokens), "[CLS] [SEP]");
  EXPECT_EQ(join(t.encode(" ").tokens), "[CLS] [SEP]");
  EXPECT_EQ(join(t.encode(std::string("\0\x0b", 2)).tokens), "[CLS] [SEP]");
  EXPECT_TRUE(t.encode("", false).ids.empty());
}

TEST(Tokenizer, MaxInputCharsCountsAfterNormalization) {
  Tokenizer t = small();
  Encoding e100 = t.encode(std::string(100, 'a'), false);
  EXPECT_EQ(e100.tokens.front(), "aa");
  EXPECT_EQ(e100.tokens.size(), 50u);
  Encoding e101 = t.encode(std::string(101, 'a'), false);
  ASSERT_EQ(e101.tokens.size(), 1u);
  EXPECT_EQ(e101.tokens[0], "[UNK]");
  EXPECT_EQ(e101.offsets[0], std::make_pair(0u, 101u));
  // Removed chars do not count: 100 'a' plus a zero-width space is still 100 chars.
  EXPECT_EQ(t.encode(std::string(50, 'a') + "\u200B" + std::string(50, 'a'), false).tokens.size(), 50u);
}

TEST(Tokenizer, WholeWordUnkEvenWhenPrefixMatches) {
  Tokenizer t = small();
  EXPECT_EQ(join(t.encode("가꽃 꽃이 조q", false).tokens), "[UNK] 꽃 ##이 [UNK]");
  Encoding e = t.encode("ab 조q", false);
  EXPECT_EQ(e.offsets[0], std::make_pair(0u, 2u));
  EXPECT_EQ(e.offsets[1], std::make_pair(3u, 5u));
}

TEST(Tokenizer, SpecialTokensMatchedOnRawTextAnywhere) {
  Tokenizer t = small();
  Encoding e = t.encode("abc[MASK]def [SEP]");
  EXPECT_EQ(join(e.tokens), "[CLS] abc [MASK] def [SEP] [SEP]");
  EXPECT_EQ(e.offsets[2], std::make_pair(3u, 9u));
  EXPECT_EQ(e.special_tokens_mask[2], 0);  // only the post-processor's tokens are marked special
  EXPECT_EQ(join(t.encode("[mask]", false).tokens), "[ mask ]");
  EXPECT_EQ(join(t.encode("##abc", false).tokens), "# # abc");
  std::vector<uint32_t> ids;
  t.encode_ids("x[MASK]x", ids);
  EXPECT_EQ(ids, (std::vector<uint32_t>{27, t.mask_id(), 27}));
  EXPECT_EQ(ids[1], t.mask_id());
}

TEST(Tokenizer, InvisibleCharsJoinWordsAndWhitespaceKindsSplit) {
  Tokenizer t = small();
  EXPECT_EQ(join(t.encode("\uFEFFab\u200Bc", false).tokens), "abc");  // BOM and ZWSP deleted: one word
  EXPECT_EQ(join(t.encode("x\u00ADy", false).tokens), "x ##y");
  EXPECT_EQ(join(t.encode("x\ty\u3000x\u00A0x\nx", false).tokens), "x [UNK] x x x");
  Encoding e = t.encode("a\u200Bbc", false);
  EXPECT_EQ(e.offsets[0], std::make_pair(0u, 4u));  // the token spans the removed char
}

TEST(Tokenizer, CjkIsolatedAndCombiningMarksKept) {
  Tokenizer t = small();
  EXPECT_EQ(join(t.encode("中文字", false).tokens), "中 文 [UNK]");
  Encoding e = t.encode("中文", false);
  EXPECT_EQ(e.offsets[1], std::make_pair(1u, 2u));
  // strip_accents=false keeps the decomposed accent: e + ##U+0301.
  EXPECT_EQ(join(t.encode("e\u0301", false).tokens), "e ##\u0301");
  EXPECT_EQ(join(t.encode("é", false).tokens), "é");
}

TEST(Tokenizer, PairsGetTypeIds) {
  Tokenizer t = small();
  Encoding e = t.encode_pair("abc", "def x");
  EXPECT_EQ(join(e.tokens), "[CLS] abc [SEP] def x [SEP]");
  EXPECT_EQ(e.type_ids, (std::vector<uint32_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(e.special_tokens_mask, (std::vector<uint8_t>{1, 0, 1, 0, 0, 1}));
  EXPECT_EQ(e.offsets[4], std::make_pair(4u, 5u));  // offsets are into the second text
  Encoding plain = t.encode_pair("abc", "def", false);
  EXPECT_EQ(plain.type_ids, (std::vector<uint32_t>{0, 1}));
}

TEST(Tokenizer, Truncation) {
  Tokenizer t = small();
  Encoding e = t.encode_truncated("a a a a a a", 5);
  EXPECT_EQ(join(e.tokens), "[CLS] a a a [SEP]");
  Encoding p = t.encode_pair_truncated("a a a a a", "x x", 7);
  EXPECT_EQ(join(p.tokens), "[CLS] a a [SEP] x x [SEP]");
  Encoding q = t.encode_pair_truncated("a a a", "x x x", 7);  // tie: the second loses first
  EXPECT_EQ(join(q.tokens), "[CLS] a a [SEP] x x [SEP]");
  EXPECT_THROW(t.encode_truncated("a", 1), bertforge::Error);
  EXPECT_EQ(join(t.encode_truncated(std::string(600, 'x') + " y").tokens), "[CLS] [UNK] [UNK] [SEP]");
}

TEST(Tokenizer, EncodeIdsEqualsEncodeWithoutSpecials) {
  Tokenizer t = small();
  for (std::string s :
       {"이순신은 조선 중기의 무신이다.", "abc[MASK]def", "", "中文 e\u0301 x\u00ADy", "\xff\xfe bad"}) {
    std::vector<uint32_t> ids;
    t.encode_ids(s, ids);
    EXPECT_EQ(ids, t.encode(s, false).ids) << s;
  }
  std::vector<uint32_t> ids = {99};
  t.encode_ids("abc", ids);  // appends
  EXPECT_EQ(ids, (std::vector<uint32_t>{99, 25}));
}

TEST(Tokenizer, BatchKeepsOrder) {
  Tokenizer t = small();
  std::vector<std::string> texts;
  for (int i = 0; i < 1000; ++i) texts.push_back(i % 3 ? "abc def" : "이순신은 조선");
  auto encs = t.encode_batch(texts, true, 4);
  ASSERT_EQ(encs.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(encs[i].ids, t.encode(texts[i]).ids);
}

TEST(Tokenizer, DecodeWordPieceWithCleanup) {
  Tokenizer t = small();
  EXPECT_EQ(t.decode(t.encode("it's ok").ids, false), "[CLS] it ' s ok [SEP]");
  EXPECT_EQ(t.decode(t.encode("이순신은 조선.").ids, true), "이순신은 조선.");
  EXPECT_EQ(t.decode({2, 21, 17, 25, 18, 3}, true), "a, abc!");
}

TEST(Tokenizer, IdQueries) {
  Tokenizer t = small();
  EXPECT_EQ(t.vocab_size(), small_vocab().size());
  EXPECT_EQ(t.token_to_id("##순"), 6);
  EXPECT_EQ(t.token_to_id("nope"), -1);
  EXPECT_EQ(t.id_to_token(6), "##순");
  EXPECT_THROW(t.id_to_token(100000), bertforge::Error);
  EXPECT_TRUE(t.is_continuation_id(6));
  EXPECT_FALSE(t.is_continuation_id(5));
  EXPECT_TRUE(t.is_special_id(t.mask_id()));
  EXPECT_FALSE(t.is_special_id(5));
  EXPECT_EQ(t.pad_id(), 0u);
  EXPECT_EQ(t.unk_id(), 1u);
}

TEST(Tokenizer, FingerprintIsStableAndSensitive) {
  Tokenizer a = small(), b = small();
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  EXPECT_EQ(a.fingerprint().size(), 32u);
  auto v = small_vocab();
  std::swap(v[10], v[11]);
  EXPECT_NE(Tokenizer::from_vocab(v, TokenizerSettings{}).fingerprint(), a.fingerprint());
  TokenizerSettings lower;
  lower.normalizer.lowercase = true;
  EXPECT_NE(Tokenizer::from_vocab(small_vocab(), lower).fingerprint(), a.fingerprint());
}

TEST(Tokenizer, MissingUnkIsAnError) {
  Tokenizer t = Tokenizer::from_vocab({"[CLS]", "[SEP]", "a"}, TokenizerSettings{});
  EXPECT_EQ(join(t.encode("a").tokens), "[CLS] a [SEP]");
  EXPECT_THROW(t.encode("b"), bertforge::Error);
}

TEST(TokenizerFiles, VocabTxtLoadingTrimsAndIndexesLines) {
  TempDir d;
  write(d.path / "vocab.txt", "[PAD]\n[UNK]\r\n[CLS]  \n[SEP]\t\n[MASK]\u3000\nab\n##c\n");
  Tokenizer t = Tokenizer::load(d.path / "vocab.txt");
  EXPECT_EQ(t.vocab_size(), 7u);
  EXPECT_EQ(t.id_to_token(2), "[CLS]");
  EXPECT_EQ(t.id_to_token(4), "[MASK]");
  EXPECT_EQ(join(t.encode("abc").tokens), "[CLS] ab ##c [SEP]");
  // Last line without newline, and duplicate lines: the later index wins.
  write(d.path / "v2.txt", "[UNK]\n[CLS]\n[SEP]\nx\nx");
  EXPECT_EQ(Tokenizer::load(d.path / "v2.txt").token_to_id("x"), 4);
}

TEST(TokenizerFiles, SaveWritesAllFilesAndRoundTrips) {
  TempDir d;
  Tokenizer t = small();
  t.save(d.path);
  for (const char* f : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
    EXPECT_TRUE(fs::exists(d.path / f)) << f;
  }
  std::string vocab = bertforge::read_file(d.path / "vocab.txt");
  EXPECT_EQ(vocab.substr(0, 14), "[PAD]\n[UNK]\n[C");
  EXPECT_EQ(vocab.back(), '\n');
  std::string js = bertforge::read_file(d.path / "tokenizer.json");
  EXPECT_EQ(js.substr(0, 24), "{\n  \"version\": \"1.0\",\n  ");
  EXPECT_NE(js.back(), '\n');
  EXPECT_NE(js.find("\"이\": 5"), std::string::npos);  // raw UTF-8, not \u escapes
  auto cfg = nlohmann::json::parse(bertforge::read_file(d.path / "tokenizer_config.json"));
  EXPECT_EQ(cfg["do_lower_case"], false);
  EXPECT_EQ(cfg["tokenize_chinese_chars"], true);
  EXPECT_EQ(cfg["tokenizer_class"], "BertTokenizer");
  EXPECT_EQ(cfg["model_max_length"], 512);
  EXPECT_EQ(cfg["mask_token"], "[MASK]");
  auto smap = nlohmann::json::parse(bertforge::read_file(d.path / "special_tokens_map.json"));
  EXPECT_EQ(smap["unk_token"], "[UNK]");
  for (const fs::path& p : {d.path, d.path / "tokenizer.json", d.path / "vocab.txt"}) {
    Tokenizer back = Tokenizer::load(p);
    EXPECT_EQ(back.vocab(), t.vocab()) << p;
    EXPECT_EQ(back.encode("이순신은 [MASK] 조선.").ids, t.encode("이순신은 [MASK] 조선.").ids) << p;
  }
  EXPECT_EQ(Tokenizer::load(d.path).to_tokenizer_json(), js);
  t.save(d.path, "ko");
  EXPECT_TRUE(fs::exists(d.path / "ko-vocab.txt"));
}

TEST(TokenizerFiles, FolderWithVocabAndConfigUsesTransformersFlags) {
  TempDir d;
  write(d.path / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nabc\n");
  write(d.path / "tokenizer_config.json", R"({"do_lower_case": true, "model_max_length": 128})");
  Tokenizer t = Tokenizer::load(d.path);
  EXPECT_TRUE(t.settings().normalizer.lowercase);
  EXPECT_EQ(t.settings().model_max_length, 128u);
  EXPECT_EQ(join(t.encode("ABC", false).tokens), "abc");
}

TEST(TokenizerFiles, ErrorsNameTheProblem) {
  TempDir d;
  auto message_of = [](const auto& fn) {
    try {
      fn();
    } catch (const bertforge::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "missing"); }).find("missing"), std::string::npos);
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path); }).find("neither tokenizer.json nor vocab.txt"),
            std::string::npos);
  write(d.path / "bpe.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "bpe.json"); }).find("model type BPE"),
            std::string::npos);
  write(d.path / "uni.json", R"({"model": {"type": "Unigram", "vocab": []}})");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "uni.json"); }).find("Unigram"), std::string::npos);
  write(d.path / "bad.json", "{not json");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "bad.json"); }).find("invalid JSON"),
            std::string::npos);
  write(d.path / "empty.txt", "");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "empty.txt"); }).find("empty"), std::string::npos);
  write(d.path / "badutf8.txt", "[UNK]\n[CLS]\n\xff\n");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "badutf8.txt"); }).find("badutf8.txt:3"),
            std::string::npos);
  write(d.path / "nocls.txt", "[UNK]\na\n");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "nocls.txt"); }).find("[CLS]"), std::string::npos);
  write(d.path / "tokenizer_config.json", "{}");
  EXPECT_NE(message_of([&] { Tokenizer::load(d.path / "tokenizer_config.json"); }).find("not a tokenizer"),
            std::string::npos);
  EXPECT_THROW(Tokenizer::from_vocab({}, TokenizerSettings{}), bertforge::Error);
}

TEST(TokenizerFiles, TransformersStyleTokenizerJson) {
  // What transformers' BertConverter writes: TemplateProcessing, lowercase, specials not at ids 0..4.
  TempDir d;
  nlohmann::json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens",
       {{{"id", 0},
         {"content", "[PAD]"},
         {"single_word", false},
         {"lstrip", false},
         {"rstrip", false},
         {"normalized", false},
         {"special", true}},
        {{"id", 5}, {"content", "[CLS]"}, {"special", true}},
        {{"id", 6}, {"content", "[SEP]"}, {"special", true}}}},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", true},
        {"strip_accents", nullptr},
        {"lowercase", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model",
       {{"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", 100},
        {"vocab",
         {{"[PAD]", 0}, {"[UNK]", 1}, {"cafe", 2}, {"x", 3}, {"##y", 4}, {"[CLS]", 5}, {"[SEP]", 6}}}}}};
  write(d.path / "tokenizer.json", j.dump());
  Tokenizer t = Tokenizer::load(d.path / "tokenizer.json");
  EXPECT_EQ(join(t.encode("CAFÉ XY").tokens), "[CLS] cafe x ##y [SEP]");  // lowercase + accent stripping
  EXPECT_EQ(t.cls_id(), 5u);
  EXPECT_TRUE(t.is_special_id(6));
  EXPECT_FALSE(t.is_special_id(1));  // [UNK] is not an added token in this file
  // A null post-processor adds nothing, as in HF; saving keeps it null.
  j["post_processor"] = nullptr;
  write(d.path / "tokenizer.json", j.dump());
  Tokenizer n = Tokenizer::load(d.path / "tokenizer.json");
  EXPECT_FALSE(n.has_post_processor());
  EXPECT_EQ(join(n.encode("x").tokens), "x");
  EXPECT_NE(n.to_tokenizer_json().find("\"post_processor\": null"), std::string::npos);
}
