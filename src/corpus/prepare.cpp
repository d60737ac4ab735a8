// corpus/prepare.cpp — `corpus prepare` (see prepare.h): inputs -> documents of sentences -> corpus.txt,
// streamed to a temporary file that is renamed into place only when everything succeeded.
#include "corpus/prepare.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "corpus/sentence_splitter.h"
#include "text/utf8.h"

namespace bertforge {

namespace {

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool has_html_extension(const fs::path& p) {
  std::string ext = lower_extension(p);
  return ext == ".html" || ext == ".htm" || ext == ".xhtml";
}

bool has_text_extension(const fs::path& p) {
  return lower_extension(p) == ".txt";
}

// Writes documents separated by one blank line.
class CorpusWriter {
 public:
  CorpusWriter(AtomicFile& out, PrepareStats& stats, uint64_t min_sentences)
      : out_(out), stats_(stats), min_sentences_(min_sentences) {}
  void document(const std::vector<std::string>& sentences) {
    if (sentences.empty()) {
      ++stats_.empty_documents;
      return;
    }
    if (sentences.size() < min_sentences_) {
      ++stats_.short_documents;
      return;
    }
    if (stats_.documents > 0) out_.write("\n");
    for (const auto& s : sentences) {
      out_.write(s);
      out_.write("\n");
    }
    ++stats_.documents;
    stats_.sentences += sentences.size();
  }

 private:
  AtomicFile& out_;
  PrepareStats& stats_;
  uint64_t min_sentences_;
};

void add_line_sentences(std::string_view line, Script script, std::vector<std::string>& doc,
                        uint64_t& dropped) {
  for (std::string_view s : split_sentences(line)) {
    if (has_letter_of(s, script))
      doc.emplace_back(s);
    else
      ++dropped;
  }
}

// 1-based line and byte column of byte offset `at`, for messages about whole-file inputs.
std::pair<uint64_t, uint64_t> line_and_column(std::string_view data, size_t at) {
  uint64_t line = 1 + std::count(data.begin(), data.begin() + at, '\n');
  size_t line_start = data.rfind('\n', at == 0 ? 0 : at - 1);
  line_start = (line_start == std::string_view::npos || at == 0) ? 0 : line_start + 1;
  return {line, at - line_start + 1};
}

// Applies the invalid-UTF-8/NUL policy to a whole HTML page. Returns false when the page is to be skipped.
bool clean_html_bytes(const fs::path& path, std::string& data, InvalidUtf8Policy policy) {
  size_t bad = text::utf8_find_invalid(data);
  size_t nul = data.find('\0');
  if (bad == std::string::npos && nul == std::string::npos) return true;
  if (policy == InvalidUtf8Policy::kSkip) {
    log_warn("{}: skipped (invalid UTF-8 or NUL bytes; --on-invalid-utf8 skip)", path.string());
    return false;
  }
  if (policy == InvalidUtf8Policy::kError) {
    size_t at = std::min(bad, nul);
    auto [line, column] = line_and_column(data, at);
    if (at == nul)
      throw format_error(path.string(), line,
                         fmt::format("NUL byte at byte {} (is this a binary file? use --on-invalid-utf8 "
                                     "replace|skip)",
                                     column));
    std::string charset = html_declared_charset(data);
    std::string hint;
    if (!charset.empty() && charset != "utf-8" && charset != "utf8")
      hint = fmt::format("; the page declares charset={}: convert it first, e.g. iconv -f {} -t UTF-8",
                         charset, charset);
    throw format_error(
        path.string(), line,
        fmt::format("invalid UTF-8 at byte {} (use --on-invalid-utf8 replace|skip){}", column, hint));
  }
  data = text::utf8_replace_invalid(data);
  // NUL is valid UTF-8 but never text: U+FFFD like the line reader's replace policy.
  for (size_t p = data.find('\0'); p != std::string::npos; p = data.find('\0', p))
    data.replace(p, 1, "\xEF\xBF\xBD");
  return true;
}

// One HTML page's outcome, computed on a worker thread and written in input order by the main thread.
struct HtmlResult {
  std::vector<std::string> sentences;
  uint64_t bytes = 0, dropped = 0;
  bool skipped_invalid = false;
  std::exception_ptr error;
  bool done = false;
};

void process_html(const PrepareInput& in, const CorpusPrepareOptions& o, InvalidUtf8Policy policy,
                  Script script, HtmlResult& r) {
  std::error_code ec;
  uint64_t size = fs::file_size(in.path, ec);
  if (!ec && size > o.max_html_bytes)
    throw format_error(in.path.string(), 0,
                       fmt::format("HTML page is {} bytes, over the limit of {} (raise --max-html-bytes, or "
                                   "pass --format text if it is not HTML)",
                                   size, o.max_html_bytes));
  std::string data = read_file(in.path);
  r.bytes = data.size();
  if (data.size() >= 3 && data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);
  if (!clean_html_bytes(in.path, data, policy)) {
    r.skipped_invalid = true;
    return;
  }
  HtmlTextOptions html_options;
  html_options.keep_code_blocks = o.keep_code_blocks;
  html_options.keep_navigation = o.keep_navigation;
  r.sentences = html_page_sentences(data, html_options, script, &r.dropped);
}

// Parses HTML pages on `threads` workers, at most `window` pages ahead of the writer, so memory stays
// bounded and the output order (hence the corpus) does not depend on the thread count. Text inputs are
// left to the caller (they stream and may be huge).
class HtmlPool {
 public:
  HtmlPool(const std::vector<PrepareInput>& inputs, const CorpusPrepareOptions& o, InvalidUtf8Policy policy,
           Script script, unsigned threads)
      : inputs_(inputs), o_(o), policy_(policy), script_(script), results_(inputs.size()) {
    window_ = std::max<size_t>(4, 4 * threads);
    if (threads <= 1) return;  // run() computes pages inline
    for (unsigned t = 0; t < threads; ++t) workers_.emplace_back([this] { work(); });
  }
  ~HtmlPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // The result for input i (an HTML page); rethrows its error. Call for increasing i, then release(i).
  HtmlResult& get(size_t i) {
    if (workers_.empty()) {
      compute(i);
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return results_[i].done; });
    }
    if (results_[i].error) std::rethrow_exception(results_[i].error);
    return results_[i];
  }
  void release(size_t i) {
    results_[i] = HtmlResult();
    std::lock_guard<std::mutex> lock(mutex_);
    written_ = i + 1;
    space_.notify_all();
  }

 private:
  void compute(size_t i) {
    try {
      process_html(inputs_[i], o_, policy_, script_, results_[i]);
    } catch (...) {
      results_[i].error = std::current_exception();
    }
  }
  void work() {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
          while (next_ < inputs_.size() && !inputs_[next_].html) ++next_;
          if (stop_ || next_ >= inputs_.size()) return;
          if (next_ < written_ + window_) break;
          space_.wait(lock);
        }
        i = next_++;
      }
      compute(i);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        results_[i].done = true;
      }
      done_.notify_all();
    }
  }

  const std::vector<PrepareInput>& inputs_;
  const CorpusPrepareOptions& o_;
  InvalidUtf8Policy policy_;
  Script script_;
  std::vector<HtmlResult> results_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable done_, space_;
  size_t next_ = 0, written_ = 0, window_ = 4;
  bool stop_ = false;
};

void prepare_text(const PrepareInput& in, const CorpusPrepareOptions& o, InvalidUtf8Policy policy,
                  CorpusWriter& writer, PrepareStats& stats) {
  LineReaderOptions lo;
  lo.on_invalid_utf8 = policy;
  lo.max_line_bytes = o.max_line_bytes;
  LineReader reader(in.path, lo);
  ++stats.text_files;
  const Script script = parse_script(o.require_script);
  const uint64_t documents_before = stats.documents;
  std::vector<std::string> doc;
  std::string_view line;
  while (reader.next(line)) {
    std::string clean = collapse_whitespace(line);
    if (clean.empty()) {
      if (o.split_text_on_blank_lines && !doc.empty()) {
        writer.document(doc);
        doc.clear();
      }
      continue;
    }
    add_line_sentences(clean, script, doc, stats.dropped_lines);
  }
  if (!doc.empty())
    writer.document(doc);
  else if (stats.documents == documents_before)
    ++stats.empty_documents;  // the file gave no sentence at all
  stats.input_bytes += reader.bytes_read();
  stats.invalid_lines_skipped += reader.skipped_lines();
}

}  // namespace

void CorpusPrepareOptions::validate() const {
  if (input.empty()) throw config_error("input", "give at least one file or folder (--input PATH...)");
  if (output.empty()) throw config_error("output", "give the corpus file to write (--output corpus.txt)");
  if (format != "auto" && format != "html" && format != "text")
    throw config_error("format", fmt::format("expected auto, html or text, got '{}'", format));
  parse_invalid_utf8_policy(on_invalid_utf8);
  if (max_line_bytes == 0) throw config_error("max_line_bytes", "must be at least 1");
  if (max_html_bytes == 0) throw config_error("max_html_bytes", "must be at least 1");
  parse_script(require_script);
  if (min_sentences == 0) throw config_error("min_sentences", "must be at least 1");
  if (threads < 0) throw config_error("threads", "must be 0 (all cores) or more");
}

nlohmann::json CorpusPrepareOptions::to_json() const {
  return {{"input", input},
          {"output", output},
          {"format", format},
          {"overwrite", overwrite},
          {"on_invalid_utf8", on_invalid_utf8},
          {"max_line_bytes", max_line_bytes},
          {"max_html_bytes", max_html_bytes},
          {"keep_code_blocks", keep_code_blocks},
          {"keep_navigation", keep_navigation},
          {"require_script", require_script},
          {"min_sentences", min_sentences},
          {"threads", threads},
          {"split_text_on_blank_lines", split_text_on_blank_lines}};
}

CorpusPrepareOptions CorpusPrepareOptions::from_json(const nlohmann::json& j) {
  CorpusPrepareOptions o;
  auto get = [&](const char* key, auto& field) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw config_error(key, fmt::format("wrong type: {}", j.at(key).dump()));
    }
  };
  get("input", o.input);
  get("output", o.output);
  get("format", o.format);
  get("overwrite", o.overwrite);
  get("on_invalid_utf8", o.on_invalid_utf8);
  get("max_line_bytes", o.max_line_bytes);
  get("max_html_bytes", o.max_html_bytes);
  get("keep_code_blocks", o.keep_code_blocks);
  get("keep_navigation", o.keep_navigation);
  get("require_script", o.require_script);
  get("min_sentences", o.min_sentences);
  get("threads", o.threads);
  get("split_text_on_blank_lines", o.split_text_on_blank_lines);
  return o;
}

nlohmann::json PrepareStats::to_json() const {
  return {{"html_files", html_files},
          {"text_files", text_files},
          {"ignored_files", ignored_files},
          {"invalid_files_skipped", invalid_files_skipped},
          {"invalid_lines_skipped", invalid_lines_skipped},
          {"empty_documents", empty_documents},
          {"short_documents", short_documents},
          {"documents", documents},
          {"sentences", sentences},
          {"dropped_lines", dropped_lines},
          {"input_bytes", input_bytes},
          {"bytes_written", bytes_written},
          {"seconds", seconds}};
}

std::vector<PrepareInput> collect_prepare_inputs(const CorpusPrepareOptions& o, uint64_t* ignored) {
  std::vector<PrepareInput> out;
  uint64_t left_out = 0;
  std::error_code ec;
  fs::path output_abs = fs::weakly_canonical(fs::absolute(o.output, ec), ec);
  for (const auto& name : o.input) {
    fs::path p(name);
    auto status = fs::status(p, ec);
    if (!fs::exists(status)) throw io_error(name, "no such file or folder (--input)");
    if (!fs::is_directory(status)) {
      bool html = o.format == "html" || (o.format == "auto" && has_html_extension(p));
      out.push_back({p, html});
      continue;
    }
    std::vector<PrepareInput> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end;
    if (ec) throw io_error(name, "cannot read folder: " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) throw io_error(it->path().string(), "cannot read folder: " + ec.message());
      const fs::path& f = it->path();
      if (f.filename().string().rfind('.', 0) == 0) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      if (fs::weakly_canonical(f, ec) == output_abs) continue;  // never read our own output
      bool html = has_html_extension(f), text = has_text_extension(f);
      bool take = o.format == "auto" ? (html || text) : o.format == "html" ? html : text;
      if (!take) {
        ++left_out;
        continue;
      }
      found.push_back({f, o.format == "html" || (o.format == "auto" && html)});
    }
    std::sort(found.begin(), found.end(),
              [](const PrepareInput& a, const PrepareInput& b) { return a.path.native() < b.path.native(); });
    if (found.empty())
      throw io_error(name, fmt::format("folder holds no {} files (--format {})",
                                       o.format == "html"   ? ".html/.htm/.xhtml"
                                       : o.format == "text" ? ".txt"
                                                            : ".html/.htm/.xhtml/.txt",
                                       o.format));
    out.insert(out.end(), found.begin(), found.end());
  }
  if (ignored) *ignored = left_out;
  return out;
}

std::vector<std::string> html_page_sentences(std::string_view html, const HtmlTextOptions& options,
                                             Script script, uint64_t* dropped_lines) {
  std::vector<std::string> doc;
  uint64_t dropped = 0;
  for (const auto& line : html_visible_text(html, options)) add_line_sentences(line, script, doc, dropped);
  if (dropped_lines) *dropped_lines += dropped;
  return doc;
}

PrepareStats prepare_corpus(const CorpusPrepareOptions& o,
                            const std::function<void(size_t, size_t)>& progress) {
  o.validate();
  auto start = std::chrono::steady_clock::now();
  InvalidUtf8Policy policy = parse_invalid_utf8_policy(o.on_invalid_utf8);
  fs::path output(o.output);
  std::error_code ec;
  if (fs::exists(output, ec)) {
    if (fs::is_directory(output, ec))
      throw io_error(o.output, "is a folder; --output names the corpus file to write");
    if (!o.overwrite) throw io_error(o.output, "already exists (pass --overwrite to replace it)");
  }
  PrepareStats stats;
  std::vector<PrepareInput> inputs = collect_prepare_inputs(o, &stats.ignored_files);
  if (output.has_parent_path()) fs::create_directories(output.parent_path(), ec);

  AtomicFile out(output);
  CorpusWriter writer(out, stats, o.min_sentences);
  unsigned threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  bool any_html = std::any_of(inputs.begin(), inputs.end(), [](const PrepareInput& in) { return in.html; });
  HtmlPool pool(inputs, o, policy, parse_script(o.require_script), any_html ? threads : 1);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].html) {
      HtmlResult& r = pool.get(i);
      ++stats.html_files;
      stats.input_bytes += r.bytes;
      stats.dropped_lines += r.dropped;
      if (r.skipped_invalid)
        ++stats.invalid_files_skipped;
      else
        writer.document(r.sentences);
      pool.release(i);
    } else {
      prepare_text(inputs[i], o, policy, writer, stats);
    }
    if (progress) progress(i + 1, inputs.size());
  }
  if (stats.documents == 0)
    throw Error(
        ErrorKind::kFormat,
        fmt::format(
            "no sentence found in {}: nothing to write to {} (are these the right files? --format {})",
            inputs.size() == 1 ? inputs[0].path.string() : fmt::format("{} input file(s)", inputs.size()),
            o.output, o.format));
  stats.bytes_written = out.written();
  out.commit();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace bertforge
