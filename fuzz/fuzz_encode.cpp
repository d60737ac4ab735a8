// fuzz/fuzz_encode.cpp — libFuzzer target for encoding (BertNormalizer, BertPreTokenizer, special-token
// matching, WordPiece, truncation, decode): arbitrary bytes, valid UTF-8 or not, as the text. Tokenizers are
// trained once at start-up from the committed tests/data/tokenizer/ko_en_mixed.txt (cased default and a
// lowercasing, accent-stripping one); the first input byte picks one and the call. No crash, no hang, ids in
// the vocabulary, offsets inside the text.
#include <memory>
#include <string>

#include "common/error.h"
#include "fuzz_util.h"
#include "text/utf8.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/wordpiece_trainer.h"

namespace {

std::unique_ptr<bertforge::Tokenizer> g_tok[2];

std::unique_ptr<bertforge::Tokenizer> train(bool lowercase) {
  using namespace bertforge;
  WordPieceTrainerOptions o;
  o.vocab_size = 2000;
  o.threads = 1;
  o.normalizer.lowercase = lowercase;
  if (lowercase) o.normalizer.strip_accents = true;
  WordCounts counts =
      count_words_in_files({std::string(BERTFORGE_SOURCE_DIR) + "/tests/data/tokenizer/ko_en_mixed.txt"}, o);
  WordPieceTrainResult r = WordPieceTrainer(o).train(counts);
  TokenizerSettings st;
  st.normalizer = o.normalizer;
  st.max_input_chars_per_word = 100;
  return std::make_unique<Tokenizer>(Tokenizer::from_vocab(r.vocab, st));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_tok[0] = train(false);
  g_tok[1] = train(true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  if (size == 0) return 0;
  const uint8_t knob = data[0];
  const Tokenizer& tok = *g_tok[knob & 1];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // Offsets are in code points of the input; invalid bytes count one each at most.
  const size_t max_chars = text.size();
  auto check = [&](const Encoding& e) {
    BERTFORGE_FUZZ_CHECK(e.ids.size() == e.tokens.size());
    BERTFORGE_FUZZ_CHECK(e.ids.size() == e.offsets.size());
    BERTFORGE_FUZZ_CHECK(e.ids.size() == e.type_ids.size());
    for (size_t i = 0; i < e.ids.size(); ++i) {
      BERTFORGE_FUZZ_CHECK(e.ids[i] < tok.vocab_size());
      BERTFORGE_FUZZ_CHECK(e.offsets[i].first <= e.offsets[i].second);
      BERTFORGE_FUZZ_CHECK(e.offsets[i].second <= max_chars);
    }
  };
  try {
    switch ((knob >> 1) % 4) {
      case 0: {
        Encoding e = tok.encode(text);
        check(e);
        tok.decode(e.ids, (knob & 8) != 0);
        break;
      }
      case 1: {
        const size_t cut = text.size() / 2;
        check(tok.encode_pair(text.substr(0, cut), text.substr(cut)));
        Encoding e = tok.encode_pair_truncated(text.substr(0, cut), text.substr(cut), 3 + (knob >> 3));
        check(e);
        BERTFORGE_FUZZ_CHECK(e.ids.size() <= 3u + (knob >> 3));
        break;
      }
      case 2: {
        Encoding e = tok.encode_truncated(text, 2 + (knob >> 3));
        check(e);
        BERTFORGE_FUZZ_CHECK(e.ids.size() <= 2u + (knob >> 3));
        break;
      }
      case 3: {
        std::vector<uint32_t> ids;
        tok.encode_ids(text, ids);
        for (uint32_t id : ids) BERTFORGE_FUZZ_CHECK(id < tok.vocab_size());
        break;
      }
    }
  } catch (const Error&) {
    // Invalid UTF-8 may be refused with an Error; that is a defined behaviour.
  }
  return 0;
}
