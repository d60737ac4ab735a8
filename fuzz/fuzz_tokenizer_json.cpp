// fuzz/fuzz_tokenizer_json.cpp — libFuzzer target for the tokenizer.json loader
// (src/tokenizers/tokenizer_io.cpp): arbitrary bytes as a tokenizer.json. Either an Error naming the file,
// or a tokenizer that encodes, decodes and writes itself back.
#include "common/error.h"
#include "fuzz_util.h"
#include "tokenizers/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  const auto path = fuzz::write_input("tokenizer.json", data, size);
  try {
    Tokenizer tok = Tokenizer::load(path);
    BERTFORGE_FUZZ_CHECK(tok.vocab_size() > 0);
    Encoding enc = tok.encode_pair("Hello, [MASK] wörld! 이순신은 조선 중기의 무신이다.", "第二 ##x [SEP]");
    for (uint32_t id : enc.ids) BERTFORGE_FUZZ_CHECK(id < tok.vocab_size());
    tok.decode(enc.ids, false);
    tok.to_tokenizer_json();
  } catch (const Error&) {
  }
  return 0;
}
