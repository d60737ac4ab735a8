// tools/bertforge/tokenize.cpp — `bertforge tokenize`: run a trained tokenizer on a sentence (prints tokens
// and ids) or on a whole file (one JSON line per input line), to inspect what the model will see.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "corpus/line_reader.h"
#include "text/utf8.h"
#include "tokenizers/tokenizer.h"

namespace bertforge::cli {
namespace {

struct TokenizeOptions {
  std::string tokenizer;                   // folder, tokenizer.json or vocab.txt
  std::string text;                        // sentence to encode (positional)
  std::string pair;                        // optional second sentence (type id 1)
  bool no_special_tokens = false;          // do not add [CLS]/[SEP]
  bool json = false;                       // print the encoding as JSON instead of text
  std::string input;                       // file to encode line by line
  std::string output;                      // JSONL output for --input
  unsigned threads = 0;                    // encoding threads for --input (0 = all cores)
  std::string on_invalid_utf8 = "error";   // error | replace | skip
  uint64_t max_line_bytes = 256ull << 20;  // longer input lines are an error

  void validate() const {
    if (tokenizer.empty()) throw Error(ErrorKind::kUsage, "--tokenizer is required");
    if (input.empty() && !output.empty()) throw Error(ErrorKind::kUsage, "--output needs --input FILE");
    if (!input.empty() && output.empty()) throw Error(ErrorKind::kUsage, "--input needs --output OUT.jsonl");
    if (!input.empty() && (!text.empty() || !pair.empty())) {
      throw Error(ErrorKind::kUsage, "give either TEXT or --input FILE, not both");
    }
    if (input.empty() && text.empty() && pair.empty()) {
      throw Error(ErrorKind::kUsage, "nothing to tokenize: give TEXT or --input FILE --output OUT.jsonl");
    }
    parse_invalid_utf8_policy(on_invalid_utf8);
  }
  nlohmann::json to_json() const {
    return {{"tokenizer", tokenizer},
            {"input", input},
            {"output", output},
            {"threads", threads},
            {"on_invalid_utf8", on_invalid_utf8},
            {"add_special_tokens", !no_special_tokens}};
  }
};

// JSON string with raw UTF-8 (inputs are validated UTF-8), escaping only what JSON requires.
void put_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

void put_encoding_json(std::string& out, const Encoding& e, bool full) {
  out += "{\"tokens\":[";
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    if (i) out.push_back(',');
    put_json_string(out, e.tokens[i]);
  }
  auto put_list = [&](const char* key, const auto& v) {
    out += "],\"";
    out += key;
    out += "\":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out.push_back(',');
      out += std::to_string(static_cast<uint64_t>(v[i]));
    }
  };
  put_list("ids", e.ids);
  put_list("type_ids", e.type_ids);
  out += "],\"offsets\":[";
  for (size_t i = 0; i < e.offsets.size(); ++i) {
    if (i) out.push_back(',');
    out += "[" + std::to_string(e.offsets[i].first) + "," + std::to_string(e.offsets[i].second) + "]";
  }
  if (full) {
    put_list("special_tokens_mask", e.special_tokens_mask);
    put_list("attention_mask", e.attention_mask);
  }
  out += "]}";
}

void check_text_arg(const std::string& s, const char* what) {
  size_t bad = text::utf8_find_invalid(s);
  if (bad != std::string::npos) {
    throw Error(ErrorKind::kUsage,
                std::string(what) + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
}

void run_sentence(const TokenizeOptions& o, const Tokenizer& tok) {
  check_text_arg(o.text, "TEXT");
  check_text_arg(o.pair, "--pair");
  const bool special = !o.no_special_tokens;
  Encoding e = o.pair.empty() ? tok.encode(o.text, special) : tok.encode_pair(o.text, o.pair, special);
  std::string out;
  if (o.json) {
    put_encoding_json(out, e, true);
    out.push_back('\n');
  } else {
    out += "tokens:";
    for (const auto& t : e.tokens) out += " " + t;
    out += "\nids:";
    for (uint32_t id : e.ids) out += " " + std::to_string(id);
    if (!o.pair.empty()) {
      out += "\ntype_ids:";
      for (uint32_t id : e.type_ids) out += " " + std::to_string(id);
    }
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void run_file(const TokenizeOptions& o, const Tokenizer& tok) {
  const fs::path in = o.input, out_path = o.output;
  require_file(in, "--input");
  if (fs::file_size(in) == 0) throw io_error(in.string(), "the input file is empty (nothing to tokenize)");
  LineReaderOptions ro;
  ro.on_invalid_utf8 = parse_invalid_utf8_policy(o.on_invalid_utf8);
  ro.max_line_bytes = o.max_line_bytes;
  ro.validate();
  LineReader reader(in, ro);

  const fs::path tmp = temp_sibling(out_path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw io_error(out_path.string(), "cannot create the output file");
  auto fail_cleanup = [&]() {
    std::fclose(f);
    std::error_code ec;
    fs::remove(tmp, ec);
  };
  uint64_t lines = 0, tokens = 0;
  try {
    ProgressBar bar("tokenize", reader.file_size(), "B");
    const bool special = !o.no_special_tokens;
    std::vector<std::string> batch;
    std::string buf;
    std::string_view line;
    bool more = true;
    while (more) {
      batch.clear();
      size_t bytes = 0;
      while (batch.size() < 8192 && bytes < (8u << 20) && (more = reader.next(line))) {
        batch.emplace_back(line);
        bytes += line.size();
      }
      if (batch.empty()) break;
      std::vector<Encoding> encs = tok.encode_batch(batch, special, o.threads);
      buf.clear();
      for (const Encoding& e : encs) {
        put_encoding_json(buf, e, false);
        buf.push_back('\n');
        tokens += e.ids.size();
      }
      lines += batch.size();
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        throw io_error(out_path.string(), "write failed (disk full?)");
      }
      bar.set(reader.bytes_read());
    }
    bar.finish();
    if (std::fflush(f) != 0) throw io_error(out_path.string(), "write failed (disk full?)");
  } catch (...) {
    fail_cleanup();
    throw;
  }
  std::fclose(f);
  std::error_code ec;
  fs::rename(tmp, out_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw io_error(out_path.string(), "cannot rename the output into place");
  }
  if (reader.skipped_lines()) {
    log_warn("{}: skipped {} line(s) with invalid UTF-8 (--on-invalid-utf8 skip)", in.string(),
             reader.skipped_lines());
  }
  log_info("tokenized {} lines into {} tokens -> {}", lines, tokens, out_path.string());
}

std::function<void()> setup(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  add_option(app, "tokenizer", o->tokenizer, "Tokenizer folder, tokenizer.json or vocab.txt")->required();
  app.add_option("text", o->text, "Sentence to tokenize");
  add_option(app, "pair", o->pair, "Second sentence of a pair (type id 1)");
  app.add_flag("--no-special-tokens,--no_special_tokens", o->no_special_tokens, "Do not add [CLS]/[SEP]");
  app.add_flag("--json", o->json, "Print the encoding as one JSON object (with masks)");
  add_option(app, "input", o->input, "Text file to tokenize, one sentence per line");
  add_option(app, "output", o->output, "JSONL output for --input (one line per input line)");
  add_option(app, "threads", o->threads, "Encoding threads for --input (0 = all cores)");
  add_option(app, "on_invalid_utf8", o->on_invalid_utf8,
             "Bad UTF-8 lines in --input: error | replace | skip");
  add_option(app, "max_line_bytes", o->max_line_bytes, "Longest accepted input line in bytes");
  add_config_option(app);
  return [o]() {
    o->validate();
    Tokenizer tok = Tokenizer::load(o->tokenizer);
    if (o->input.empty()) {
      run_sentence(*o, tok);
    } else {
      print_effective_config("tokenize", o->to_json());
      run_file(*o, tok);
    }
  };
}

}  // namespace

BERTFORGE_COMMAND("tokenize", "Tokenize a sentence or a file with a trained tokenizer (tokens, ids, offsets)",
                  setup);

}  // namespace bertforge::cli
