// tests/unit/data/test_build.cpp — `dataset build` as a library: corpus streaming + parallel tokenization
// (with a toy word-hash encoder standing in for the tokenizer), cache reuse, mismatch errors,
// --overwrite-cache, concurrent builders (threads and processes), interrupted builds, thread-count
// independence.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "data/build.h"
#include "data/format.h"
#include "data_test_util.h"

namespace bertforge::data {
namespace {

using testing::synthetic_vocab;
using testing::TempDir;

// Words -> ids by hash; "" -> nothing. Stands in for Tokenizer::encode_ids.
void toy_encode(std::string_view text, std::vector<uint32_t>& out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i)
      out.push_back(5 + static_cast<uint32_t>(std::hash<std::string_view>()(text.substr(i, j - i)) % 995));
    i = j;
  }
}

void write_corpus(const fs::path& path, uint64_t seed, int docs) {
  Rng rng(seed);
  std::ofstream out(path);
  for (int d = 0; d < docs; ++d) {
    int ns = static_cast<int>(rng.randint(1, 9));
    for (int s = 0; s < ns; ++s) {
      int nw = static_cast<int>(rng.randint(1, 14));
      for (int w = 0; w < nw; ++w) out << (w ? " " : "") << "w" << rng.below(3000);
      out << "\n";
    }
    out << (rng.uniform() < 0.1 ? "\n   \n" : "\n");  // runs of blank / whitespace-only lines
  }
}

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(LogLevel::kWarn);
    write_corpus(tmp_ / "corpus.txt", 1, 400);
    opts_.corpus = {(tmp_ / "corpus.txt").string()};
    opts_.output = (tmp_ / "ds").string();
    opts_.nsp.block_size = 48;
    opts_.progress = false;
    opts_.threads = 2;
  }
  void TearDown() override { set_log_level(LogLevel::kInfo); }
  BuildResult build() { return build_dataset(opts_, vocab_, toy_encode); }
  TempDir tmp_;
  DatasetBuildOptions opts_;
  VocabInfo vocab_ = synthetic_vocab();
};

TEST_F(BuildTest, BuildsThenReusesTheCache) {
  BuildResult first = build();
  EXPECT_FALSE(first.reused);
  EXPECT_GT(first.corpus_bytes, 10000u);
  std::string bytes = testing::file_bytes(tmp_ / "ds" / kDataFileName);
  Dataset ds(tmp_ / "ds");
  EXPECT_GT(ds.size(), 300u);
  EXPECT_EQ(ds.token_width(), 2u);
  EXPECT_TRUE(fs::exists(tmp_ / "ds" / kMetaFileName));
  BuildResult second = build();
  EXPECT_TRUE(second.reused);
  EXPECT_EQ(testing::file_bytes(tmp_ / "ds" / kDataFileName), bytes) << "reuse must not rewrite";
}

TEST_F(BuildTest, SameAsBuildingFromTokenizedDocuments) {
  build();
  // Tokenize the same corpus by hand (blank or whitespace-only line = document boundary).
  testing::Documents docs(1);
  std::ifstream in(tmp_ / "corpus.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(' ') == std::string::npos) {
      if (!docs.back().empty()) docs.emplace_back();
      continue;
    }
    std::vector<uint32_t> ids;
    toy_encode(line, ids);
    docs.back().push_back(ids);
  }
  write_dataset_from_documents(tmp_ / "ref", docs, opts_.nsp, vocab_);
  Dataset a(tmp_ / "ds"), b(tmp_ / "ref");
  ASSERT_EQ(a.size(), b.size());
  std::vector<int64_t> ia, ta, ib, tb;
  for (uint64_t i = 0; i < a.size(); ++i) {
    a.assemble(i, ia, ta);
    b.assemble(i, ib, tb);
    ASSERT_EQ(ia, ib) << i;
    ASSERT_EQ(ta, tb);
    ASSERT_EQ(a.example(i).label, b.example(i).label);
  }
}

TEST_F(BuildTest, ThreadCountDoesNotChangeTheBytes) {
  opts_.threads = 1;
  build();
  std::string one = testing::file_bytes(tmp_ / "ds" / kDataFileName);
  opts_.threads = 3;
  opts_.overwrite_cache = true;
  build();
  EXPECT_EQ(testing::file_bytes(tmp_ / "ds" / kDataFileName), one);
}

TEST_F(BuildTest, DifferentParametersAreAnErrorNamingThem) {
  build();
  opts_.nsp.block_size = 64;
  try {
    build();
    FAIL() << "a different block size must not reuse the cache";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("block_size"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--overwrite-cache"), std::string::npos) << msg;
  }
  opts_.overwrite_cache = true;
  BuildResult r = build();
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(Dataset(tmp_ / "ds").metadata()["build"]["block_size"], 64);
}

TEST_F(BuildTest, DifferentTokenizerOrCorpusIsAMismatch) {
  build();
  VocabInfo other = vocab_;
  other.fingerprint = "another-tokenizer";
  try {
    build_dataset(opts_, other, toy_encode);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer"), std::string::npos) << e.what();
  }
  std::ofstream(tmp_ / "corpus.txt", std::ios::app) << "one more sentence\n";
  try {
    build();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corpus"), std::string::npos) << e.what();
  }
}

TEST_F(BuildTest, CorruptCacheIsAnErrorNamingTheFile) {
  build();
  fs::path file = tmp_ / "ds" / kDataFileName;
  std::string b = testing::file_bytes(file);
  b[b.size() / 2] ^= 0x40;
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(b.data(), static_cast<std::streamsize>(b.size()));
  try {
    build();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
  opts_.overwrite_cache = true;
  EXPECT_NO_THROW(build());
  EXPECT_NO_THROW(Dataset ds(tmp_ / "ds"));
}

TEST_F(BuildTest, InterruptedBuildLeavesNothingThatLooksComplete) {
  std::atomic<int> calls{0};
  EncodeFn failing = [&](std::string_view text, std::vector<uint32_t>& out) {
    if (++calls > 500) throw Error(ErrorKind::kIo, "simulated crash");
    toy_encode(text, out);
  };
  EXPECT_THROW(build_dataset(opts_, vocab_, failing), Error);
  EXPECT_FALSE(fs::exists(tmp_ / "ds"));
  for (const auto& e : fs::directory_iterator(tmp_.path()))
    EXPECT_EQ(e.path().filename().string().find("ds.tmp-"), std::string::npos) << e.path();
  // A temp folder left by a killed process (dead pid) is cleaned up by the next build.
  fs::create_directories(tmp_ / "ds.tmp-999999999-0");
  std::ofstream(tmp_ / "ds.tmp-999999999-0" / kDataFileName) << "half";
  build();
  EXPECT_FALSE(fs::exists(tmp_ / "ds.tmp-999999999-0"));
}

TEST_F(BuildTest, ConcurrentBuildersInThreadsSerialize) {
  std::atomic<int> built{0}, reused{0};
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(3);
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t]() {
      try {
        BuildResult r = build_dataset(opts_, vocab_, toy_encode);
        (r.reused ? reused : built)++;
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& th : threads) th.join();
  for (auto& e : errors) EXPECT_FALSE(e);
  EXPECT_EQ(built, 1);
  EXPECT_EQ(reused, 2);
  EXPECT_NO_THROW(Dataset ds(tmp_ / "ds"));
}

TEST_F(BuildTest, ConcurrentBuildersInProcessesSerialize) {
  // Two child processes build the same output; exactly one builds, the other waits and reuses.
  fs::path marks = tmp_ / "marks";
  fs::create_directories(marks);
  std::vector<pid_t> kids;
  for (int k = 0; k < 2; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 1;
      try {
        BuildResult r = build_dataset(opts_, vocab_, toy_encode);
        std::ofstream(marks / (std::to_string(::getpid()) + (r.reused ? ".reused" : ".built"))) << "x";
        code = 0;
      } catch (...) {
      }
      ::_exit(code);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int built = 0, reused = 0;
  for (const auto& e : fs::directory_iterator(marks)) (e.path().extension() == ".built" ? built : reused)++;
  EXPECT_EQ(built, 1);
  EXPECT_EQ(reused, 1);
}

TEST_F(BuildTest, EmptyCorpusIsAnError) {
  std::ofstream(tmp_ / "empty.txt") << "\n\n   \n";
  opts_.corpus = {(tmp_ / "empty.txt").string()};
  EXPECT_THROW(build(), Error);
  EXPECT_FALSE(fs::exists(tmp_ / "ds"));
}

TEST_F(BuildTest, OutputThatIsNotADatasetIsRefused) {
  fs::create_directories(tmp_ / "ds");
  std::ofstream(tmp_ / "ds" / "precious.txt") << "user data";
  opts_.overwrite_cache = true;
  EXPECT_THROW(build(), Error);
  EXPECT_TRUE(fs::exists(tmp_ / "ds" / "precious.txt"));
}

TEST_F(BuildTest, MultipleCorpusFilesAndNoNsp) {
  write_corpus(tmp_ / "b.txt", 2, 50);
  opts_.corpus.push_back((tmp_ / "b.txt").string());
  opts_.nsp.nsp = false;
  build();
  Dataset ds(tmp_ / "ds");
  EXPECT_FALSE(ds.has_nsp());
  for (uint64_t i = 0; i + 1 < ds.size(); ++i) ASSERT_EQ(ds.length(i), 48u);
  EXPECT_EQ(ds.metadata()["build"]["corpus"].size(), 2u);
}

}  // namespace
}  // namespace bertforge::data
