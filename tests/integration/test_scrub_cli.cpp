// Integration tests for `bertforge scrub` through the built CLI: flags, exit codes, the report, and that
// neither the report nor anything the command prints (stdout, stderr log) repeats a secret.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct CliResult {
  int code;
  std::string output;  // stdout and stderr together
};

CliResult run_cli(const std::string& args) {
  std::string cmd = std::string(BERTFORGE_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ScrubCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bertforge-scrub-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return (dir_ / name).string();
  }
  std::string p(const std::string& name) { return (dir_ / name).string(); }
  fs::path dir_;
};

// Synthetic values only.
const char* kCorpus =
    "고객 홍길동의 연락처는 010-2345-6789 이고 메일은 gildong.hong@example.co.kr 입니다.\n"
    "주민등록번호 900101-1234568 과 카드 4111 1111 1111 1111 을 확인했다.\n"
    "\n"
    "서버 192.168.10.20 에 접속. 버전 6.4.7.2 배포, 2024-01-15, 가격 1,000,000원.\n"
    "김철수씨에게 +82 10 9876 5432 로 연락 바람. 자료는 https://files.example.com/u/kim 참고.\n";
const std::vector<std::string> kSecrets = {"홍길동",         "010-2345-6789", "gildong.hong",
                                           "900101-1234568", "4111 1111",     "192.168.10.20",
                                           "김철수",         "9876 5432",     "files.example.com/u/kim"};

}  // namespace

TEST_F(ScrubCli, MaskWithAllTypesAndReport) {
  std::string in = write("corpus.txt", kCorpus);
  write("names.txt", "홍길동\n김철수\n");
  CliResult r =
      run_cli("scrub --input " + in + " --output " + p("out.txt") + " --report " + p("report.json") +
              " --types email,phone,rrn,frn,card,ip,url,terms --terms " + p("names.txt") + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  std::string out = slurp(p("out.txt"));
  EXPECT_EQ(out,
            "고객 [NAME]의 연락처는 [PHONE] 이고 메일은 [EMAIL] 입니다.\n"
            "주민등록번호 [RRN] 과 카드 [CARD] 을 확인했다.\n"
            "\n"
            "서버 [IP] 에 접속. 버전 6.4.7.2 배포, 2024-01-15, 가격 1,000,000원.\n"
            "[NAME]씨에게 [PHONE] 로 연락 바람. 자료는 [URL] 참고.\n");
  std::string report = slurp(p("report.json"));
  for (auto& s : kSecrets) {
    EXPECT_EQ(report.find(s), std::string::npos) << "report repeats " << s;
    EXPECT_EQ(r.output.find(s), std::string::npos) << "log repeats " << s;
  }
  auto j = nlohmann::json::parse(report);
  EXPECT_EQ(j["totals"]["findings"]["phone"], 2);
  EXPECT_EQ(j["totals"]["findings"]["terms"], 2);
  EXPECT_EQ(j["totals"]["findings"]["total"], 9);
  EXPECT_EQ(j["totals"]["lines"], 5);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_NE(r.output.find("phone 2"), std::string::npos) << r.output;
}

TEST_F(ScrubCli, PseudonymizeIsDeterministicPerSeed) {
  std::string in = write("corpus.txt", kCorpus);
  std::string base = "-q scrub --input " + in + " --mode pseudonymize --types email,phone,rrn,frn,card,ip";
  ASSERT_EQ(run_cli(base + " --seed 31337 --output " + p("a.txt")).code, 0);
  ASSERT_EQ(run_cli(base + " --seed 31337 --threads 1 --output " + p("b.txt")).code, 0);
  CliResult c = run_cli(base + " --seed 31338 --output " + p("c.txt"));
  ASSERT_EQ(c.code, 0);
  EXPECT_EQ(c.output.find("31338"), std::string::npos) << "the seed is never printed";
  std::string a = slurp(p("a.txt"));
  EXPECT_EQ(a, slurp(p("b.txt")));
  EXPECT_NE(a, slurp(p("c.txt")));
  for (const char* s :
       {"010-2345-6789", "gildong.hong", "900101-1234568", "4111 1111 1111 1111", "192.168.10.20"})
    EXPECT_EQ(a.find(s), std::string::npos) << s;
  EXPECT_NE(a.find("@example.com"), std::string::npos);
  EXPECT_NE(a.find("버전 6.4.7.2"), std::string::npos);
}

TEST_F(ScrubCli, ErrorsNameTheFileAndLeaveNoOutput) {
  std::string in = write("bad.txt", "ok\nbad \xC3\x28 here\n");
  CliResult r = run_cli("scrub --input " + in + " --output " + p("out.txt"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find(in + ":2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--on-invalid-utf8"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(p("out.txt")));
  size_t files = 0;
  for (auto& e : fs::directory_iterator(dir_)) (void)e, ++files;
  EXPECT_EQ(files, 1u) << "a temporary output was left behind";

  CliResult skip = run_cli("scrub --input " + in + " --output " + p("out.txt") + " --on-invalid-utf8 skip");
  EXPECT_EQ(skip.code, 0) << skip.output;
  EXPECT_EQ(slurp(p("out.txt")), "ok\n");

  CliResult exists = run_cli("scrub --input " + in + " --output " + p("out.txt") + " --on-invalid-utf8 skip");
  EXPECT_EQ(exists.code, 2);
  EXPECT_NE(exists.output.find("--overwrite"), std::string::npos) << exists.output;

  CliResult bad_type = run_cli("scrub --input " + in + " --output " + p("o2.txt") + " --types email,ssn");
  EXPECT_NE(bad_type.code, 0);
  EXPECT_NE(bad_type.output.find("ssn"), std::string::npos) << bad_type.output;

  CliResult missing = run_cli("scrub --input " + p("nope.txt") + " --output " + p("o3.txt"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.output.find("nope.txt"), std::string::npos);
}

TEST_F(ScrubCli, SnakeCaseFlagsAndTypeSelection) {
  std::string in = write("corpus.txt", "메일 a@example.com, 전화 010-1234-5678 \xFF\n");
  CliResult r = run_cli("-q scrub --input " + in + " --output " + p("out.txt") +
                        " --types email --on_invalid_utf8 replace");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(slurp(p("out.txt")), "메일 [EMAIL], 전화 010-1234-5678 \xEF\xBF\xBD\n");
}
