// Integration tests for the CLI shell shared by every command: --config files (defaults < config < flags),
// usage errors (exit 2), and --help listing the commands.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bertforge-it-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "in.txt") << "첫 번째 문장입니다. 두 번째 문장입니다.\n";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  int run(const std::string& args) {
    std::string cmd =
        std::string("'") + BERTFORGE_CLI + "' " + args + " >'" + (dir_ / "out.log").string() + "' 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream in(dir_ / "out.log");
    std::stringstream s;
    s << in.rdbuf();
    out_ = s.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string q(const fs::path& p) const { return "'" + p.string() + "'"; }
  fs::path dir_;
  std::string out_;
};

TEST_F(Cli, ConfigFileSuppliesOptionsAndFlagsWin) {
  std::ofstream(dir_ / "run.json") << R"({"input": [")" << (dir_ / "in.txt").string() << R"("], "output": ")"
                                   << (dir_ / "from-config.txt").string() << R"(", "format": "text"})";
  ASSERT_EQ(run("corpus prepare --config " + q(dir_ / "run.json")), 0) << out_;
  EXPECT_TRUE(fs::exists(dir_ / "from-config.txt"));
  // A flag on the command line beats the file's value.
  ASSERT_EQ(run("corpus prepare --config " + q(dir_ / "run.json") + " --output " + q(dir_ / "from-flag.txt")),
            0)
      << out_;
  EXPECT_TRUE(fs::exists(dir_ / "from-flag.txt"));
}

TEST_F(Cli, ConfigFileWithUnknownKeyOrBadJsonIsAUsageError) {
  std::ofstream(dir_ / "bad.json") << R"({"input": ")" << (dir_ / "in.txt").string()
                                   << R"(", "output": "x.txt", "no_such_option": 3})";
  EXPECT_EQ(run("corpus prepare --config " + q(dir_ / "bad.json")), 2) << out_;
  EXPECT_NE(out_.find("no_such_option"), std::string::npos) << out_;
  std::ofstream(dir_ / "broken.json") << "{not json";
  EXPECT_EQ(run("corpus prepare --config " + q(dir_ / "broken.json")), 2) << out_;
  EXPECT_NE(out_.find("not valid JSON"), std::string::npos) << out_;
}

TEST_F(Cli, BadFlagValueExitsWithUsageCode) {
  EXPECT_EQ(run("corpus prepare --input " + q(dir_ / "in.txt") + " --output x --format pdf"), 2) << out_;
  EXPECT_EQ(run("no-such-command"), 2) << out_;
}

TEST_F(Cli, HelpListsTheCommands) {
  ASSERT_EQ(run("--help"), 0);
  for (const char* cmd : {"corpus", "tokenizer", "tokenize", "fill-mask"})
    EXPECT_NE(out_.find(cmd), std::string::npos) << cmd << " missing from:\n" << out_;
}

}  // namespace
