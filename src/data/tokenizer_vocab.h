// data/tokenizer_vocab.h — what the dataset keeps of a tokenizer (VocabInfo: special ids, per-id flags,
// fingerprint), taken from a loaded Tokenizer. Kept apart from format.h so the dataset reader does not need
// the tokenizer at all.
#pragma once

#include "data/format.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::data {

VocabInfo vocab_info_from_tokenizer(const Tokenizer& tokenizer);

}  // namespace bertforge::data
