// tests/unit/tokenizers/test_trainer_counting.cpp — the trainer's parallel word counting over files: the
// same words, counts and first-occurrence order as plain per-line BertNormalizer + BertPreTokenizer,
// whatever the thread count; bad input (missing/empty files, invalid UTF-8) gives clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "tokenizers/wordpiece_trainer.h"

namespace bertforge {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("bf_trainer_count_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path file(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

// Lines mixing what changes word boundaries: Hangul, CJK (isolated), accents, punctuation, tabs,
// zero-width and control chars that are deleted (they JOIN the words around them), NBSP and U+3000
// (separators), a BOM inside a line (deleted), CR. (NUL bytes are the line reader's business: an error
// by default.)
std::vector<std::string> tricky_lines(size_t n) {
  const std::vector<std::string> pieces = {"이순신은",
                                           "조선",
                                           "중기의",
                                           "무신이다.",
                                           "셀을",
                                           "병합하면",
                                           "中文字",
                                           "漢字와",
                                           "Élan",
                                           "école",
                                           "CAFÉ",
                                           "naïve",
                                           "e\xCC\x81"
                                           "cole",
                                           "don't",
                                           "a,b;c",
                                           "(괄호)",
                                           "x\xE2\x80\x8By",
                                           "a\x0b"
                                           "b",
                                           "c\x0c"
                                           "d",
                                           "nb\xC2\xA0sp",
                                           "wide\xE3\x80\x80sp",
                                           "ΣΑΣ",
                                           "İstanbul",
                                           "ﬁne",
                                           "123",
                                           "3.14",
                                           "?!?",
                                           "\xEF\xBB\xBF"
                                           "bom",
                                           "tab\there",
                                           "cr\rhere",
                                           "ㄱㄴ",
                                           "ᄒᆞᆫ",
                                           "가나다라마바사",
                                           "﻿",
                                           "\xF0\x9F\x98\x80"
                                           "emoji",
                                           "a-b-c",
                                           "--",
                                           "…"};
  std::vector<std::string> lines;
  uint64_t x = 42;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    size_t words = (x >> 58) % 12;
    std::string line;
    for (size_t k = 0; k < words; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      if (k) line += ((x >> 20) % 7 == 0) ? "  " : " ";
      const std::string& piece = pieces[(x >> 33) % pieces.size()];
      // The line reader skips a BOM at the start of a file; keep it out of line starts.
      line += (line.empty() && piece.compare(0, 3, "\xEF\xBB\xBF") == 0) ? std::string("시작") : piece;
      if ((x >> 50) % 5 == 0) line += std::to_string((x >> 40) % 100);
    }
    lines.push_back(line);
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines, size_t begin, size_t end, const char* eol) {
  std::string s;
  for (size_t i = begin; i < end; ++i) s += lines[i] + eol;
  return s;
}

void expect_same(const WordCounts& a, const WordCounts& b) {
  ASSERT_EQ(a.words.size(), b.words.size());
  for (size_t i = 0; i < a.words.size(); ++i) {
    ASSERT_EQ(a.words[i], b.words[i]) << "word " << i;
    ASSERT_EQ(a.counts[i], b.counts[i]) << "word " << a.words[i];
  }
  EXPECT_EQ(a.total_words, b.total_words);
}

TEST(TrainerCounting, FilesMatchPerLineNormalizationForEveryThreadCount) {
  TempDir dir;
  auto lines = tricky_lines(60000);  // ~1.8 MB over two files: several 1 MiB chunks
  std::vector<fs::path> files = {dir.file("a.txt", join_lines(lines, 0, 25000, "\n")),
                                 dir.file("b.txt", join_lines(lines, 25000, lines.size(), "\r\n"))};
  for (int variant = 0; variant < 3; ++variant) {
    WordPieceTrainerOptions o;
    if (variant == 1) {
      o.normalizer.lowercase = true;  // strip_accents unset -> strips (NFD + drop Mn)
    } else if (variant == 2) {
      o.normalizer.clean_text = false;
      o.normalizer.handle_chinese_chars = false;
    }
    // The BOM in the line reader is only skipped at the start of a file; none here starts with one.
    WordCounts expected = count_words_in_lines(lines, o.normalizer);
    for (unsigned threads : {1u, 2u, 3u}) {
      o.threads = threads;
      WordCounts got = count_words_in_files(files, o);
      SCOPED_TRACE("variant " + std::to_string(variant) + " threads " + std::to_string(threads));
      expect_same(got, expected);
      EXPECT_EQ(got.lines, lines.size());
    }
  }
}

TEST(TrainerCounting, TrainingIsIdenticalAcrossThreadCounts) {
  TempDir dir;
  auto lines = tricky_lines(20000);
  auto file = dir.file("c.txt", join_lines(lines, 0, lines.size(), "\n"));
  WordPieceTrainerOptions o;
  o.vocab_size = 600;
  o.min_frequency = 1;
  o.threads = 1;
  auto one = WordPieceTrainer(o).train(count_words_in_files({file}, o));
  o.threads = 4;
  auto four = WordPieceTrainer(o).train(count_words_in_files({file}, o));
  EXPECT_EQ(one.vocab, four.vocab);
  EXPECT_EQ(one.vocab.size(), 600u);
}

TEST(TrainerCounting, SampleIsSpreadOverTheCorpus) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "line " + std::to_string(i) + "\n";
  auto file = dir.file("s.txt", text);
  std::vector<std::string> sample;
  WordPieceTrainerOptions o;
  count_words_in_files({file}, o, {}, &sample, 10);
  ASSERT_EQ(sample.size(), 10u);
  EXPECT_EQ(sample.front(), "line 0");
  EXPECT_GT(std::stoi(sample.back().substr(5)), 8000);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TrainerCounting, MissingAndEmptyFilesAreNamed) {
  TempDir dir;
  WordPieceTrainerOptions o;
  auto missing = dir.path() / "nope.txt";
  EXPECT_NE(error_of([&] { count_words_in_files({missing}, o); }).find("nope.txt"), std::string::npos);
  auto empty = dir.file("empty.txt", "");
  std::string e = error_of([&] { count_words_in_files({empty}, o); });
  EXPECT_NE(e.find("empty.txt"), std::string::npos);
  EXPECT_NE(e.find("empty"), std::string::npos);
  EXPECT_NE(error_of([&] { count_words_in_files({}, o); }), "");
}

TEST(TrainerCounting, InvalidUtf8PoliciesNameFileAndLine) {
  TempDir dir;
  auto bad = dir.file("bad.txt", "좋은 줄\n두번째 \xFF\xFE 줄\n세번째\n");
  WordPieceTrainerOptions o;
  o.threads = 2;
  std::string e = error_of([&] { count_words_in_files({bad}, o); });
  EXPECT_NE(e.find("bad.txt:2"), std::string::npos) << e;

  o.on_invalid_utf8 = InvalidUtf8Policy::kSkip;
  auto skipped = count_words_in_files({bad}, o);
  EXPECT_EQ(skipped.skipped_lines, 1u);
  EXPECT_EQ(skipped.words, (std::vector<std::string>{"좋은", "줄", "세번째"}));

  o.on_invalid_utf8 = InvalidUtf8Policy::kReplace;  // U+FFFD is then removed by clean_text
  auto replaced = count_words_in_files({bad}, o);
  EXPECT_EQ(replaced.words, (std::vector<std::string>{"좋은", "줄", "두번째", "세번째"}));
  EXPECT_EQ(replaced.counts, (std::vector<uint64_t>{1, 2, 1, 1}));
}

TEST(TrainerCounting, WhitespaceOnlyCorpusHasNoWordsAndTrainingSaysSo) {
  TempDir dir;
  auto f = dir.file("ws.txt", "   \n\t\n\xE2\x80\x8B\n");
  WordPieceTrainerOptions o;
  auto wc = count_words_in_files({f}, o);
  EXPECT_TRUE(wc.words.empty());
  EXPECT_EQ(wc.lines, 3u);
  EXPECT_THROW(WordPieceTrainer(o).train(wc), Error);
}

}  // namespace
}  // namespace bertforge
