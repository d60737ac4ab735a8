// tests/unit/text/test_bert_normalizer.cpp — BertNormalizer and BertPreTokenizer against the facts of
// hf-tokenizers-spec.md §1a/§1b/§1h (values verified there against HF tokenizers 0.23.2).
#include <gtest/gtest.h>

#include "text/bert_normalizer.h"
#include "text/bert_pre_tokenizer.h"

using namespace bertforge::text;

namespace {

BertNormalizer project_normalizer() {
  return BertNormalizer(BertNormalizerOptions{});
}

BertNormalizer hf_default_normalizer() {
  BertNormalizerOptions o;
  o.lowercase = true;
  return BertNormalizer(o);
}

std::vector<std::string> words(std::string_view s) {
  std::vector<PreToken> toks;
  bert_pre_tokenize(s, toks);
  std::vector<std::string> out;
  for (auto& t : toks) {
    EXPECT_EQ(t.word, s.substr(t.begin, t.end - t.begin));
    out.emplace_back(t.word);
  }
  return out;
}

}  // namespace

TEST(BertNormalizer, HeaderExample) {
  EXPECT_EQ(project_normalizer().normalize("이순신\u200B은\t中文"), "이순신은  中  文 ");
}

TEST(BertNormalizer, CleanTextRemovesControlsAndMapsWhitespace) {
  auto n = project_normalizer();
  EXPECT_EQ(n.normalize(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(n.normalize("a\x0B"
                        "b\x0C"
                        "c"),
            "abc");                          // VT/FF are Cc: deleted, not spaces
  EXPECT_EQ(n.normalize("a\u0085b"), "ab");  // NEL too
  EXPECT_EQ(n.normalize("a\tb\nc\rd"), "a b c d");
  EXPECT_EQ(n.normalize("a\u00A0b\u3000c\u2028d\u202Fe"), "a b c d e");
  EXPECT_EQ(n.normalize("\uFEFFword\u200Bword"), "wordword");
  EXPECT_EQ(n.normalize("x\u00ADy"), "xy");
  EXPECT_EQ(n.normalize("p\uE000q\uFFFDr"), "pqr");
  // Unassigned / Unicode >= 9 chars are kept (HF uses Unicode 8 tables).
  EXPECT_EQ(n.normalize("\u0890"), "\u0890");
  EXPECT_EQ(n.normalize("\U000110CD"), "\U000110CD");
  // Invalid UTF-8 decodes to U+FFFD, which clean_text removes.
  EXPECT_EQ(n.normalize("a\xFF"
                        "b"),
            "ab");
}

TEST(BertNormalizer, CleanTextOff) {
  BertNormalizerOptions o;
  o.clean_text = false;
  EXPECT_EQ(BertNormalizer(o).normalize("a\tb\u200B"), "a\tb\u200B");
}

TEST(BertNormalizer, ChineseRangesIncludingQuirk) {
  auto n = project_normalizer();
  EXPECT_EQ(n.normalize("中文字"), " 中  文  字 ");
  EXPECT_EQ(n.normalize("\U0002B920"), " \U0002B920 ");  // Ext-E as HF starts it
  EXPECT_EQ(n.normalize("\U0002B820"), "\U0002B820");    // not isolated (HF quirk)
  EXPECT_EQ(n.normalize("ひらがな한글"), "ひらがな한글");
  BertNormalizerOptions o;
  o.handle_chinese_chars = false;
  EXPECT_EQ(BertNormalizer(o).normalize("中文"), "中文");
}

TEST(BertNormalizer, StripAccentsFollowsLowercaseWhenUnset) {
  EXPECT_EQ(project_normalizer().normalize("École e\u0301"), "École e\u0301");
  EXPECT_EQ(hf_default_normalizer().normalize("École e\u0301"), "ecole e");
  BertNormalizerOptions o;
  o.strip_accents = true;
  EXPECT_EQ(BertNormalizer(o).normalize("École"), "Ecole");
  o.strip_accents = false;
  o.lowercase = true;
  EXPECT_EQ(BertNormalizer(o).normalize("École"), "école");
}

TEST(BertNormalizer, HangulDecomposesToJamoWhenStripping) {
  EXPECT_EQ(hf_default_normalizer().normalize("이순신은"),
            "\u110B\u1175\u1109\u116E\u11AB\u1109\u1175\u11AB\u110B\u1173\u11AB");
  EXPECT_EQ(project_normalizer().normalize("이순신은"), "이순신은");
}

TEST(BertNormalizer, LowercaseIsContextFreeAndOneToMany) {
  BertNormalizerOptions o;
  o.lowercase = true;
  o.strip_accents = false;
  BertNormalizer n(o);
  EXPECT_EQ(n.normalize("ΣΑΣ"), "σασ");
  EXPECT_EQ(n.normalize("\u0130"), "i\u0307");
  EXPECT_EQ(n.normalize("ABC xyz"), "abc xyz");
  EXPECT_EQ(n.normalize("\uA7DC"), "\u019B");  // Rust >= 16 tables
  // With stripping, NFD(U+0130) = I U+0307 loses the mark before lowercasing.
  EXPECT_EQ(hf_default_normalizer().normalize("\u0130"), "i");
}

TEST(BertNormalizer, OffsetsMapOutputBytesToInput) {
  auto n = project_normalizer();
  std::string in = "a\u200Bb中";  // a(0) ZWSP(1..4) b(4) 中(5..8)
  NormalizedText r = n.normalize_with_offsets(in);
  EXPECT_EQ(r.text, "ab 中 ");
  ASSERT_EQ(r.source_offsets.size(), r.text.size() + 1);
  ASSERT_EQ(r.source_ends.size(), r.text.size());
  EXPECT_EQ(r.source_offsets[0], 0u);
  EXPECT_EQ(r.source_ends[0], 1u);
  EXPECT_EQ(r.source_offsets[1], 4u);
  EXPECT_EQ(r.source_offsets[3], 5u);  // first byte of 中
  EXPECT_EQ(r.source_ends[5], 8u);     // last byte of 中
  EXPECT_EQ(r.source_offsets.back(), in.size());
  auto h = hf_default_normalizer().normalize_with_offsets("Éa");
  EXPECT_EQ(h.text, "ea");
  EXPECT_EQ(h.source_offsets[0], 0u);
  EXPECT_EQ(h.source_ends[0], 2u);
  EXPECT_EQ(h.source_offsets[1], 2u);
}

TEST(BertNormalizer, JsonRoundTrip) {
  BertNormalizerOptions o;
  auto j = o.to_json();
  EXPECT_EQ(j["type"], "BertNormalizer");
  EXPECT_TRUE(j["strip_accents"].is_null());
  EXPECT_EQ(j["lowercase"], false);
  auto back = BertNormalizerOptions::from_json(j);
  EXPECT_FALSE(back.strip_accents.has_value());
  EXPECT_FALSE(back.lowercase);
  j["strip_accents"] = true;
  EXPECT_TRUE(*BertNormalizerOptions::from_json(j).strip_accents);
  EXPECT_THROW(BertNormalizerOptions::from_json({{"type", "NFKC"}}), std::exception);
  EXPECT_THROW(BertNormalizerOptions::from_json({{"lowercase", "yes"}}), std::exception);
}

TEST(BertPreTokenizer, SplitsWhitespaceAndIsolatesPunctuation) {
  EXPECT_EQ(words("셀을, 병합!"), (std::vector<std::string>{"셀을", ",", "병합", "!"}));
  EXPECT_EQ(words("?!?"), (std::vector<std::string>{"?", "!", "?"}));
  EXPECT_EQ(words("  a   b  "), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(words("##abc"), (std::vector<std::string>{"#", "#", "abc"}));
  EXPECT_EQ(words("a$b+c<d=e>f^g|h~i`j"),
            (std::vector<std::string>{"a", "$", "b", "+", "c", "<", "d", "=", "e", ">", "f", "^", "g", "|",
                                      "h", "~", "i", "`", "j"}));
  EXPECT_EQ(words("a\u3000b\u00A0c\u0085d\te"), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(words("「인용」"), (std::vector<std::string>{"「", "인용", "」"}));
  EXPECT_TRUE(words("").empty());
  EXPECT_TRUE(words("   ").empty());
}

TEST(BertPreTokenizer, Unicode8Punctuation) {
  EXPECT_TRUE(is_bert_punctuation(U'\u00A1'));
  EXPECT_TRUE(is_bert_punctuation(U'\u3001'));
  EXPECT_FALSE(is_bert_punctuation(U'\u2E43'));      // added in Unicode 9
  EXPECT_FALSE(is_bert_punctuation(U'\U0001E95E'));  // added in Unicode 9
  EXPECT_FALSE(is_bert_punctuation(U'\u00A2'));      // Sc, non-ASCII symbol
  EXPECT_TRUE(is_bert_whitespace(U'\u0085'));
  EXPECT_TRUE(is_bert_whitespace(U'\u000B'));
  EXPECT_FALSE(is_bert_whitespace(U'\u200B'));
  EXPECT_FALSE(is_bert_whitespace(U'\u180E'));
}
