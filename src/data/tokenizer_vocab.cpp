// data/tokenizer_vocab.cpp — see tokenizer_vocab.h.
#include "data/tokenizer_vocab.h"

namespace bertforge::data {

VocabInfo vocab_info_from_tokenizer(const Tokenizer& tokenizer) {
  VocabInfo v;
  v.vocab_size = static_cast<uint32_t>(tokenizer.vocab_size());
  v.pad_id = tokenizer.pad_id();
  v.unk_id = tokenizer.unk_id();
  v.cls_id = tokenizer.cls_id();
  v.sep_id = tokenizer.sep_id();
  v.mask_id = tokenizer.mask_id();
  v.flags.assign(v.vocab_size, 0);
  for (uint32_t id = 0; id < v.vocab_size; ++id) {
    if (tokenizer.is_special_id(id)) v.flags[id] |= kVocabSpecial;
    if (tokenizer.is_continuation_id(id)) v.flags[id] |= kVocabContinuation;
  }
  v.fingerprint = tokenizer.fingerprint();
  return v;
}

}  // namespace bertforge::data
