// data/build.cpp — see build.h.
#include "data/build.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "corpus/corpus_reader.h"

namespace bertforge::data {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// An exclusive flock on `<output>.lock`, held for the whole build. The lock file is never deleted: removing
// it while another process waits on it would let a third process lock a different inode.
class BuildLock {
 public:
  explicit BuildLock(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw io_error(path.string(), std::string("cannot create the build lock: ") + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) fail();
      log_info("another build of this dataset is running (lock {}); waiting for it", path.string());
      while (::flock(fd_, LOCK_EX) != 0)
        if (errno != EINTR) fail();
    }
  }
  ~BuildLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  BuildLock(const BuildLock&) = delete;
  BuildLock& operator=(const BuildLock&) = delete;

 private:
  [[noreturn]] void fail() {
    int err = errno;
    ::close(fd_);
    throw io_error(path_.string(), std::string("cannot lock: ") + std::strerror(err));
  }
  fs::path path_;
  int fd_ = -1;
};

// Removes "<target>.tmp-<pid>-<n>" folders whose process is gone: what killed builds left behind.
void remove_stale_temps(const fs::path& target) {
  std::error_code ec;
  const std::string prefix = target.filename().string() + ".tmp-";
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;
    log_info("removing {} left by an interrupted build", entry.path().string());
    fs::remove_all(entry.path(), ec);
  }
}

std::string describe_mismatch(const nlohmann::json& cached, const nlohmann::json& wanted) {
  std::vector<std::string> diffs;
  for (auto it = wanted.begin(); it != wanted.end(); ++it) {
    if (!cached.contains(it.key()))
      diffs.push_back(fmt::format("{} (not in the cached dataset)", it.key()));
    else if (cached.at(it.key()) != it.value())
      diffs.push_back(fmt::format("{}: cached {} vs requested {}", it.key(), cached.at(it.key()).dump(),
                                  it.value().dump()));
  }
  for (auto it = cached.begin(); it != cached.end(); ++it)
    if (!wanted.contains(it.key())) diffs.push_back(fmt::format("{} (only in the cached dataset)", it.key()));
  std::string out;
  for (const auto& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

// Documents of text, tokenized in parallel: a chunk of ~4 MB of corpus at a time.
struct Chunk {
  std::vector<std::vector<std::string>> docs;
  uint64_t bytes_read_after = 0;
};

bool read_chunk(CorpusReader& reader, Chunk& chunk) {
  constexpr size_t kChunkBytes = 4 << 20;
  chunk.docs.clear();
  size_t bytes = 0;
  std::vector<std::string> doc;
  while (bytes < kChunkBytes && reader.next(doc)) {
    for (const auto& s : doc) bytes += s.size() + 1;
    chunk.docs.push_back(std::move(doc));
    doc = {};
  }
  chunk.bytes_read_after = reader.bytes_read();
  return !chunk.docs.empty();
}

template <typename T>
void write_examples(const TokenStore<T>& store, const NspOptions& nsp, const VocabInfo& vocab,
                    DatasetWriter& writer, ProgressBar* bar) {
  uint64_t labels[2] = {0, 0};
  build_examples<T>(
      store, nsp, vocab.sep_id,
      [&](const ExampleSpan& ex, const T* a, const T* b) {
        writer.add(a, ex.a_len, b, ex.b_len, ex.label);
        if (ex.label == 0 || ex.label == 1) ++labels[ex.label];
      },
      [&]() {
        if (bar) bar->advance();
      });
}

template <typename T>
nlohmann::json tokenize_and_write(const DatasetBuildOptions& o, const VocabInfo& vocab,
                                  const EncodeFn& encode, const fs::path& file, const nlohmann::json& key,
                                  BuildResult& result) {
  CorpusReaderOptions ropts;
  ropts.line.on_invalid_utf8 = parse_invalid_utf8_policy(o.on_invalid_utf8);
  std::vector<fs::path> files(o.corpus.begin(), o.corpus.end());
  CorpusReader reader(files, ropts);
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());

  // Phase 1: tokenize into the store.
  auto t0 = Clock::now();
  TokenStore<T> store;
  {
    std::unique_ptr<ProgressBar> bar;
    if (o.progress) bar = std::make_unique<ProgressBar>("tokenizing", reader.total_bytes(), "B");
    Chunk cur, next;
    bool have = read_chunk(reader, cur);
    std::vector<std::vector<uint32_t>> ids(threads);
    std::vector<std::vector<uint32_t>> counts(threads);
    while (have) {
      // Read the next chunk while this one is tokenized.
      auto reading = std::async(std::launch::async, [&]() { return read_chunk(reader, next); });
      std::vector<std::string_view> sentences;
      std::vector<size_t> cut(threads + 1, 0);
      size_t total = 0;
      for (const auto& d : cur.docs)
        for (const auto& s : d) {
          sentences.push_back(s);
          total += s.size() + 1;
        }
      // Equal shares of bytes per thread.
      {
        size_t acc = 0, t = 1;
        for (size_t i = 0; i < sentences.size() && t < threads; ++i) {
          acc += sentences[i].size() + 1;
          while (t < threads && acc >= total * t / threads) cut[t++] = i + 1;
        }
        for (; t <= threads; ++t) cut[t] = sentences.size();
      }
      std::vector<std::exception_ptr> errors(threads);
      auto work = [&](unsigned w) {
        try {
          ids[w].clear();
          counts[w].clear();
          for (size_t i = cut[w]; i < cut[w + 1]; ++i) {
            size_t before = ids[w].size();
            encode(sentences[i], ids[w]);
            counts[w].push_back(static_cast<uint32_t>(ids[w].size() - before));
          }
        } catch (...) {
          errors[w] = std::current_exception();
        }
      };
      std::vector<std::thread> pool;
      for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
      work(0);
      for (auto& th : pool) th.join();
      for (auto& e : errors)
        if (e) {
          reading.wait();
          std::rethrow_exception(e);
        }
      // Merge in corpus order.
      size_t w = 0, k = 0, pos = 0, sent = 0;
      for (const auto& d : cur.docs) {
        for (size_t s = 0; s < d.size(); ++s, ++sent) {
          while (sent >= cut[w + 1]) {
            ++w;
            k = 0;
            pos = 0;
          }
          uint32_t n = counts[w][k++];
          for (uint32_t j = 0; j < n; ++j)
            if (ids[w][pos + j] >= vocab.vocab_size)
              throw Error(ErrorKind::kInternal, fmt::format("tokenizer returned id {} >= vocab size {}",
                                                            ids[w][pos + j], vocab.vocab_size));
          store.add_sentence(ids[w].data() + pos, n);
          pos += n;
        }
        store.end_document();
      }
      result.corpus_bytes = cur.bytes_read_after;
      if (bar) bar->set(cur.bytes_read_after);
      have = reading.get();
      std::swap(cur, next);
    }
    if (bar) bar->finish();
  }
  store.shrink_to_fit();
  result.tokenize_seconds = seconds_since(t0);
  result.corpus_tokens = store.num_tokens();
  result.store_bytes = store.memory_bytes();
  if (reader.skipped_lines() > 0)
    log_warn("skipped {} corpus lines with invalid UTF-8", reader.skipped_lines());
  log_info("tokenized {} in {:.1f} s: {} documents, {} sentences, {} tokens",
           human_bytes(result.corpus_bytes), result.tokenize_seconds, store.num_documents(),
           store.num_sentences(), store.num_tokens());
  if (store.num_documents() == 0)
    throw Error(ErrorKind::kFormat,
                fmt::format("the corpus ({}) has no sentence with a token: nothing to build",
                            o.corpus.empty() ? std::string("no files") : o.corpus.front()));
  if (store.num_documents() == 1 && o.nsp.nsp)
    log_warn("the corpus has a single document: random-next segments come from that same document");

  // Phase 2: examples, streamed to the file.
  auto t1 = Clock::now();
  nlohmann::json meta;
  {
    nlohmann::json metadata = {{"format", "bertforge-dataset"},
                               {"build", key},
                               {"corpus_stats",
                                {{"bytes", result.corpus_bytes},
                                 {"documents", store.num_documents()},
                                 {"sentences", store.num_sentences()},
                                 {"tokens", store.num_tokens()}}}};
    DatasetWriter writer(file, vocab, metadata, o.nsp.nsp);
    std::unique_ptr<ProgressBar> bar;
    if (o.progress)
      bar = std::make_unique<ProgressBar>("building examples", store.num_documents() * o.nsp.dupe_factor,
                                          "docs");
    write_examples(store, o.nsp, vocab, writer, bar.get());
    if (bar) bar->finish();
    meta = writer.finish();
  }
  result.examples_seconds = seconds_since(t1);
  return meta;
}

}  // namespace

void DatasetBuildOptions::validate() const {
  if (corpus.empty()) throw config_error("corpus", "no corpus file given (--corpus FILE...)");
  if (output.empty()) throw config_error("output", "no output folder given (--output DIR)");
  nsp.validate();
  parse_invalid_utf8_policy(on_invalid_utf8);
}

nlohmann::json DatasetBuildOptions::to_json() const {
  nlohmann::json j = nsp.to_json();
  j["corpus"] = corpus;
  j["output"] = output;
  j["overwrite_cache"] = overwrite_cache;
  j["threads"] = threads;
  j["on_invalid_utf8"] = on_invalid_utf8;
  return j;
}

nlohmann::json build_key(const DatasetBuildOptions& o, const VocabInfo& vocab) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& c : o.corpus) {
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(fs::absolute(c), ec);
    if (ec) abs = fs::absolute(c);
    struct stat st;
    if (::stat(abs.c_str(), &st) != 0) throw io_error(c, "corpus file not found");
    int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    files.push_back(
        {{"path", abs.string()}, {"size", static_cast<uint64_t>(st.st_size)}, {"mtime_ns", mtime_ns}});
  }
  nlohmann::json key = o.nsp.to_json();
  key["format_version"] = kFormatVersion;
  key["corpus"] = files;
  key["tokenizer"] = vocab.fingerprint;
  key["vocab_size"] = vocab.vocab_size;
  key["on_invalid_utf8"] = o.on_invalid_utf8;
  return key;
}

BuildResult build_dataset(const DatasetBuildOptions& options, const VocabInfo& vocab,
                          const EncodeFn& encode) {
  options.validate();
  vocab.validate();
  auto t0 = Clock::now();
  std::error_code ec;
  fs::path out = fs::absolute(options.output).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  fs::create_directories(out.parent_path(), ec);
  BuildResult result;
  result.dir = out;

  BuildLock lock(fs::path(out.string() + ".lock"));
  nlohmann::json key = build_key(options, vocab);

  bool exists = fs::exists(out, ec);
  if (exists && fs::is_directory(out, ec) && fs::is_empty(out, ec)) exists = false;
  if (exists) {
    fs::path file = out / kDataFileName;
    if (!fs::exists(file, ec))
      throw io_error(out.string(),
                     "exists and is not a bertforge dataset (no dataset.bin); choose another --output");
    if (!options.overwrite_cache) {
      nlohmann::json meta = read_dataset_metadata(out);  // format_error naming the file when corrupt
      nlohmann::json cached = meta.value("build", nlohmann::json::object());
      if (cached != key)
        throw Error(
            ErrorKind::kConfig,
            fmt::format("{}: the cached dataset was built from different inputs: {}. Pass --overwrite-cache "
                        "to rebuild it, or choose another --output",
                        file.string(), describe_mismatch(cached, key)));
      Dataset check(out);  // verifies the payload checksum too
      log_info("reusing the cached dataset {} ({} examples): same corpus, tokenizer and parameters",
               out.string(), check.size());
      result.reused = true;
      result.metadata = meta;
      result.total_seconds = seconds_since(t0);
      return result;
    }
    log_info("--overwrite-cache: rebuilding {}", out.string());
  }
  remove_stale_temps(out);

  build_dir_atomic(out, true, [&](const fs::path& tmp) {
    fs::path file = tmp / kDataFileName;
    nlohmann::json meta = vocab.vocab_size <= 65536
                              ? tokenize_and_write<uint16_t>(options, vocab, encode, file, key, result)
                              : tokenize_and_write<uint32_t>(options, vocab, encode, file, key, result);
    write_file_atomic(tmp / kMetaFileName, meta.dump(2) + "\n");
    result.metadata = meta;
  });
  result.total_seconds = seconds_since(t0);
  const auto& counts = result.metadata["counts"];
  log_info("wrote {}: {} examples, {} tokens in {:.1f} s ({:.1f} MB/s of corpus)", out.string(),
           counts["examples"].get<uint64_t>(), counts["tokens"].get<uint64_t>(), result.total_seconds,
           result.total_seconds > 0 ? result.corpus_bytes / 1e6 / result.total_seconds : 0.0);
  return result;
}

void write_dataset_from_documents(const fs::path& dir,
                                  const std::vector<std::vector<std::vector<uint32_t>>>& documents,
                                  const NspOptions& options, const VocabInfo& vocab,
                                  const nlohmann::json& extra_build_key) {
  options.validate();
  vocab.validate();
  TokenStore<uint32_t> store;
  for (const auto& doc : documents) {
    for (const auto& s : doc) store.add_sentence(s.data(), s.size());
    store.end_document();
  }
  nlohmann::json key = options.to_json();
  key["format_version"] = kFormatVersion;
  key["tokenizer"] = vocab.fingerprint;
  key["vocab_size"] = vocab.vocab_size;
  if (!extra_build_key.is_null()) key["extra"] = extra_build_key;
  build_dir_atomic(dir, true, [&](const fs::path& tmp) {
    DatasetWriter writer(tmp / kDataFileName, vocab, {{"format", "bertforge-dataset"}, {"build", key}},
                         options.nsp);
    write_examples(store, options, vocab, writer, nullptr);
    nlohmann::json meta = writer.finish();
    write_file_atomic(tmp / kMetaFileName, meta.dump(2) + "\n");
  });
}

}  // namespace bertforge::data
