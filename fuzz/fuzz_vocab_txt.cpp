// fuzz/fuzz_vocab_txt.cpp — libFuzzer target for the vocab.txt loader (src/tokenizers/tokenizer_io.cpp,
// WordPiece::read_file semantics): arbitrary bytes as a vocab.txt. Either an Error naming the file and line,
// or a tokenizer that encodes and decodes.
#include "common/error.h"
#include "fuzz_util.h"
#include "tokenizers/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  const auto path = fuzz::write_input("vocab.txt", data, size);
  try {
    Tokenizer tok = Tokenizer::load(path);
    BERTFORGE_FUZZ_CHECK(tok.vocab_size() > 0);
    Encoding enc = tok.encode("Hello, [MASK] wörld! 이순신은 조선 중기의 무신이다.");
    for (uint32_t id : enc.ids) BERTFORGE_FUZZ_CHECK(id < tok.vocab_size());
    tok.decode(enc.ids, true);
  } catch (const Error&) {
  }
  return 0;
}
