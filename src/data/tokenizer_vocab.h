// data/tokenizer_vocab.h — what the dataset keeps of a tokenizer (VocabInfo: special ids, per-id flags,
// fingerprint), taken from a loaded Tokenizer. Kept apart from format.h so the dataset reader does not need
// the tokenizer at all.
#pragma once

#include "data/format.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::data {

VocabInfo vocab_info_from_tokenizer(const Tokenizer& tokenizer);

// `dataset build` keeps a copy of its tokenizer (an HF tokenizer folder) in DATASET/tokenizer/, so that
// `pretrain` can do without --tokenizer; the header's vocab fingerprint says which tokenizer the ids belong to.
inline constexpr const char* kTokenizerCopyDir = "tokenizer";

}  // namespace bertforge::data
