// Unit tests for corpus/sentence_splitter: sentence ends in Korean and Latin text, the no-split cases
// (decimals, abbreviations, list numbers), letters and whitespace clean-up.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "corpus/sentence_splitter.h"

using namespace bertforge;

namespace {
std::vector<std::string> split(std::string_view line) {
  std::vector<std::string> out;
  for (auto s : split_sentences(line)) out.emplace_back(s);
  return out;
}
using S = std::vector<std::string>;
}  // namespace

TEST(SentenceSplitter, KoreanEndings) {
  EXPECT_EQ(split("파일을 엽니다. 저장하세요. 정말요? 네! 끝"),
            (S{"파일을 엽니다.", "저장하세요.", "정말요?", "네!", "끝"}));
  EXPECT_EQ(split("이것은 책이다. 저것은 펜이에요. 그렇죠"),
            (S{"이것은 책이다.", "저것은 펜이에요.", "그렇죠"}));
}

TEST(SentenceSplitter, NeedsWhitespaceAfterPunctuation) {
  EXPECT_EQ(split("값은 3.5입니다. 버전 7.4.1을 쓰세요."), (S{"값은 3.5입니다.", "버전 7.4.1을 쓰세요."}));
  EXPECT_EQ(split("Open a.txt and b.html now."), (S{"Open a.txt and b.html now."}));
  EXPECT_EQ(split("Pi is 3.14. Next one."), (S{"Pi is 3.14.", "Next one."}));
}

TEST(SentenceSplitter, QuestionAndExclamationRuns) {
  EXPECT_EQ(split("Really?! Yes!! Okay... Done"), (S{"Really?!", "Yes!!", "Okay...", "Done"}));
  EXPECT_EQ(split("뭐라고?! 진짜!"), (S{"뭐라고?!", "진짜!"}));
}

TEST(SentenceSplitter, ClosingQuotesAndBracketsStayWithTheSentence) {
  EXPECT_EQ(split("그가 \"좋다.\" 그리고 떠났다. (정말이다.) 끝."),
            (S{"그가 \"좋다.\"", "그리고 떠났다.", "(정말이다.)", "끝."}));
  EXPECT_EQ(split("He said “stop.” Then left."), (S{"He said “stop.”", "Then left."}));
}

TEST(SentenceSplitter, Abbreviations) {
  EXPECT_EQ(split("Use a tool, e.g. a hammer. Then stop."), (S{"Use a tool, e.g. a hammer.", "Then stop."}));
  EXPECT_EQ(split("See i.e. This stays. Mr. Kim came. Dr. Lee too."),
            (S{"See i.e. This stays.", "Mr. Kim came.", "Dr. Lee too."}));
  EXPECT_EQ(split("It was J. Smith. He left."), (S{"It was J. Smith.", "He left."}));
  EXPECT_EQ(split("Apples, pears, etc. are fruit. Yes."), (S{"Apples, pears, etc. are fruit.", "Yes."}));
  EXPECT_EQ(split("We need apples etc. Then we go."), (S{"We need apples etc.", "Then we go."}));
}

TEST(SentenceSplitter, ListNumbersAtSentenceStart) {
  EXPECT_EQ(split("1. 파일을 엽니다. 2. 저장합니다."), (S{"1. 파일을 엽니다.", "2. 저장합니다."}));
  EXPECT_EQ(split("I counted 12. Then I stopped."), (S{"I counted 12.", "Then I stopped."}));
}

TEST(SentenceSplitter, LowercaseNextWordDoesNotSplit) {
  EXPECT_EQ(split("Yahoo! is a site. Next."), (S{"Yahoo! is a site.", "Next."}));
}

TEST(SentenceSplitter, CjkFullStopsSplitWithoutSpace) {
  EXPECT_EQ(split("今日は晴れです。明日は雨？はい！"), (S{"今日は晴れです。", "明日は雨？", "はい！"}));
}

TEST(SentenceSplitter, EdgeCases) {
  EXPECT_TRUE(split("").empty());
  EXPECT_EQ(split("."), (S{"."}));
  EXPECT_EQ(split("끝."), (S{"끝."}));
  EXPECT_EQ(split("no end"), (S{"no end"}));
}

TEST(Letters, ScriptsAndNonLetters) {
  EXPECT_TRUE(has_letter("가"));
  EXPECT_TRUE(has_letter("ㄱ"));            // compatibility jamo
  EXPECT_TRUE(has_letter("\xE1\x84\x80"));  // U+1100 choseong
  EXPECT_TRUE(has_letter("漢"));
  EXPECT_TRUE(has_letter("\xF0\xA0\x80\x80"));  // U+20000, CJK extension B
  EXPECT_TRUE(has_letter("ひ"));
  EXPECT_TRUE(has_letter("Ж"));
  EXPECT_TRUE(has_letter("é"));
  EXPECT_TRUE(has_letter("123 x"));
  EXPECT_TRUE(has_letter("ｗ"));  // fullwidth Latin
  EXPECT_FALSE(has_letter("1. 2, 3.5 %!"));
  EXPECT_FALSE(has_letter("— … · ※ ★ 😀 ①"));
  EXPECT_FALSE(has_letter(""));
  EXPECT_FALSE(is_letter(0xD7));  // multiplication sign
  EXPECT_FALSE(is_letter(0x3000));
}

TEST(Letters, RequireScript) {
  EXPECT_TRUE(has_letter_of("LibreOffice 파일", Script::kHangul));
  EXPECT_FALSE(has_letter_of("LibreOffice file", Script::kHangul));
  EXPECT_TRUE(has_letter_of("LibreOffice file", Script::kLatin));
  EXPECT_FALSE(has_letter_of("漢字", Script::kLatin));
  EXPECT_TRUE(has_letter_of("漢字", Script::kHan));
  EXPECT_TRUE(has_letter_of("x", Script::kAny));
  EXPECT_EQ(parse_script("hangul"), Script::kHangul);
  EXPECT_EQ(parse_script("any"), Script::kAny);
  EXPECT_THROW(parse_script("klingon"), Error);
}

TEST(CollapseWhitespace, RunsTrimsAndControls) {
  EXPECT_EQ(collapse_whitespace("  a\t\xC2\xA0 b \x07\n"), "a b");
  EXPECT_EQ(collapse_whitespace("가\xE3\x80\x80나"), "가 나");
  EXPECT_EQ(collapse_whitespace("\xEF\xBB\xBFx"), "x");
  EXPECT_EQ(collapse_whitespace(" \t\r\n"), "");
  EXPECT_EQ(collapse_whitespace("\xE2\x80\x8B"), "\xE2\x80\x8B");  // zero-width space is not whitespace
}
