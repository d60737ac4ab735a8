// tests/unit/tokenizers/test_fuzz_regressions.cpp — tokenizer.json / vocab.txt inputs found by the fuzz
// targets (fuzz/fuzz_tokenizer_json.cpp, fuzz_vocab_txt.cpp) that escaped as raw nlohmann::json exceptions
// (a message naming no file) or crashed; each must be a bertforge::Error naming the file.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "test_util.h"
#include "tokenizers/tokenizer.h"

namespace bertforge {
namespace {

using testing::TempDir;

// Loads `content` as a tokenizer.json; returns the Error message ("" when it loads).
std::string load_error(const std::string& content, const std::string& name = "tokenizer.json") {
  TempDir dir;
  const auto path = dir.path() / name;
  testing::write_file(path, content);
  try {
    Tokenizer::load(path);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "escaped as a non-bertforge exception: " << e.what();
    return e.what();
  }
  return "";
}

const char* kHead = R"({"model": {"type": "WordPiece", "vocab": {"[CLS]": 0, "[SEP]": 1, "a": 2}},
  "pre_tokenizer": {"type": "BertPreTokenizer"}, )";

TEST(TokenizerFuzzRegressions, TemplateProcessingSingleIsAnObject) {
  std::string err =
      load_error(std::string(kHead) +
                 R"("post_processor": {"type": "TemplateProcessing", "single": {"a": 1, "b": 2, "c": 3}}})");
  EXPECT_NE(err.find("TemplateProcessing"), std::string::npos) << err;
}

TEST(TokenizerFuzzRegressions, TemplateProcessingSpecialTokenIdIsNotAString) {
  std::string err = load_error(std::string(kHead) + R"("post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": 5}}, {"Sequence": {"id": "A"}}, {"SpecialToken": "x"}]}})");
  EXPECT_NE(err.find("TemplateProcessing"), std::string::npos) << err;
}

TEST(TokenizerFuzzRegressions, AddedTokenFlagOfTheWrongType) {
  std::string err = load_error(std::string(kHead) + R"("post_processor": null,
    "added_tokens": [{"id": 0, "content": "[CLS]", "special": "yes"}]})");
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace bertforge
