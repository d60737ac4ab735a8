// Unit tests for privacy/scrub_run: the streaming file run. Lines and blank lines stay in place, several
// threads give the same bytes as one, the report counts and never repeats a secret, invalid UTF-8 follows
// the policy and names file:line, a failed run leaves no output behind, existing outputs need --overwrite.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "common/error.h"
#include "common/fs.h"
#include "scrub_test_util.h"

using namespace scrub_test;
namespace fs = std::filesystem;

namespace {

class ScrubRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bertforge-scrub-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  size_t entries() const {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(dir_)) (void)e, ++n;
    return n;
  }
  fs::path dir_;
};

// A synthetic corpus with secrets sprinkled in; returns the secrets.
std::string make_corpus(size_t lines, std::vector<std::string>* secrets, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string text;
  for (size_t i = 0; i < lines; ++i) {
    switch (rng() % 8) {
      case 0: {
        std::string phone = fmt::format("010-{:04d}-{:04d}", rng() % 10000, rng() % 10000);
        secrets->push_back(phone);
        text += "제 번호는 " + phone + " 입니다.\n";
        break;
      }
      case 1: {
        std::string mail = fmt::format("user{}@example.org", rng() % 100000);
        secrets->push_back(mail);
        text += "메일 " + mail + "로 보내 주세요.\n";
        break;
      }
      case 2: {
        std::string rrn =
            make_rrn(fmt::format("{:02d}{:02d}{:02d}", rng() % 100, 1 + rng() % 12, 1 + rng() % 28),
                     static_cast<char>('1' + rng() % 2), fmt::format("{:05d}", rng() % 100000));
        secrets->push_back(rrn);
        text += "주민등록번호 " + rrn + "\n";
        break;
      }
      case 3:
        text += "\n";
        break;
      default:
        text += fmt::format("2024년 {}월 {}일, 가격은 {},000원이었다.\n", 1 + rng() % 12, 1 + rng() % 28,
                            rng() % 1000);
    }
  }
  return text;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

TEST_F(ScrubRun, LinesAndBlankLinesStayInPlace) {
  std::string in = write("in.txt", "첫 문장 010-1234-5678.\n둘째 문장.\n\n새 문서 a@example.com\n\n\n마지막");
  ScrubOptions o;
  o.input = {in};
  o.output = path("out.txt");
  o.threads = 1;
  ScrubReport r = run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "첫 문장 [PHONE].\n둘째 문장.\n\n새 문서 [EMAIL]\n\n\n마지막\n");
  EXPECT_EQ(r.lines, 7u);
  EXPECT_EQ(r.counts.total(), 2u);
  EXPECT_EQ(r.files.at(0).counts.by_type[static_cast<size_t>(PiiType::kPhone)], 1u);
}

TEST_F(ScrubRun, CrlfAndBomAreNormalized) {
  std::string in = write("in.txt", "\xEF\xBB\xBFline 010-1234-5678\r\n\r\nnext\r\n");
  ScrubOptions o;
  o.input = {in};
  o.output = path("out.txt");
  run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "line [PHONE]\n\nnext\n");
}

TEST_F(ScrubRun, ThreadsGiveTheSameBytesInOrder) {
  std::vector<std::string> secrets;
  std::string corpus = make_corpus(5000, &secrets);
  std::string in = write("in.txt", corpus);
  ScrubOptions o;
  o.input = {in};
  o.chunk_bytes = 997;  // many small chunks, so ordering across workers is exercised
  o.output = path("one.txt");
  o.threads = 1;
  ScrubReport one = run_scrub(o);
  o.output = path("four.txt");
  o.threads = 4;
  ScrubReport four = run_scrub(o);
  std::string a = bertforge::read_file(path("one.txt")), b = bertforge::read_file(path("four.txt"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(one.counts.total(), four.counts.total());
  EXPECT_EQ(one.counts.total(), secrets.size());
  auto in_lines = split_lines(corpus), out_lines = split_lines(a);
  ASSERT_EQ(in_lines.size(), out_lines.size());
  for (size_t i = 0; i < in_lines.size(); ++i) EXPECT_EQ(in_lines[i].empty(), out_lines[i].empty()) << i;
  for (auto& s : secrets) ASSERT_EQ(a.find(s), std::string::npos) << "secret left in output";
}

TEST_F(ScrubRun, ReportCountsAndNeverHoldsASecret) {
  std::vector<std::string> secrets;
  std::string in = write("in.txt", make_corpus(400, &secrets, 7));
  write("names.txt", "# names\n홍길동\n\n김철수\n");
  std::string in2 = write("in2.txt", "홍길동은 왔다.\n김철수씨의 카드 4111 1111 1111 1111\n");
  secrets.push_back("홍길동");
  secrets.push_back("김철수");
  secrets.push_back("4111 1111 1111 1111");
  for (const char* mode : {"mask", "pseudonymize"}) {
    ScrubOptions o;
    o.input = {in, in2};
    o.output = path(std::string("out-") + mode + ".txt");
    o.report = path(std::string("report-") + mode + ".json");
    o.mode = mode;
    o.seed = 1234567;
    o.terms = path("names.txt");
    run_scrub(o);
    std::string report = bertforge::read_file(o.report);
    for (auto& s : secrets) EXPECT_EQ(report.find(s), std::string::npos) << "report repeats a secret";
    EXPECT_EQ(report.find("1234567"), std::string::npos) << "report holds the pseudonym seed";
    auto j = nlohmann::json::parse(report);
    ASSERT_EQ(j["files"].size(), 2u);
    EXPECT_EQ(j["files"][1]["findings"]["terms"], 2);
    EXPECT_EQ(j["files"][1]["findings"]["card"], 1);
    EXPECT_EQ(j["files"][1]["lines"], 2);
    EXPECT_EQ(j["totals"]["findings"]["total"].get<uint64_t>(), secrets.size());
    EXPECT_EQ(j["terms_count"], 2);
    EXPECT_EQ(j["mode"], mode);
    EXPECT_TRUE(j.contains("seconds"));
    std::string out = bertforge::read_file(o.output);
    for (auto& s : secrets) EXPECT_EQ(out.find(s), std::string::npos) << mode;
  }
}

TEST_F(ScrubRun, FilesAreJoinedWithADocumentBreak) {
  std::string a = write("a.txt", "doc a line 1\ndoc a line 2");
  std::string b = write("b.txt", "doc b\n");
  std::string c = write("c.txt", "doc c\n\n");
  std::string d = write("d.txt", "doc d\n");
  ScrubOptions o;
  o.input = {a, b, c, d};
  o.output = path("out.txt");
  ScrubReport r = run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "doc a line 1\ndoc a line 2\n\ndoc b\n\ndoc c\n\ndoc d\n");
  EXPECT_EQ(r.lines, 6u);
}

TEST_F(ScrubRun, InvalidUtf8Policies) {
  std::string in = write("in.txt", "ok 010-1234-5678\nbad \xFF\xFE byte\nlast\n");
  ScrubOptions o;
  o.input = {in};
  o.output = path("out.txt");
  try {
    run_scrub(o);
    FAIL() << "expected an error";
  } catch (const bertforge::Error& e) {
    EXPECT_NE(std::string(e.what()).find(in + ":2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.output));
  EXPECT_EQ(entries(), 1u) << "no temporary file left behind";

  o.on_invalid_utf8 = "replace";
  run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "ok [PHONE]\nbad \xEF\xBF\xBD\xEF\xBF\xBD byte\nlast\n");

  o.on_invalid_utf8 = "skip";
  o.overwrite = true;
  ScrubReport r = run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "ok [PHONE]\nlast\n");
  EXPECT_EQ(r.skipped_lines, 1u);
}

TEST_F(ScrubRun, ExistingOutputNeedsOverwrite) {
  std::string in = write("in.txt", "a@example.com\n");
  std::string out = write("out.txt", "keep me\n");
  ScrubOptions o;
  o.input = {in};
  o.output = out;
  EXPECT_THROW(run_scrub(o), bertforge::Error);
  EXPECT_EQ(bertforge::read_file(out), "keep me\n");
  o.overwrite = true;
  run_scrub(o);
  EXPECT_EQ(bertforge::read_file(out), "[EMAIL]\n");
  // In place, with --overwrite: safe because the output is renamed over the input only at the end.
  o.output = in;
  run_scrub(o);
  EXPECT_EQ(bertforge::read_file(in), "[EMAIL]\n");
}

TEST_F(ScrubRun, OptionErrors) {
  ScrubOptions o;
  o.input = {path("missing.txt")};
  o.output = path("out.txt");
  EXPECT_THROW(run_scrub(o), bertforge::Error);
  o.input = {write("in.txt", "x\n")};
  o.mode = "redact";
  EXPECT_THROW(o.validate(), bertforge::Error);
  o.mode = "mask";
  o.types = {"email", "ssn"};
  EXPECT_THROW(o.validate(), bertforge::Error);
  o.types = {"terms"};
  EXPECT_THROW(o.validate(), bertforge::Error) << "terms without --terms";
  o.types = {"email"};
  o.on_invalid_utf8 = "ignore";
  EXPECT_THROW(o.validate(), bertforge::Error);
  o.on_invalid_utf8 = "error";
  o.report = o.output;
  EXPECT_THROW(o.validate(), bertforge::Error);
  o.report.clear();
  EXPECT_NO_THROW(o.validate());
  EXPECT_FALSE(fs::exists(o.output));
}

TEST_F(ScrubRun, OptionsJsonRoundTripLeavesOutTheSeed) {
  ScrubOptions o;
  o.input = {"a.txt", "b.txt"};
  o.output = "o.txt";
  o.types = {"email", "url"};
  o.mode = "pseudonymize";
  o.seed = 99;
  o.threads = 3;
  nlohmann::json j = o;
  EXPECT_FALSE(j.contains("seed"));
  ScrubOptions back = j.get<ScrubOptions>();
  EXPECT_EQ(back.input, o.input);
  EXPECT_EQ(back.types, o.types);
  EXPECT_EQ(back.mode, o.mode);
  EXPECT_EQ(back.threads, 3);
  j["seed"] = 5;
  EXPECT_EQ(j.get<ScrubOptions>().seed, 5u);
}

TEST_F(ScrubRun, EmptyInput) {
  std::string in = write("in.txt", "");
  ScrubOptions o;
  o.input = {in};
  o.output = path("out.txt");
  ScrubReport r = run_scrub(o);
  EXPECT_EQ(bertforge::read_file(o.output), "");
  EXPECT_EQ(r.lines, 0u);
}
