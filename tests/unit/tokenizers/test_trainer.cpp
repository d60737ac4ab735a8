// tests/unit/tokenizers/test_trainer.cpp — the WordPiece trainer's merge loop on tiny, hand-checkable word
// counts: HF's tie-breaking, stale heap entries, stop rules, alphabet limits, special-token order.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tokenizers/wordpiece_trainer.h"

namespace bertforge {
namespace {

WordCounts make_counts(const std::vector<std::pair<std::string, uint64_t>>& wc) {
  WordCounts c;
  for (const auto& [w, n] : wc) {
    c.words.push_back(w);
    c.counts.push_back(n);
    c.total_words += n;
  }
  return c;
}

WordPieceTrainerOptions plain(uint32_t vocab_size = 1000) {
  WordPieceTrainerOptions o;
  o.special_tokens = {};
  o.min_frequency = 0;
  o.limit_alphabet = 0;
  o.vocab_size = vocab_size;
  return o;
}

using V = std::vector<std::string>;

TEST(WordPieceTrainer, EqualCountsMergeSmallerPairIdsFirst) {
  // (a,##b) = ids (0,3) and (c,##b) = (2,3) both occur twice: HF pops the smaller pair first.
  auto r = WordPieceTrainer(plain()).train(make_counts({{"cb", 2}, {"ab", 2}}));
  EXPECT_EQ(r.vocab, (V{"a", "b", "c", "##b", "ab", "cb"}));
  EXPECT_EQ(r.alphabet_size, 3u);
  EXPECT_EQ(r.continuation_size, 1u);
  EXPECT_EQ(r.merges, 2u);
}

TEST(WordPieceTrainer, TieComparesRightIdWhenLeftIdsAreEqual) {
  // (a,##c) and (a,##b) both 1; ##c gets the smaller id (first occurrence), so a##c wins the tie.
  auto r = WordPieceTrainer(plain()).train(make_counts({{"ac", 1}, {"ab", 1}}));
  EXPECT_EQ(r.vocab, (V{"a", "b", "c", "##c", "##b", "ac", "ab"}));
}

TEST(WordPieceTrainer, HigherCountWinsAndNeighbourPairsAreCreated) {
  // "abc"x3, "bc"x1: a=0 b=1 c=2 ##b=3 ##c=4; pairs (0,3)=3, (3,4)=3, (1,4)=1. The tie at 3 goes to
  // (0,3) -> "ab"(5); that creates (ab,##c)=3 while (##b,##c) drops to 0 (its entry goes stale);
  // then "abc"(6), then (b,##c)=1 -> "bc"(7).
  auto r = WordPieceTrainer(plain()).train(make_counts({{"abc", 3}, {"bc", 1}}));
  EXPECT_EQ(r.vocab, (V{"a", "b", "c", "##b", "##c", "ab", "abc", "bc"}));
  EXPECT_EQ(r.merges, 3u);
}

TEST(WordPieceTrainer, StaleEntryIsRefreshedNotMergedWithOldCount) {
  // "xab"x5 and "ab"x4. Pairs: (a,##b)=4 [word ab], (##a,##b)=5, (x,##a)=5.
  // ids: a=0 b=1 x=2 ##a=3 ##b=4. Top: count 5, pairs (2,3) < (3,4) -> "xa"(5). That lowers (##a,##b)
  // to 0, so its count-5 entry is stale: refreshed to 0 and never merged. Next (xa,##b)=5 -> "xab"(6),
  // then (a,##b)=4 -> "ab"(7). A port that merged the stale entry would add "##ab".
  auto r = WordPieceTrainer(plain()).train(make_counts({{"xab", 5}, {"ab", 4}}));
  EXPECT_EQ(r.vocab, (V{"a", "b", "x", "##a", "##b", "xa", "xab", "ab"}));
  EXPECT_EQ(r.merges, 3u);
}

TEST(WordPieceTrainer, MergeOnlyTouchesTheWordsOfThePoppedEntry) {
  // "aaaa"x1 = [a ##a ##a ##a]: a=0 ##a=1; (a,##a)=1, (##a,##a)=2. Top (1,1) -> "##aa"(2), merged left to
  // right without overlap: [a ##aa ##a]; (a,##a) drops to 0, (a,##aa)=1, (##aa,##a)=1. Ties at 1:
  // (0,1) is stale (refreshed to 0), (0,2) -> "aaa"(3): [aaa ##a]; then (aaa,##a) -> "aaaa"(4).
  auto r = WordPieceTrainer(plain()).train(make_counts({{"aaaa", 1}}));
  EXPECT_EQ(r.vocab, (V{"a", "##a", "##aa", "aaa", "aaaa"}));
}

TEST(WordPieceTrainer, VocabHasNoDuplicatesAndEveryTokenComesFromAMerge) {
  // Overlapping repeats ("abab", "bab") exercise the left-to-right, non-overlapping Word::merge.
  auto r = WordPieceTrainer(plain()).train(make_counts({{"abab", 1}, {"ab", 1}, {"bab", 2}}));
  std::set<std::string> uniq(r.vocab.begin(), r.vocab.end());
  EXPECT_EQ(uniq.size(), r.vocab.size());
  EXPECT_GE(r.merges, r.vocab.size() - r.alphabet_size - r.continuation_size);
}

TEST(WordPieceTrainer, SpecialTokensComeFirstInOrderWithoutDuplicates) {
  auto o = plain();
  o.special_tokens = {"[CLS]", "[PAD]", "[CLS]", "a"};
  auto r = WordPieceTrainer(o).train(make_counts({{"ab", 2}}));
  // "a" is a special token already: the alphabet does not add it again.
  EXPECT_EQ(r.vocab, (V{"[CLS]", "[PAD]", "a", "b", "##b", "ab"}));
  EXPECT_EQ(r.num_special, 3u);
  EXPECT_EQ(r.alphabet_size, 1u);
}

TEST(WordPieceTrainer, VocabSizeCountsSpecialsAndIsCheckedBeforeEachMerge) {
  auto o = plain(6);
  o.special_tokens = {"[PAD]", "[UNK]"};
  auto r = WordPieceTrainer(o).train(make_counts({{"ab", 3}, {"cd", 2}}));
  // 2 specials + 4 chars = 6 -> no merge; ##b ##d are still added (always).
  EXPECT_EQ(r.vocab, (V{"[PAD]", "[UNK]", "a", "b", "c", "d", "##b", "##d"}));
  EXPECT_EQ(r.merges, 0u);
  o.vocab_size = 9;
  r = WordPieceTrainer(o).train(make_counts({{"ab", 3}, {"cd", 2}}));
  EXPECT_EQ(r.vocab, (V{"[PAD]", "[UNK]", "a", "b", "c", "d", "##b", "##d", "ab"}));
}

TEST(WordPieceTrainer, VocabSizeSmallerThanAlphabetKeepsWholeAlphabet) {
  auto o = plain(2);
  o.special_tokens = {"[UNK]"};
  auto r = WordPieceTrainer(o).train(make_counts({{"abc", 1}, {"d", 1}}));
  EXPECT_EQ(r.vocab, (V{"[UNK]", "a", "b", "c", "d", "##b", "##c"}));
}

TEST(WordPieceTrainer, MinFrequencyStopsMergingAndIsAPrefixOfTheUnlimitedRun) {
  auto wc = make_counts({{"ab", 5}, {"cd", 3}, {"ef", 1}, {"abcd", 1}});
  auto o = plain();
  auto all = WordPieceTrainer(o).train(wc);
  o.min_frequency = 3;
  auto cut = WordPieceTrainer(o).train(wc);
  EXPECT_TRUE(cut.stopped_by_min_frequency);
  ASSERT_LT(cut.vocab.size(), all.vocab.size());
  EXPECT_TRUE(std::equal(cut.vocab.begin(), cut.vocab.end(), all.vocab.begin()));
  // ab (6 with abcd) and cd (4) pass; ef (1) does not.
  EXPECT_NE(std::find(cut.vocab.begin(), cut.vocab.end(), "cd"), cut.vocab.end());
  EXPECT_EQ(std::find(cut.vocab.begin(), cut.vocab.end(), "ef"), cut.vocab.end());
}

TEST(WordPieceTrainer, LimitAlphabetDropsRarestCharsAndSkipsThemInWords) {
  auto o = plain();
  o.limit_alphabet = 3;
  // counts: a 5, b 5, c 3, z 1 -> z dropped; "zab" becomes [##a ##b] (z was char 0; a stays non-initial).
  auto r = WordPieceTrainer(o).train(make_counts({{"ab", 3}, {"cab", 1}, {"zab", 1}, {"cc", 1}}));
  EXPECT_EQ(r.alphabet_size, 3u);
  EXPECT_EQ(r.dropped_chars, 1u);
  EXPECT_EQ(r.dropped_char_occurrences, 1u);
  EXPECT_EQ(std::vector<std::string>(r.vocab.begin(), r.vocab.begin() + 3), (V{"a", "b", "c"}));
  // ##a exists only because of "cab" and "zab" (a is never initial there).
  EXPECT_NE(std::find(r.vocab.begin(), r.vocab.end(), "##a"), r.vocab.end());
  for (const auto& t : r.vocab) EXPECT_EQ(t.find('z'), std::string::npos) << t;
}

TEST(WordPieceTrainer, LimitAlphabetTieDropsTheCharSeenLatest) {
  auto o = plain();
  o.limit_alphabet = 2;
  // a 2, x 1, y 1: one of x, y goes; y was seen later -> dropped.
  auto r = WordPieceTrainer(o).train(make_counts({{"a", 2}, {"x", 1}, {"y", 1}}));
  EXPECT_EQ(r.vocab, (V{"a", "x"}));
  auto r2 = WordPieceTrainer(o).train(make_counts({{"a", 2}, {"y", 1}, {"x", 1}}));
  EXPECT_EQ(r2.vocab, (V{"a", "y"}));
}

TEST(WordPieceTrainer, InitialAlphabetUsesFirstCharAndSurvivesTheLimit) {
  auto o = plain();
  o.limit_alphabet = 2;
  o.initial_alphabet = {"qrs", "", "é"};
  auto r = WordPieceTrainer(o).train(make_counts({{"aa", 9}, {"b", 8}}));
  // q (first char of "qrs") and é count as infinitely frequent: of {a,b,q,é} only they survive limit 2.
  EXPECT_EQ(r.vocab, (V{"q", "é"}));
  o.limit_alphabet = 0;
  r = WordPieceTrainer(o).train(make_counts({{"aa", 9}, {"b", 8}}));
  EXPECT_EQ(std::vector<std::string>(r.vocab.begin(), r.vocab.begin() + 4), (V{"a", "b", "q", "é"}));
}

TEST(WordPieceTrainer, AlphabetIsSortedByCodePointAndContinuationByFirstOccurrence) {
  auto r = WordPieceTrainer(plain(8)).train(make_counts({{"한국", 1}, {"가나", 1}, {"zy", 1}}));
  EXPECT_EQ(r.vocab, (V{"y", "z", "가", "국", "나", "한", "##국", "##나", "##y"}));
}

TEST(WordPieceTrainer, PrefixIsConfigurable) {
  auto o = plain();
  o.wordpieces_prefix = "@@";
  auto r = WordPieceTrainer(o).train(make_counts({{"ab", 2}}));
  EXPECT_EQ(r.vocab, (V{"a", "b", "@@b", "ab"}));
}

TEST(WordPieceTrainer, NoWordsIsAClearError) {
  try {
    WordPieceTrainer(plain()).train(WordCounts{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no words"), std::string::npos);
  }
}

TEST(WordPieceTrainer, DeterministicRunToRun) {
  std::vector<std::pair<std::string, uint64_t>> wc;
  uint64_t x = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string w;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int len = 1 + (x >> 60) % 7;
    for (int k = 0; k < len; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      w.push_back(static_cast<char>('a' + (x >> 59) % 6));
    }
    wc.emplace_back(w, 1 + (x >> 40) % 50);
  }
  auto a = WordPieceTrainer(plain(300)).train(make_counts(wc));
  auto b = WordPieceTrainer(plain(300)).train(make_counts(wc));
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.vocab.size(), 300u);
}

TEST(WordPieceTrainerOptions, JsonRoundTripAndValidation) {
  WordPieceTrainerOptions o;
  o.vocab_size = 123;
  o.min_frequency = 7;
  o.limit_alphabet = 0;
  o.initial_alphabet = {"가"};
  o.special_tokens = {"[X]"};
  o.wordpieces_prefix = "@@";
  o.normalizer.strip_accents = false;
  o.normalizer.lowercase = true;
  o.reference_vocab = "v.txt";
  o.on_invalid_utf8 = InvalidUtf8Policy::kSkip;
  auto back = WordPieceTrainerOptions::from_json(o.to_json());
  EXPECT_EQ(back.to_json(), o.to_json());
  EXPECT_EQ(back.normalizer.strip_accents, std::optional<bool>(false));
  EXPECT_EQ(back.on_invalid_utf8, InvalidUtf8Policy::kSkip);

  EXPECT_THROW(WordPieceTrainerOptions::from_json({{"vocab_sise", 3}}), Error);
  EXPECT_THROW(WordPieceTrainerOptions::from_json({{"vocab_size", 0}}), Error);
  EXPECT_THROW(WordPieceTrainerOptions::from_json({{"strip_accents", "maybe"}}), Error);
  EXPECT_THROW(WordPieceTrainerOptions::from_json({{"special_tokens", {"[A]", ""}}}), Error);
  EXPECT_THROW(WordPieceTrainerOptions::from_json({{"wordpieces_prefix", ""}}), Error);
  EXPECT_EQ(WordPieceTrainerOptions::from_json({{"strip_accents", "unset"}}).normalizer.strip_accents,
            std::nullopt);
}

}  // namespace
}  // namespace bertforge
