// Integration tests for `bertforge corpus prepare`: runs the built CLI on folders made by the test and
// checks the corpus file it writes, its exit codes, and that failed runs leave no output behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

class CorpusPrepareCli : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("bertforge-it-corpus-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Runs `bertforge corpus prepare ARGS`; returns the exit code, stderr in err_.
  int run(const std::string& args) {
    fs::path err = dir_ / "stderr.txt";
    std::string cmd =
        std::string("'") + BERTFORGE_CLI + "' corpus prepare " + args + " 2>'" + err.string() + "'";
    int status = std::system(cmd.c_str());
    err_ = read(err);
    fs::remove(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string q(const fs::path& p) const { return "'" + p.string() + "'"; }
  // Files in the output folder other than the test's inputs: temp files must not survive.
  int count_files(const fs::path& folder) const {
    int n = 0;
    for (auto& e : fs::directory_iterator(folder)) n += e.is_regular_file();
    return n;
  }

  fs::path dir_;
  std::string err_;
};

const char* kPageA =
    "<!DOCTYPE html><html><head><title>Ignored title</title><script>var nav = 'x';</script>"
    "<style>p { color: red }</style></head><body>"
    "<header>LibreOffice Help</header><nav>Module | Contents</nav>"
    "<h1>캡션 추가</h1>"
    "<p>장 번호를 캡션에 포함할 수 있습니다. 문서의 텍스트는 장별로 구성되어야 합니다!</p>"
    "<p hidden>숨은 글입니다.</p><div style=\"display:none\">Hidden too.</div>"
    "<ul><li>캡션을 추가할 항목을 선택합니다.</li><li>값은 3.5입니다. 정말요?</li></ul>"
    "<p>12345</p><p>A &amp; B &lt;ok&gt;.</p>"
    "<footer>Help content debug info</footer></body></html>";
const char* kPageB =
    "<html><body><p>두 번째 문서입니다.</p><table><tr><td>셀</td></tr></table></body></html>";
const char* kPageEmpty = "<html><body><script>only();</script><p>1.</p></body></html>";

}  // namespace

TEST_F(CorpusPrepareCli, HtmlFolderBecomesCorpus) {
  write("site/b/page.html", kPageB);
  write("site/a.html", kPageA);
  write("site/empty.htm", kPageEmpty);
  write("site/script.js", "var x = '문장입니다.';");
  write("site/.hidden/x.html", "<p>숨김 폴더.</p>");
  fs::path out = dir_ / "out" / "corpus.txt";
  ASSERT_EQ(run("--input " + q(dir_ / "site") + " --output " + q(out)), 0) << err_;
  EXPECT_EQ(read(out),
            "캡션 추가\n"
            "장 번호를 캡션에 포함할 수 있습니다.\n"
            "문서의 텍스트는 장별로 구성되어야 합니다!\n"
            "캡션을 추가할 항목을 선택합니다.\n"
            "값은 3.5입니다.\n"
            "정말요?\n"
            "A & B <ok>.\n"
            "\n"
            "두 번째 문서입니다.\n"
            "셀\n");
  EXPECT_NE(err_.find("2 documents, 9 sentences"), std::string::npos) << err_;
  EXPECT_NE(err_.find("1 folder files of other types ignored"), std::string::npos) << err_;
  EXPECT_EQ(count_files(dir_ / "out"), 1);
}

TEST_F(CorpusPrepareCli, RequireScriptAndTextFiles) {
  write("t/notes.txt", "First line. 둘째 줄입니다.\r\n\r\n---\nEnglish only here.\n");
  fs::path out = dir_ / "corpus.txt";
  ASSERT_EQ(
      run("--input " + q(dir_ / "t" / "notes.txt") + " --output " + q(out) + " --require-script hangul"), 0)
      << err_;
  EXPECT_EQ(read(out), "둘째 줄입니다.\n");
  fs::path out2 = dir_ / "corpus2.txt";
  ASSERT_EQ(
      run("--format text --split-text-on-blank-lines --input " + q(dir_ / "t") + " --output " + q(out2)), 0)
      << err_;
  EXPECT_EQ(read(out2), "First line.\n둘째 줄입니다.\n\nEnglish only here.\n");
}

TEST_F(CorpusPrepareCli, FailedRunLeavesNoOutput) {
  write("site/a.html", kPageA);
  write("site/z_bad.html", std::string("<p>ok</p>\n<p>bad \xFF byte</p>"));
  fs::path out = dir_ / "out" / "corpus.txt";
  fs::create_directories(out.parent_path());
  EXPECT_EQ(run("--input " + q(dir_ / "site") + " --output " + q(out)), 1);
  EXPECT_NE(err_.find("z_bad.html:2: invalid UTF-8 at byte 8 (use --on-invalid-utf8 replace|skip)"),
            std::string::npos)
      << err_;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(count_files(out.parent_path()), 0);  // no temporary file left either

  // The same inputs with the page skipped, or repaired, succeed.
  ASSERT_EQ(run("--on-invalid-utf8 skip --input " + q(dir_ / "site") + " --output " + q(out)), 0) << err_;
  EXPECT_EQ(read(out).find("bad"), std::string::npos);
  fs::remove(out);
  ASSERT_EQ(run("--on-invalid-utf8 replace --input " + q(dir_ / "site") + " --output " + q(out)), 0) << err_;
  EXPECT_NE(read(out).find("bad \xEF\xBF\xBD byte"), std::string::npos);
}

TEST_F(CorpusPrepareCli, RefusesToOverwriteUnlessAsked) {
  write("site/a.html", kPageB);
  fs::path out = write("corpus.txt", "old content\n");
  EXPECT_EQ(run("--input " + q(dir_ / "site") + " --output " + q(out)), 1);
  EXPECT_NE(err_.find("already exists (pass --overwrite to replace it)"), std::string::npos) << err_;
  EXPECT_EQ(read(out), "old content\n");
  ASSERT_EQ(run("--overwrite --input " + q(dir_ / "site") + " --output " + q(out)), 0) << err_;
  EXPECT_EQ(read(out), "두 번째 문서입니다.\n셀\n");
}

TEST_F(CorpusPrepareCli, MissingInputsAndEmptyResultsAreErrors) {
  fs::path out = dir_ / "corpus.txt";
  EXPECT_EQ(run("--input " + q(dir_ / "nope") + " --output " + q(out)), 1);
  EXPECT_NE(err_.find("nope: no such file or folder"), std::string::npos) << err_;
  write("only_js/x.js", "x");
  EXPECT_EQ(run("--input " + q(dir_ / "only_js") + " --output " + q(out)), 1);
  EXPECT_NE(err_.find("folder holds no"), std::string::npos) << err_;
  write("empty/e.html", kPageEmpty);
  EXPECT_EQ(run("--input " + q(dir_ / "empty") + " --output " + q(out)), 1);
  EXPECT_NE(err_.find("no sentence found"), std::string::npos) << err_;
  EXPECT_FALSE(fs::exists(out));
  // A bad flag value is a usage error (CLI11's exit code), never a crash or an output file.
  int rc = run("--input " + q(dir_ / "empty") + " --output " + q(out) + " --format pdf");
  EXPECT_NE(rc, 0);
  EXPECT_NE(err_.find("pdf"), std::string::npos) << err_;
  EXPECT_FALSE(fs::exists(out));
}
