// Integration tests for the CLI shell shared by every command: --config files (defaults < config < flags),
// usage errors (exit 2), and --help listing the commands.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace bertforge::testing;

namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir_ / "in.txt") << "첫 번째 문장입니다. 두 번째 문장입니다.\n"; }
  int run(const std::string& args) {
    RunResult r = run_cli(args);
    out_ = r.output;
    return r.code;
  }
  std::string q(const fs::path& p) const { return sh_quote(p.string()); }
  TempDir tmp_{"bertforge-it-cli"};
  fs::path dir_ = tmp_.path();
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
