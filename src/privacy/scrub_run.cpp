// privacy/scrub_run.cpp — the `bertforge scrub` run: reads corpus files line by line (corpus/line_reader.h),
// scrubs chunks of about 1 MiB of lines on worker threads (each with its own Scrubber), writes the chunks
// back in input order to a temporary file that is renamed over --output only when everything succeeded,
// and writes the JSON report (counts only, never a value, never the pseudonym seed).
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "corpus/line_reader.h"
#include "privacy/scrub.h"
#include "text/utf8.h"

namespace bertforge::privacy {

// ---- options ----

void ScrubOptions::validate() const {
  if (input.empty()) throw config_error("input", "no input file given (--input FILE...)");
  if (output.empty()) throw config_error("output", "no output file given (--output FILE)");
  if (mode != "mask" && mode != "pseudonymize")
    throw config_error("mode", "must be 'mask' or 'pseudonymize', got '" + mode + "'");
  if (types.empty() && terms.empty())
    throw config_error("types", "no type to scrub (--types email,phone,...)");
  for (auto& t : types) {
    PiiType type = parse_pii_type(t);
    if (type == PiiType::kName && terms.empty())
      throw config_error("types", "'terms' needs a list of names: --terms FILE (one name or term per line)");
  }
  if (threads < 0) throw config_error("threads", "must be >= 0 (0 = all cores)");
  if (chunk_bytes == 0) throw config_error("chunk_bytes", "must be > 0");
  parse_invalid_utf8_policy(on_invalid_utf8);
  if (!report.empty() && fs::path(report) == fs::path(output))
    throw config_error("report", "--report and --output name the same file");
}

ScrubRules ScrubOptions::make_rules() const {
  ScrubRules r;
  for (auto& t : types) r.enabled[static_cast<size_t>(parse_pii_type(t))] = true;
  r.mode = mode == "pseudonymize" ? ScrubMode::kPseudonymize : ScrubMode::kMask;
  r.seed = seed;
  if (!terms.empty()) {
    require_file(terms, "--terms file");
    r.enabled[static_cast<size_t>(PiiType::kName)] = true;
    std::string data = read_file(terms);
    std::set<std::string> seen;
    size_t line_no = 0, pos = 0;
    if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
    while (pos < data.size()) {
      size_t nl = data.find('\n', pos);
      if (nl == std::string::npos) nl = data.size();
      std::string_view line(data.data() + pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      size_t bad = text::utf8_find_invalid(line);
      if (bad != std::string_view::npos)
        throw format_error(terms, line_no,
                           fmt::format("invalid UTF-8 at byte {} in the --terms file", bad + 1));
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (line.empty() || line.front() == '#') continue;
      if (seen.insert(std::string(line)).second) r.terms.emplace_back(line);
    }
    if (r.terms.empty())
      log_warn("--terms file {} holds no terms (blank lines and '#' comments only)", terms);
  }
  return r;
}

void to_json(nlohmann::json& j, const ScrubOptions& o) {
  // The seed is left out on purpose: it keys the pseudonyms, and with it a fake phone number or RRN can be
  // traced back by hashing every candidate value.
  j = nlohmann::json{{"input", o.input},         {"output", o.output},
                     {"report", o.report},       {"types", o.types},
                     {"mode", o.mode},           {"terms", o.terms},
                     {"threads", o.threads},     {"on_invalid_utf8", o.on_invalid_utf8},
                     {"overwrite", o.overwrite}, {"chunk_bytes", o.chunk_bytes}};
}

void from_json(const nlohmann::json& j, ScrubOptions& o) {
  ScrubOptions d;
  o.input = j.value("input", d.input);
  o.output = j.value("output", d.output);
  o.report = j.value("report", d.report);
  o.types = j.value("types", d.types);
  o.mode = j.value("mode", d.mode);
  o.terms = j.value("terms", d.terms);
  o.seed = j.value("seed", d.seed);
  o.threads = j.value("threads", d.threads);
  o.on_invalid_utf8 = j.value("on_invalid_utf8", d.on_invalid_utf8);
  o.overwrite = j.value("overwrite", d.overwrite);
  o.chunk_bytes = j.value("chunk_bytes", d.chunk_bytes);
}

// ---- report ----

nlohmann::json ScrubReport::to_json(const ScrubOptions& options) const {
  nlohmann::json files_json = nlohmann::json::array();
  for (auto& f : files)
    files_json.push_back({{"path", f.path},
                          {"lines", f.lines},
                          {"bytes", f.bytes},
                          {"skipped_lines", f.skipped_lines},
                          {"findings", f.counts.to_json()}});
  ScrubRules rules = options.make_rules();
  nlohmann::json types = nlohmann::json::array();
  for (size_t i = 0; i < kNumPiiTypes; ++i)
    if (rules.enabled[i]) types.push_back(pii_type_name(static_cast<PiiType>(i)));
  return {{"report", "bertforge scrub"},
          {"format_version", 1},
          {"mode", options.mode},
          {"types", types},
          {"terms_count", rules.terms.size()},
          {"output", options.output},
          {"threads", threads},
          {"files", files_json},
          {"totals",
           {{"lines", lines},
            {"bytes", bytes},
            {"skipped_lines", skipped_lines},
            {"findings", counts.to_json()}}},
          {"seconds", seconds},
          {"mb_per_s", seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0}};
}

namespace {

struct Chunk {
  size_t file = 0;
  uint64_t lines = 0;
  std::string text, out;
  FindingCounts counts;
  bool done = false;
  std::exception_ptr error;
};

// Scrubs chunks on `threads` workers and hands them to `sink` in submission order, with a bounded number in
// flight so memory stays at a few MiB per thread whatever the corpus size.
class OrderedPool {
 public:
  OrderedPool(const ScrubRules& rules, int threads, std::function<void(Chunk&)> sink)
      : sink_(std::move(sink)), max_inflight_(static_cast<size_t>(threads) * 2 + 2) {
    for (int i = 0; i < threads; ++i) scrubbers_.push_back(std::make_unique<Scrubber>(rules));
    if (threads > 1)
      for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { work(*scrubbers_[i]); });
  }
  ~OrderedPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void submit(std::unique_ptr<Chunk> chunk) {
    if (workers_.empty()) {
      scrubbers_[0]->scrub(chunk->text, chunk->out, chunk->counts);
      sink_(*chunk);
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    while (inflight_.size() >= max_inflight_) {
      done_cv_.wait(lock, [&] { return inflight_.front()->done; });
      drain_locked(lock);
    }
    todo_.push_back(chunk.get());
    inflight_.push_back(std::move(chunk));
    work_cv_.notify_one();
    drain_locked(lock);
  }

  void finish() {
    if (workers_.empty()) return;
    std::unique_lock<std::mutex> lock(mu_);
    while (!inflight_.empty()) {
      done_cv_.wait(lock, [&] { return inflight_.front()->done; });
      drain_locked(lock);
    }
  }

 private:
  // Writes every finished chunk at the front, in order; the sink runs without the lock.
  void drain_locked(std::unique_lock<std::mutex>& lock) {
    while (!inflight_.empty() && inflight_.front()->done) {
      std::unique_ptr<Chunk> c = std::move(inflight_.front());
      inflight_.pop_front();
      lock.unlock();
      if (c->error) std::rethrow_exception(c->error);
      sink_(*c);
      lock.lock();
    }
  }

  void work(const Scrubber& scrubber) {
    for (;;) {
      Chunk* c;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        c = todo_.front();
        todo_.pop_front();
      }
      try {
        scrubber.scrub(c->text, c->out, c->counts);
      } catch (...) {
        c->error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        c->done = true;
      }
      done_cv_.notify_all();
    }
  }

  std::function<void(Chunk&)> sink_;
  size_t max_inflight_;
  std::vector<std::unique_ptr<Scrubber>> scrubbers_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Chunk*> todo_;
  std::deque<std::unique_ptr<Chunk>> inflight_;
  bool stop_ = false;
};

}  // namespace

ScrubReport run_scrub(const ScrubOptions& options) {
  options.validate();
  auto start = std::chrono::steady_clock::now();
  uint64_t total_bytes = 0;
  for (auto& in : options.input) {
    require_file(in, "--input file");
    std::error_code ec;
    total_bytes += fs::file_size(in, ec);
  }
  for (auto& [path, flag] : {std::pair{options.output, "--output"}, std::pair{options.report, "--report"}}) {
    std::error_code ec;
    if (!path.empty() && fs::exists(path, ec) && !options.overwrite)
      throw Error(ErrorKind::kUsage,
                  fmt::format("{} {} already exists (add --overwrite to replace it)", flag, path));
  }
  ScrubRules rules = options.make_rules();
  LineReaderOptions reader_options;
  reader_options.on_invalid_utf8 = parse_invalid_utf8_policy(options.on_invalid_utf8);

  ScrubReport report;
  report.threads = options.threads > 0 ? options.threads
                                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (auto& in : options.input) {
    ScrubFileStats f;
    f.path = in;
    report.files.push_back(f);
  }

  fs::path out_path(options.output);
  if (out_path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(out_path.parent_path(), ec);
  }
  AtomicFile out(out_path);
  ProgressBar bar("scrub", total_bytes, "B");
  {
    OrderedPool pool(rules, report.threads, [&](Chunk& c) {
      out.write(c.out);
      ScrubFileStats& f = report.files[c.file];
      f.lines += c.lines;
      f.counts.add(c.counts);
      bar.advance(c.text.size());
    });
    bool previous_ends_document = true;  // no blank line needed before the first file
    for (size_t fi = 0; fi < options.input.size(); ++fi) {
      LineReader reader(options.input[fi], reader_options);
      auto chunk = std::make_unique<Chunk>();
      chunk->file = fi;
      std::string_view line;
      bool first = true, last_nonempty = false;
      while (reader.next(line)) {
        // Files are concatenated; a blank line between them keeps the last document of one file from
        // running into the first document of the next.
        if (first && !previous_ends_document) chunk->text.push_back('\n');
        first = false;
        chunk->text.append(line.data(), line.size());
        chunk->text.push_back('\n');
        ++chunk->lines;
        last_nonempty = !line.empty();
        if (chunk->text.size() >= options.chunk_bytes) {
          chunk->out.reserve(chunk->text.size() + chunk->text.size() / 8);
          pool.submit(std::move(chunk));
          chunk = std::make_unique<Chunk>();
          chunk->file = fi;
        }
      }
      if (!chunk->text.empty()) pool.submit(std::move(chunk));
      if (!first) previous_ends_document = !last_nonempty;
      report.files[fi].bytes = reader.bytes_read();
      report.files[fi].skipped_lines = reader.skipped_lines();
    }
    pool.finish();
  }
  out.commit();
  bar.finish();
  for (auto& f : report.files) {
    report.lines += f.lines;
    report.bytes += f.bytes;
    report.skipped_lines += f.skipped_lines;
    report.counts.add(f.counts);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!options.report.empty()) write_file_atomic(options.report, report.to_json(options).dump(2) + "\n");
  return report;
}

}  // namespace bertforge::privacy
