// tokenizers/tokenizer_io.cpp — loading and saving HF tokenizer files (hf-tokenizers-spec.md §1d, §1g):
// vocab.txt (WordPiece::read_file semantics), tokenizer.json (WordPiece model only, written byte-exact as
// HF's pretty serde output), tokenizer_config.json and special_tokens_map.json for transformers.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "text/unicode_tables.h"
#include "text/utf8.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/tokenizer_impl.h"

namespace bertforge {

namespace {

using json = nlohmann::json;

// Rust str::trim_end: drops trailing White_Space chars.
std::string_view trim_end_unicode(std::string_view s) {
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    char32_t cp;
    if (!text::utf8_next(s, i, cp) || !(text::unicode::flags(cp) & text::unicode::kWhitespace)) break;
    s = s.substr(0, start);
  }
  return s;
}

std::vector<std::string> read_vocab_txt(const fs::path& path) {
  const std::string data = read_file(path);
  std::vector<std::string> vocab;
  size_t pos = 0;
  uint64_t line_no = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    size_t end = nl == std::string::npos ? data.size() : nl;
    std::string_view line(data.data() + pos, end - pos);
    ++line_no;
    size_t bad = text::utf8_find_invalid(line);
    if (bad != std::string_view::npos) {
      throw format_error(path.string(), line_no,
                         "invalid UTF-8 at byte " + std::to_string(bad) + " of the line");
    }
    vocab.emplace_back(trim_end_unicode(line));  // also drops the \r of CRLF files, as Rust's lines() does
    pos = nl == std::string::npos ? data.size() : nl + 1;
  }
  if (vocab.empty()) throw format_error(path.string(), 0, "the vocabulary file is empty");
  return vocab;
}

std::string type_of(const json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"].get<std::string>();
  return j.is_null() ? "null" : "(no type)";
}

// serde_json string escaping: only '"', '\\' and control chars; everything else raw UTF-8.
void put_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string json_quote(std::string_view s) {
  std::string out;
  put_string(out, s);
  return out;
}

const char* b(bool v) {
  return v ? "true" : "false";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// tokenizer.json

std::string Tokenizer::to_tokenizer_json() const {
  const Impl& im = *impl_;
  const auto& st = im.settings;
  const auto& no = st.normalizer;
  std::string o;
  o.reserve(im.vocab.size() * 24 + 4096);
  o += "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  std::vector<const Impl::Special*> added;
  for (const auto& s : im.specials) added.push_back(&s);
  std::sort(added.begin(), added.end(), [](auto* x, auto* y) { return x->id < y->id; });
  for (size_t k = 0; k < added.size(); ++k) {
    o += k ? ",\n    {\n" : "\n    {\n";
    o += "      \"id\": " + std::to_string(added[k]->id) + ",\n";
    o += "      \"content\": " + json_quote(added[k]->content) + ",\n";
    o += "      \"single_word\": false,\n      \"lstrip\": false,\n      \"rstrip\": false,\n";
    o += "      \"normalized\": false,\n      \"special\": true\n    }";
  }
  o += added.empty() ? "],\n" : "\n  ],\n";
  o += "  \"normalizer\": {\n    \"type\": \"BertNormalizer\",\n";
  o += std::string("    \"clean_text\": ") + b(no.clean_text) + ",\n";
  o += std::string("    \"handle_chinese_chars\": ") + b(no.handle_chinese_chars) + ",\n";
  o += std::string("    \"strip_accents\": ") + (no.strip_accents ? b(*no.strip_accents) : "null") + ",\n";
  o += std::string("    \"lowercase\": ") + b(no.lowercase) + "\n  },\n";
  o += "  \"pre_tokenizer\": {\n    \"type\": \"BertPreTokenizer\"\n  },\n";
  if (im.post_processor) {
    o += "  \"post_processor\": {\n    \"type\": \"BertProcessing\",\n";
    o += "    \"sep\": [\n      " + json_quote(st.sep_token) + ",\n      " + std::to_string(sep_id()) +
         "\n    ],\n";
    o += "    \"cls\": [\n      " + json_quote(st.cls_token) + ",\n      " + std::to_string(cls_id()) +
         "\n    ]\n  },\n";
  } else {
    o += "  \"post_processor\": null,\n";
  }
  if (im.decoder) {
    o += "  \"decoder\": {\n    \"type\": \"WordPiece\",\n    \"prefix\": " +
         json_quote(st.continuing_subword_prefix) + ",\n    \"cleanup\": true\n  },\n";
  } else {
    o += "  \"decoder\": null,\n";
  }
  o += "  \"model\": {\n    \"type\": \"WordPiece\",\n    \"unk_token\": " + json_quote(st.unk_token) + ",\n";
  o += "    \"continuing_subword_prefix\": " + json_quote(st.continuing_subword_prefix) + ",\n";
  o += "    \"max_input_chars_per_word\": " + std::to_string(st.max_input_chars_per_word) + ",\n";
  o += "    \"vocab\": {";
  bool first = true;
  for (uint32_t id = 0; id < im.vocab.size(); ++id) {
    const std::string& t = im.vocab[id];
    if (im.full.find(t.data(), t.size()) != id) continue;  // a duplicate shadowed by a later line (as HF)
    o += first ? "\n      " : ",\n      ";
    first = false;
    put_string(o, t);
    o += ": " + std::to_string(id);
  }
  o += first ? "}\n  }\n}" : "\n    }\n  }\n}";
  return o;
}

namespace {

// Fills vocab + settings from a parsed tokenizer.json. Refuses what bertforge does not implement.
void parse_tokenizer_json(const std::string& where, const json& j, std::vector<std::string>& vocab,
                          TokenizerSettings& st, bool& post_processor, bool& decoder) {
  auto fail = [&](const std::string& what) { return format_error(where, 0, what); };
  if (!j.is_object() || !j.contains("model")) throw fail("not a tokenizer.json (no \"model\" field)");
  const json& m = j["model"];
  std::string mtype = type_of(m);
  if (mtype == "(no type)" && m.is_object() && m.contains("merges")) mtype = "BPE";
  if (mtype != "WordPiece") {
    throw Error(ErrorKind::kUnsupported,
                where + ": model type " + mtype +
                    " is not supported; bertforge reads WordPiece (BERT) tokenizers only");
  }
  if (!m.contains("vocab") || !m["vocab"].is_object()) throw fail("model.vocab is missing or not an object");
  const json& v = m["vocab"];
  // Ids may have gaps (HF writes a vocab.txt with duplicate lines that way); a gap gets a placeholder that
  // no input can produce ('[' is always split off as punctuation).
  uint64_t max_id = 0;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_unsigned())
      throw fail("model.vocab[" + it.key() + "] is not a non-negative id");
    max_id = std::max<uint64_t>(max_id, it.value().get<uint64_t>());
  }
  if (!v.empty() && max_id >= 2 * v.size() + 1024) {
    throw fail("model.vocab ids go up to " + std::to_string(max_id) + " for " + std::to_string(v.size()) +
               " tokens");
  }
  vocab.assign(v.empty() ? 0 : max_id + 1, std::string());
  std::vector<uint8_t> seen(vocab.size(), 0);
  for (auto it = v.begin(); it != v.end(); ++it) {
    uint64_t id = it.value().get<uint64_t>();
    if (seen[id]) throw fail("model.vocab id " + std::to_string(id) + " is given to two tokens");
    seen[id] = 1;
    vocab[id] = it.key();
  }
  size_t holes = 0;
  for (size_t id = 0; id < vocab.size(); ++id) {
    if (!seen[id]) {
      vocab[id] = "[bertforge:unused-" + std::to_string(id) + "]";
      ++holes;
    }
  }
  if (holes)
    log_warn("{}: {} id(s) of model.vocab have no token; they get unreachable placeholders", where, holes);
  auto get_str = [&](const json& obj, const char* key, std::string& field) {
    if (obj.contains(key)) {
      if (!obj[key].is_string()) throw fail(std::string("model.") + key + " is not a string");
      field = obj[key].get<std::string>();
    }
  };
  get_str(m, "unk_token", st.unk_token);
  get_str(m, "continuing_subword_prefix", st.continuing_subword_prefix);
  if (m.contains("max_input_chars_per_word")) {
    if (!m["max_input_chars_per_word"].is_number_unsigned())
      throw fail("model.max_input_chars_per_word is not a count");
    st.max_input_chars_per_word =
        static_cast<uint32_t>(std::min<uint64_t>(m["max_input_chars_per_word"].get<uint64_t>(), 0xFFFFFFFFu));
  }

  const json nz = j.value("normalizer", json());
  if (nz.is_null()) {
    st.normalizer = text::BertNormalizerOptions{};
    st.normalizer.clean_text = false;
    st.normalizer.handle_chinese_chars = false;
    st.normalizer.strip_accents = false;
    st.normalizer.lowercase = false;
  } else if (type_of(nz) == "BertNormalizer") {
    st.normalizer = text::BertNormalizerOptions::from_json(nz);
  } else {
    throw Error(ErrorKind::kUnsupported, where + ": normalizer type " + type_of(nz) +
                                             " is not supported (BertNormalizer or null only)");
  }
  const json pt = j.value("pre_tokenizer", json());
  if (type_of(pt) != "BertPreTokenizer") {
    throw Error(ErrorKind::kUnsupported,
                where + ": pre_tokenizer type " + type_of(pt) + " is not supported (BertPreTokenizer only)");
  }
  const json pp = j.value("post_processor", json());
  post_processor = !pp.is_null();
  if (type_of(pp) == "BertProcessing") {
    if (!pp.contains("sep") || !pp.contains("cls") || !pp["sep"].is_array() || !pp["cls"].is_array() ||
        pp["sep"].empty() || pp["cls"].empty() || !pp["sep"][0].is_string() || !pp["cls"][0].is_string()) {
      throw fail("post_processor BertProcessing needs \"sep\" and \"cls\" as [token, id]");
    }
    st.sep_token = pp["sep"][0].get<std::string>();
    st.cls_token = pp["cls"][0].get<std::string>();
  } else if (type_of(pp) == "TemplateProcessing") {
    // transformers' BertConverter form: [CLS]:0 $A:0 [SEP]:0 (and $B:1 [SEP]:1) = BertProcessing.
    const json single = pp.value("single", json::array());
    auto special_id = [](const json& item) {
      return item.is_object() && item.contains("SpecialToken") && item["SpecialToken"].is_object() &&
             item["SpecialToken"].contains("id") && item["SpecialToken"]["id"].is_string();
    };
    if (!single.is_array() || single.size() != 3 || !special_id(single[0]) || !single[1].is_object() ||
        !single[1].contains("Sequence") || !special_id(single[2])) {
      throw Error(ErrorKind::kUnsupported,
                  where + ": TemplateProcessing other than \"[CLS] $A [SEP]\" is not supported");
    }
    st.cls_token = single[0]["SpecialToken"]["id"].get<std::string>();
    st.sep_token = single[2]["SpecialToken"]["id"].get<std::string>();
  } else if (post_processor) {
    throw Error(ErrorKind::kUnsupported,
                where + ": post_processor type " + type_of(pp) +
                    " is not supported (BertProcessing, BERT TemplateProcessing or null)");
  }
  const json dc = j.value("decoder", json());
  decoder = !dc.is_null();
  if (decoder && type_of(dc) != "WordPiece") {
    throw Error(ErrorKind::kUnsupported,
                where + ": decoder type " + type_of(dc) + " is not supported (WordPiece or null)");
  }

  st.special_tokens.clear();
  const json added = j.value("added_tokens", json::array());
  std::vector<std::pair<uint64_t, std::string>> extra;
  for (const json& a : added) {
    if (!a.is_object() || !a.contains("id") || !a.contains("content") || !a["content"].is_string() ||
        !a["id"].is_number_unsigned()) {
      throw fail("added_tokens entries need \"id\" and \"content\"");
    }
    const std::string content = a["content"].get<std::string>();
    const uint64_t id = a["id"].get<uint64_t>();
    if (!a.value("special", false) || a.value("normalized", false) || a.value("single_word", false) ||
        a.value("lstrip", false) || a.value("rstrip", false)) {
      throw Error(
          ErrorKind::kUnsupported,
          where + ": added token " + json(content).dump() +
              " is not a plain special token (special=true, normalized/lstrip/rstrip/single_word=false)");
    }
    if (id < vocab.size()) {
      if (vocab[id] != content) {
        throw fail("added token " + json(content).dump() + " has id " + std::to_string(id) +
                   ", which the vocab gives to " + json(vocab[id]).dump());
      }
    } else {
      extra.emplace_back(id, content);
    }
    st.special_tokens.push_back(content);
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& [id, content] : extra) {
    if (id != vocab.size()) throw fail("added token ids beyond the model vocab must follow it without gaps");
    vocab.push_back(content);
  }
  // pad/mask names are not in tokenizer.json; keep the defaults unless a special token says otherwise.
  for (const auto& s : st.special_tokens) {
    if (s == "[PAD]" || s == "<pad>") st.pad_token = s;
    if (s == "[MASK]" || s == "<mask>") st.mask_token = s;
  }
}

// tokenizer_config.json / special_tokens_map.json fields that matter for encoding. transformers applies
// do_lower_case / strip_accents / tokenize_chinese_chars over tokenizer.json's normalizer, with its own
// defaults (True / None / True) for absent keys; we do the same.
void apply_transformers_config(const fs::path& dir, TokenizerSettings& st) {
  const fs::path cfg_path = dir / "tokenizer_config.json";
  if (fs::exists(cfg_path)) {
    json cfg;
    try {
      cfg = json::parse(read_file(cfg_path));
    } catch (const json::exception& e) {
      throw format_error(cfg_path.string(), 0, std::string("invalid JSON: ") + e.what());
    }
    if (!cfg.is_object()) throw format_error(cfg_path.string(), 0, "expected a JSON object");
    auto flag = [&](const char* key, bool def) {
      if (!cfg.contains(key) || cfg[key].is_null()) return def;
      if (!cfg[key].is_boolean())
        throw format_error(cfg_path.string(), 0, std::string(key) + " is not true/false");
      return cfg[key].get<bool>();
    };
    text::BertNormalizerOptions before = st.normalizer;
    st.normalizer.lowercase = flag("do_lower_case", true);
    st.normalizer.handle_chinese_chars = flag("tokenize_chinese_chars", true);
    if (cfg.contains("strip_accents") && cfg["strip_accents"].is_boolean()) {
      st.normalizer.strip_accents = cfg["strip_accents"].get<bool>();
    } else {
      st.normalizer.strip_accents.reset();
    }
    if (before.lowercase != st.normalizer.lowercase ||
        before.effective_strip_accents() != st.normalizer.effective_strip_accents() ||
        before.handle_chinese_chars != st.normalizer.handle_chinese_chars) {
      log_warn(
          "{}: do_lower_case/strip_accents/tokenize_chinese_chars override the normalizer (as transformers "
          "does)",
          cfg_path.string());
    }
    if (cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
      double v = cfg["model_max_length"].get<double>();
      st.model_max_length = v >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(std::max(1.0, v));
    }
    auto tok = [&](const json& obj, const char* key, std::string& field) {
      if (!obj.contains(key)) return;
      const json& t = obj[key];
      if (t.is_string()) field = t.get<std::string>();
      if (t.is_object() && t.contains("content") && t["content"].is_string())
        field = t["content"].get<std::string>();
    };
    for (const char* k : {"unk_token", "sep_token", "cls_token", "pad_token", "mask_token"}) {
      std::string* field = k[0] == 'u'   ? &st.unk_token
                           : k[0] == 's' ? &st.sep_token
                           : k[0] == 'c' ? &st.cls_token
                           : k[0] == 'p' ? &st.pad_token
                                         : &st.mask_token;
      tok(cfg, k, *field);
    }
  }
}

}  // namespace

Tokenizer Tokenizer::load(const fs::path& path) {
  if (!fs::exists(path)) {
    throw io_error(path.string(), "no such tokenizer (give a folder, a tokenizer.json or a vocab.txt)");
  }
  TokenizerSettings st;
  std::vector<std::string> vocab;
  bool post_processor = true, decoder = true;
  auto load_json = [&](const fs::path& p) {
    json j;
    try {
      j = json::parse(read_file(p));
    } catch (const json::exception& e) {
      throw format_error(p.string(), 0, std::string("invalid JSON: ") + e.what());
    }
    try {
      parse_tokenizer_json(p.string(), j, vocab, st, post_processor, decoder);
    } catch (const json::exception& e) {
      // A field of an unexpected JSON type that the checks above did not name: still an error of this file.
      throw format_error(p.string(), 0, std::string("unexpected tokenizer.json structure: ") + e.what());
    }
  };
  if (fs::is_directory(path)) {
    if (fs::exists(path / "tokenizer.json")) {
      load_json(path / "tokenizer.json");
    } else {
      fs::path vocab_path = path / "vocab.txt";
      if (!fs::exists(vocab_path)) {
        for (const auto& e : fs::directory_iterator(path)) {
          const std::string name = e.path().filename().string();
          if (name.size() > 10 && name.compare(name.size() - 10, 10, "-vocab.txt") == 0)
            vocab_path = e.path();
        }
      }
      if (!fs::exists(vocab_path)) {
        throw io_error(path.string(), "the folder has neither tokenizer.json nor vocab.txt");
      }
      vocab = read_vocab_txt(vocab_path);
    }
    apply_transformers_config(path, st);
  } else {
    const std::string name = path.filename().string();
    if (name == "tokenizer_config.json" || name == "special_tokens_map.json" || name == "config.json") {
      throw config_error("tokenizer",
                         path.string() + " is not a tokenizer; give its folder, tokenizer.json or vocab.txt");
    }
    if (path.extension() == ".json") {
      load_json(path);
    } else {
      vocab = read_vocab_txt(path);
    }
  }
  Tokenizer t = from_vocab(std::move(vocab), std::move(st));
  t.impl_->post_processor = post_processor;
  t.impl_->decoder = decoder;
  if (post_processor && (t.impl_->cls < 0 || t.impl_->sep < 0)) {
    throw format_error(path.string(), 0,
                       "the vocabulary lacks '" + t.impl_->settings.cls_token + "' or '" +
                           t.impl_->settings.sep_token + "', which BERT post-processing needs");
  }
  return t;
}

void Tokenizer::save(const fs::path& dir, const std::string& prefix) const {
  const Impl& im = *impl_;
  const auto& st = im.settings;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) throw io_error(dir.string(), "cannot create the output folder");
  std::string vocab_txt;
  for (uint32_t id = 0; id < im.vocab.size(); ++id) {
    const std::string& t = im.vocab[id];
    if (t.find('\n') != std::string::npos || t.find('\r') != std::string::npos) {
      throw config_error("vocab",
                         "token " + std::to_string(id) + " contains a line break; vocab.txt cannot hold it");
    }
    vocab_txt += t;
    vocab_txt += '\n';
  }
  write_file_atomic(dir / (prefix.empty() ? "vocab.txt" : prefix + "-vocab.txt"), vocab_txt);
  write_file_atomic(dir / "tokenizer.json", to_tokenizer_json());

  json special_map = {{"unk_token", st.unk_token},
                      {"sep_token", st.sep_token},
                      {"pad_token", st.pad_token},
                      {"cls_token", st.cls_token},
                      {"mask_token", st.mask_token}};
  json cfg = special_map;
  cfg["tokenizer_class"] = "BertTokenizer";
  cfg["do_lower_case"] = st.normalizer.lowercase;
  cfg["strip_accents"] = st.normalizer.strip_accents ? json(*st.normalizer.strip_accents) : json();
  cfg["tokenize_chinese_chars"] = st.normalizer.handle_chinese_chars;
  cfg["clean_up_tokenization_spaces"] = true;
  cfg["model_max_length"] = st.model_max_length;
  if (!st.normalizer.clean_text) {
    log_warn(
        "clean_text=false cannot be expressed in tokenizer_config.json; transformers without tokenizer.json "
        "would clean text");
  }
  write_file_atomic(dir / "tokenizer_config.json", cfg.dump(2) + "\n");
  write_file_atomic(dir / "special_tokens_map.json", special_map.dump(2) + "\n");
}

}  // namespace bertforge
