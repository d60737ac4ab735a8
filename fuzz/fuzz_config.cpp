// fuzz/fuzz_config.cpp — libFuzzer target for config.json (src/models/bert_config.cpp), read from every
// model folder. Either an Error naming the key, or a valid config that survives a JSON round trip unchanged.
#include "common/error.h"
#include "fuzz_util.h"
#include "models/bert_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertforge;
  const auto path = fuzz::write_input("config.json", data, size);
  try {
    models::BertConfig c = models::BertConfig::load(path);
    c.validate();
    const nlohmann::json j = c.to_json();
    models::BertConfig back = models::BertConfig::from_json(j);
    BERTFORGE_FUZZ_CHECK(back.to_json() == j);
  } catch (const Error&) {
  }
  return 0;
}
