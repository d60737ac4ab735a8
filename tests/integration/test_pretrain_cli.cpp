// tests/integration/test_pretrain_cli.cpp — `bertforge pretrain` end to end through the built CLI: a
// synthetic Korean corpus made here -> `tokenizer train` -> `dataset build` -> `pretrain` of a tiny BERT
// (hidden 32, one layer). Proves what issue 5 promises: the model learns (overfits a small set), resume is
// bit-exact (20 + 20 steps = 40 steps; after SIGKILL; after SIGINT/SIGTERM at an arbitrary step), checkpoint
// rotation, output_dir protection, the NaN stop, and the refusals of mismatched tokenizer / model config /
// dataset.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "test_util.h"

extern char** environ;

namespace bertforge {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_cli;
using testing::RunResult;
using testing::sh_quote;
using testing::TempDir;
using testing::write_file;

// Korean sentences from a small lexicon, documents separated by blank lines (the corpus.txt format).
std::string synthetic_corpus(uint32_t seed, int documents) {
  const char* subjects[] = {"이순신은",  "세종대왕은", "학생들은", "어머니는",
                            "우리 팀은", "고양이는",   "선생님은"};
  const char* objects[] = {"거북선을", "한글을", "책을", "김치를", "노래를", "편지를", "바다를", "지도를"};
  const char* verbs[] = {"만들었다.", "읽었다.", "좋아한다.", "보았다.", "그렸다.", "배웠다.", "지켰다."};
  const char* places[] = {"서울에서", "부산에서", "한산도에서", "학교에서", "집에서", "시장에서"};
  std::mt19937 rng(seed);
  auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  std::string out;
  for (int d = 0; d < documents; ++d) {
    int n = 2 + static_cast<int>(rng() % 5);
    for (int s = 0; s < n; ++s) {
      out +=
          std::string(pick(subjects)) + " " + pick(places) + " " + pick(objects) + " " + pick(verbs) + "\n";
    }
    out += "\n";
  }
  return out;
}

int64_t count_lines(const fs::path& p) {
  std::string s = read_file(p);
  int64_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A tiny BertConfig; `vocab` rows, positions up to `positions`.
std::string tiny_config(int64_t vocab, int64_t positions = 64) {
  nlohmann::json j = {{"vocab_size", vocab},     {"hidden_size", 32},
                      {"num_hidden_layers", 1},  {"num_attention_heads", 2},
                      {"intermediate_size", 64}, {"max_position_embeddings", positions}};
  return j.dump();
}

// Training records of metrics.jsonl (lines with "loss"), by step.
struct StepRecord {
  double loss, grad_norm, learning_rate;
};
std::map<int64_t, StepRecord> train_records(const fs::path& metrics) {
  std::map<int64_t, StepRecord> out;
  std::istringstream in(read_file(metrics));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    if (!j.contains("loss")) continue;
    int64_t step = j.at("step").get<int64_t>();
    EXPECT_EQ(out.count(step), 0u) << "step " << step << " logged twice in " << metrics;
    out[step] = {j.at("loss").get<double>(), j.at("grad_norm").get<double>(),
                 j.at("learning_rate").get<double>()};
  }
  return out;
}

// Every logged step of `b` has bit-identical loss, grad_norm and learning rate to `a`, and both cover 1..n.
void expect_same_steps(const std::map<int64_t, StepRecord>& a, const std::map<int64_t, StepRecord>& b,
                       int64_t n) {
  ASSERT_EQ(static_cast<int64_t>(a.size()), n);
  ASSERT_EQ(static_cast<int64_t>(b.size()), n);
  for (int64_t s = 1; s <= n; ++s) {
    ASSERT_EQ(a.count(s), 1u) << "step " << s;
    ASSERT_EQ(b.count(s), 1u) << "step " << s;
    // Exact comparison on purpose: resume promises bit-identical losses on CPU.
    EXPECT_EQ(a.at(s).loss, b.at(s).loss) << "loss at step " << s;
    EXPECT_EQ(a.at(s).grad_norm, b.at(s).grad_norm) << "grad_norm at step " << s;
    EXPECT_EQ(a.at(s).learning_rate, b.at(s).learning_rate) << "learning_rate at step " << s;
  }
}

std::vector<std::string> checkpoint_names(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("checkpoint-", 0) == 0 && n.find(".tmp-") == std::string::npos) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The CLI started in the background (stdout/stderr to files), so that the test can signal it.
class Background {
 public:
  Background(const std::string& args, const fs::path& log_prefix) : out_(log_prefix.string() + ".out") {
    std::string cmd = "exec " + sh_quote(BERTFORGE_CLI) + " " + args + " >" + sh_quote(out_) + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    int rc = ::posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ);
    if (rc != 0) pid_ = -1;
  }
  ~Background() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  // Exit status as a shell reports it: the code, or 128 + signal.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  bool running() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  std::string output() const { return read_file(out_); }

 private:
  std::string out_;
  pid_t pid_ = -1;
  bool waited_ = false;
};

// Polls `cond` every few ms while the process runs; false when the process ended first. The 5-minute cap only
// keeps a broken build from hanging the suite; the test never asserts on how long anything took.
template <typename F>
bool wait_until(const Background& p, F cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    if (!p.running()) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Shared inputs, made once per test process: corpus, tokenizer (trained by the CLI), dataset (built by it).
class PretrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    inputs_ = new TempDir("bertforge-pretrain-inputs");
    const TempDir& in = *inputs_;
    write_file(in / "corpus.txt", synthetic_corpus(7, 60));
    RunResult t = run_cli("tokenizer train --files " + sh_quote(in / "corpus.txt") + " --output " +
                          sh_quote(in / "tokenizer") + " --vocab-size 150 --threads 1");
    ASSERT_EQ(t.code, 0) << t.output;
    RunResult d = run_cli("dataset build --corpus " + sh_quote(in / "corpus.txt") + " --tokenizer " +
                          sh_quote(in / "tokenizer") + " --output " + sh_quote(in / "dataset") +
                          " --block-size 32 --threads 1");
    ASSERT_EQ(d.code, 0) << d.output;
    vocab_size_ = count_lines(fs::path(in / "tokenizer") / "vocab.txt");
    write_file(in / "tiny.json", tiny_config(vocab_size_));
  }
  static void TearDownTestSuite() {
    delete inputs_;
    inputs_ = nullptr;
  }

  static std::string input(const std::string& name) { return *inputs_ / name; }

  // The common part of a pretrain command line: inputs, the tiny model, one thread, a log line per step.
  // (CLI11 refuses an option given twice, so the learning rate and the seed are parameters.)
  static std::string base_args(const std::string& output_dir, const std::string& learning_rate = "1e-3",
                               int seed = 5) {
    return "pretrain --dataset " + sh_quote(input("dataset")) + " --tokenizer " +
           sh_quote(input("tokenizer")) + " --model-config " + sh_quote(input("tiny.json")) +
           " --output_dir " + sh_quote(output_dir) +
           " --per_device_train_batch_size 4 --logging_steps 1 --threads 1 --learning_rate " + learning_rate +
           " --seed " + std::to_string(seed);
  }

  static TempDir* inputs_;
  static int64_t vocab_size_;
  TempDir tmp_{"bertforge-pretrain"};
};
TempDir* PretrainCli::inputs_ = nullptr;
int64_t PretrainCli::vocab_size_ = 0;

// ---------------------------------------------------------------------------------------------------------
// Learning

TEST_F(PretrainCli, TinyModelOverfitsASmallSet) {
  // Eight short documents, one batch of all their examples: the model can memorize them, so the masked
  // tokens become predictable and the loss (MLM + NSP) must fall far below its start (about ln(vocab) + ln
  // 2).
  write_file(tmp_ / "small.txt", synthetic_corpus(11, 4));
  RunResult d = run_cli("dataset build --corpus " + sh_quote(tmp_ / "small.txt") + " --tokenizer " +
                        sh_quote(input("tokenizer")) + " --output " + sh_quote(tmp_ / "small-ds") +
                        " --block-size 32 --threads 1");
  ASSERT_EQ(d.code, 0) << d.output;
  std::string out = tmp_ / "out";
  RunResult r = run_cli("pretrain --dataset " + sh_quote(tmp_ / "small-ds") + " --tokenizer " +
                        sh_quote(input("tokenizer")) + " --model-config " + sh_quote(input("tiny.json")) +
                        " --output_dir " + sh_quote(out) +
                        " --per_device_train_batch_size 64 --learning_rate 3e-3 --lr_scheduler_type constant"
                        " --max_steps 300 --logging_steps 1 --save_steps 0 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  auto rec = train_records(fs::path(out) / "metrics.jsonl");
  ASSERT_EQ(rec.size(), 300u);
  double first = 0, last = 0;
  for (int64_t s = 1; s <= 10; ++s) first += rec.at(s).loss / 10;
  for (int64_t s = 291; s <= 300; ++s) last += rec.at(s).loss / 10;
  EXPECT_GT(first, 3.0) << "an untrained model starts near ln(vocab) + ln(2)";
  EXPECT_LT(last, 0.35 * first) << "first 10 steps " << first << ", last 10 steps " << last;
  // The final folder is an HF model folder with the tokenizer.
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "trainer_state.json",
                        "metrics.jsonl", "training_curves.svg", "pretrain_config.json"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  auto state = nlohmann::json::parse(read_file(fs::path(out) / "trainer_state.json"));
  EXPECT_EQ(state.at("global_step").get<int64_t>(), 300);
}

// ---------------------------------------------------------------------------------------------------------
// Exact resume

TEST_F(PretrainCli, TwentyStepsPlusResumeToFortyEqualsFortyStepsBitForBit) {
  // A schedule that does not depend on max_steps, so a run told to stop at 20 is the first half of the
  // 40-step run; the resumed run must then continue exactly (weights, AdamW moments, dropout RNG, data
  // cursor).
  const std::string sched = " --lr_scheduler_type constant_with_warmup --warmup_steps 5 --save_steps 20";
  std::string full = tmp_ / "full", half = tmp_ / "half";
  RunResult a = run_cli(base_args(full) + sched + " --max_steps 40");
  ASSERT_EQ(a.code, 0) << a.output;
  RunResult b1 = run_cli(base_args(half) + sched + " --max_steps 20");
  ASSERT_EQ(b1.code, 0) << b1.output;
  ASSERT_TRUE(fs::exists(fs::path(half) / "checkpoint-20"));
  RunResult b2 = run_cli(base_args(half) + sched + " --max_steps 40 --resume_from_checkpoint " +
                         sh_quote((fs::path(half) / "checkpoint-20").string()));
  ASSERT_EQ(b2.code, 0) << b2.output;
  EXPECT_NE(b2.output.find("resuming at step 20"), std::string::npos) << b2.output;

  expect_same_steps(train_records(fs::path(full) / "metrics.jsonl"),
                    train_records(fs::path(half) / "metrics.jsonl"), 40);
  std::string wa = read_file(fs::path(full) / "model.safetensors");
  std::string wb = read_file(fs::path(half) / "model.safetensors");
  ASSERT_GT(wa.size(), 1000u);
  EXPECT_TRUE(wa == wb) << "final model.safetensors differ";
  EXPECT_TRUE(read_file(fs::path(full) / "checkpoint-40" / "optimizer.safetensors") ==
              read_file(fs::path(half) / "checkpoint-40" / "optimizer.safetensors"))
      << "AdamW state differs at step 40";
  // The control: a run with another seed differs, so the equality above is not vacuous.
  std::string other = tmp_ / "other";
  RunResult c = run_cli(base_args(other, "1e-3", 6) + sched + " --max_steps 20");
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_NE(train_records(fs::path(other) / "metrics.jsonl").at(20).loss,
            train_records(fs::path(full) / "metrics.jsonl").at(20).loss);
}

TEST_F(PretrainCli, SigkillAfterTheFirstCheckpointThenResumeLatestMatchesTheUninterruptedRun) {
  // Linear decay over 200 steps: the resumed run must also restore where it is on the schedule.
  const std::string args = " --max_steps 200 --save_steps 10 --warmup_steps 10";
  std::string ref = tmp_ / "ref", killed = tmp_ / "killed";
  RunResult a = run_cli(base_args(ref) + args);
  ASSERT_EQ(a.code, 0) << a.output;

  Background p(base_args(killed) + args, tmp_.path() / "killed-run");
  ASSERT_GT(p.pid(), 0);
  bool saw =
      wait_until(p, [&] { return fs::exists(fs::path(killed) / "checkpoint-10" / "trainer_state.json"); });
  ASSERT_TRUE(saw) << p.output();
  ::kill(p.pid(), SIGKILL);
  int code = p.wait();
  ASSERT_EQ(code, 128 + SIGKILL) << "the run ended before it could be killed:\n" << p.output();
  EXPECT_FALSE(fs::exists(fs::path(killed) / "model.safetensors")) << "the killed run reached its end";
  auto ckpts = checkpoint_names(killed);
  ASSERT_FALSE(ckpts.empty());

  RunResult r = run_cli(base_args(killed) + args + " --resume_from_checkpoint latest");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming at step"), std::string::npos) << r.output;
  expect_same_steps(train_records(fs::path(ref) / "metrics.jsonl"),
                    train_records(fs::path(killed) / "metrics.jsonl"), 200);
  EXPECT_TRUE(read_file(fs::path(ref) / "model.safetensors") ==
              read_file(fs::path(killed) / "model.safetensors"));
  // Nothing half-written is left behind.
  for (auto& e : fs::directory_iterator(killed))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

// SIGINT / SIGTERM at an arbitrary step (no regular checkpoint: --save_steps 0): the run finishes the step,
// saves checkpoint-<step>, prints its summary and exits 128 + signal; resuming from it matches the
// uninterrupted run.
void interrupt_and_resume(const std::string& base_ref, const std::string& base_run, const fs::path& run_dir,
                          const fs::path& ref_dir, const fs::path& log_prefix, int sig) {
  const std::string args = " --max_steps 300 --save_steps 0 --warmup_steps 10";
  Background p(base_run + args, log_prefix);
  ASSERT_GT(p.pid(), 0);
  bool started = wait_until(p, [&] {
    return fs::exists(run_dir / "metrics.jsonl") && count_lines(run_dir / "metrics.jsonl") >= 3;
  });
  ASSERT_TRUE(started) << p.output();
  ::kill(p.pid(), sig);
  int code = p.wait();
  std::string log = p.output();
  ASSERT_EQ(code, 128 + sig) << log;
  EXPECT_NE(log.find("resume with --resume-from-checkpoint latest"), std::string::npos) << log;
  auto ckpts = checkpoint_names(run_dir);
  ASSERT_EQ(ckpts.size(), 1u) << "exactly the checkpoint the signal asked for";
  int64_t step = std::stoll(ckpts[0].substr(std::string("checkpoint-").size()));
  EXPECT_GE(step, 3);
  EXPECT_LT(step, 300) << "the signal arrived after the run had finished";
  auto state = nlohmann::json::parse(read_file(run_dir / ckpts[0] / "trainer_state.json"));
  EXPECT_EQ(state.at("global_step").get<int64_t>(), step);
  EXPECT_NE(log.find("\"global_step\":" + std::to_string(step)), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(run_dir / "model.safetensors")) << "an interrupted run writes no final model";
  // Every finished step was logged, none beyond the checkpoint.
  EXPECT_EQ(train_records(run_dir / "metrics.jsonl").rbegin()->first, step);

  RunResult a = run_cli(base_ref + args);
  ASSERT_EQ(a.code, 0) << a.output;
  RunResult r = run_cli(base_run + args + " --resume_from_checkpoint latest");
  ASSERT_EQ(r.code, 0) << r.output;
  expect_same_steps(train_records(ref_dir / "metrics.jsonl"), train_records(run_dir / "metrics.jsonl"), 300);
  EXPECT_TRUE(read_file(ref_dir / "model.safetensors") == read_file(run_dir / "model.safetensors"));
}

TEST_F(PretrainCli, SigintFinishesTheStepSavesACheckpointAndExits130) {
  interrupt_and_resume(base_args(tmp_ / "ref"), base_args(tmp_ / "run"), tmp_.path() / "run",
                       tmp_.path() / "ref", tmp_.path() / "int-run", SIGINT);
}

TEST_F(PretrainCli, SigtermFinishesTheStepSavesACheckpointAndExits143) {
  interrupt_and_resume(base_args(tmp_ / "ref"), base_args(tmp_ / "run"), tmp_.path() / "run",
                       tmp_.path() / "ref", tmp_.path() / "term-run", SIGTERM);
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoints and output_dir

TEST_F(PretrainCli, SaveTotalLimitKeepsOnlyTheNewestCheckpoints) {
  std::string out = tmp_ / "out";
  RunResult r = run_cli(base_args(out) + " --max_steps 25 --save_steps 5 --save_total_limit 2");
  ASSERT_EQ(r.code, 0) << r.output;
  // Saves at 5, 10, 15, 20, 25; the limit keeps the last two.
  EXPECT_EQ(checkpoint_names(out), (std::vector<std::string>{"checkpoint-20", "checkpoint-25"}));
  // Without a limit, every checkpoint stays (and the final step gets one even off the save_steps grid).
  std::string all = tmp_ / "all";
  RunResult r2 = run_cli(base_args(all) + " --max_steps 12 --save_steps 5");
  ASSERT_EQ(r2.code, 0) << r2.output;
  EXPECT_EQ(checkpoint_names(all),
            (std::vector<std::string>{"checkpoint-10", "checkpoint-12", "checkpoint-5"}));
}

TEST_F(PretrainCli, NonEmptyOutputDirIsRefusedAndLeftUntouched) {
  fs::path out = tmp_.path() / "out";
  fs::create_directories(out / "checkpoint-7");
  write_file(out / "notes.txt", "mine");
  write_file(out / "checkpoint-7" / "trainer_state.json", "{\"global_step\": 7}");
  auto listing = [&] {
    std::set<std::string> s;
    for (auto& e : fs::recursive_directory_iterator(out)) s.insert(e.path().string());
    return s;
  };
  auto before = listing();
  RunResult r = run_cli(base_args(out.string()) + " --max_steps 3");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("not empty"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--overwrite-output-dir"), std::string::npos) << r.output;
  EXPECT_EQ(listing(), before);
  EXPECT_EQ(read_file(out / "notes.txt"), "mine");

  // With --overwrite_output_dir it trains; the old run's checkpoint goes so that `latest` cannot pick it.
  RunResult ok = run_cli(base_args(out.string()) + " --max_steps 3 --overwrite_output_dir");
  ASSERT_EQ(ok.code, 0) << ok.output;
  EXPECT_FALSE(fs::exists(out / "checkpoint-7"));
  EXPECT_TRUE(fs::exists(out / "model.safetensors"));
}

// ---------------------------------------------------------------------------------------------------------
// NaN stop

TEST_F(PretrainCli, NonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint) {
  // A real way to make the loss blow up: an absurd learning rate, no clipping, no warmup. AdamW moves every
  // weight by about lr at the first step, after which the logits overflow.
  std::string out = tmp_ / "out";
  RunResult r = run_cli(base_args(out, "1e38") +
                        " --max_steps 50 --save_steps 1 --max_grad_norm 0"
                        " --lr_scheduler_type constant");
  ASSERT_EQ(r.code, 1) << r.output;
  auto pos = r.output.find("at step ");
  ASSERT_NE(pos, std::string::npos) << r.output;
  int64_t step = std::stoll(r.output.substr(pos + 8));
  EXPECT_GE(step, 2) << "step 1 starts from finite init weights";
  EXPECT_TRUE(r.output.find("the loss became") != std::string::npos ||
              r.output.find("the gradient norm became") != std::string::npos)
      << r.output;
  // The previous step's checkpoint is whole and named; no checkpoint of the bad step, no final model.
  std::string last_good = "checkpoint-" + std::to_string(step - 1);
  EXPECT_NE(r.output.find(last_good), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(fs::path(out) / last_good / "model.safetensors"));
  EXPECT_FALSE(fs::exists(fs::path(out) / ("checkpoint-" + std::to_string(step))));
  EXPECT_FALSE(fs::exists(fs::path(out) / "model.safetensors"));
}

// ---------------------------------------------------------------------------------------------------------
// Mismatches, refused before output_dir is touched

TEST_F(PretrainCli, TokenizerWithAnotherVocabSizeThanTheDatasetIsRefused) {
  RunResult t = run_cli("tokenizer train --files " + sh_quote(input("corpus.txt")) + " --output " +
                        sh_quote(tmp_ / "tok-small") + " --vocab-size 90 --threads 1");
  ASSERT_EQ(t.code, 0) << t.output;
  std::string out = tmp_ / "out";
  std::string args = base_args(out);
  args.replace(args.find(sh_quote(input("tokenizer"))), sh_quote(input("tokenizer")).size(),
               sh_quote(tmp_ / "tok-small"));
  RunResult r = run_cli(args + " --max_steps 2");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(input("dataset")), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(tmp_ / "tok-small"), std::string::npos) << r.output;
  const int64_t small = count_lines(fs::path(tmp_ / "tok-small") / "vocab.txt");
  ASSERT_NE(small, vocab_size_);
  EXPECT_NE(r.output.find(std::to_string(vocab_size_) + " ids"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("has " + std::to_string(small)), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PretrainCli, TokenizerWithTheSameSizeButAnotherFingerprintIsRefused) {
  // Same corpus and vocab but lowercasing on (accents kept, so Hangul stays whole): the same ids for this
  // Korean text, other ids for other text, and HF would load the copied files with other settings. Only the
  // dataset's fingerprint tells the two tokenizers apart.
  RunResult t = run_cli("tokenizer train --files " + sh_quote(input("corpus.txt")) + " --output " +
                        sh_quote(tmp_ / "tok-cased") +
                        " --vocab-size 150 --lowercase --strip-accents false --threads 1");
  ASSERT_EQ(t.code, 0) << t.output;
  ASSERT_EQ(read_file(fs::path(tmp_ / "tok-cased") / "vocab.txt"),
            read_file(fs::path(input("tokenizer")) / "vocab.txt"));
  std::string out = tmp_ / "out";
  std::string args = base_args(out);
  args.replace(args.find(sh_quote(input("tokenizer"))), sh_quote(input("tokenizer")).size(),
               sh_quote(tmp_ / "tok-cased"));
  RunResult r = run_cli(args + " --max_steps 2");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("fingerprint"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(tmp_ / "tok-cased"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(input("dataset")), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PretrainCli, WithoutTokenizerTheDatasetsOwnCopyIsUsed) {
  // `dataset build` keeps a copy of its tokenizer in dataset/tokenizer/; pretrain uses it when --tokenizer
  // is left out, and the final folder gets those files.
  ASSERT_TRUE(fs::exists(fs::path(input("dataset")) / "tokenizer" / "vocab.txt"));
  std::string out = tmp_ / "out";
  std::string args = base_args(out);
  std::string tok = " --tokenizer " + sh_quote(input("tokenizer"));
  args.erase(args.find(tok), tok.size());
  RunResult r = run_cli(args + " --max_steps 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dataset/tokenizer"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(fs::path(out) / "vocab.txt"), read_file(fs::path(input("tokenizer")) / "vocab.txt"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "tokenizer.json"));
}

TEST_F(PretrainCli, ModelVocabSmallerThanTheTokenizerIsRefused) {
  write_file(tmp_ / "small-vocab.json", tiny_config(vocab_size_ - 10));
  std::string out = tmp_ / "out";
  std::string args = base_args(out);
  args.replace(args.find(sh_quote(input("tiny.json"))), sh_quote(input("tiny.json")).size(),
               sh_quote(tmp_ / "small-vocab.json"));
  RunResult r = run_cli(args + " --max_steps 2");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(tmp_ / "small-vocab.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(input("tokenizer")), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::to_string(vocab_size_ - 10)), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::to_string(vocab_size_)), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PretrainCli, BlockSizeAboveMaxPositionEmbeddingsIsRefused) {
  write_file(tmp_ / "short.json", tiny_config(vocab_size_, 16));
  std::string out = tmp_ / "out";
  std::string args = base_args(out);
  args.replace(args.find(sh_quote(input("tiny.json"))), sh_quote(input("tiny.json")).size(),
               sh_quote(tmp_ / "short.json"));
  RunResult r = run_cli(args + " --max_steps 2");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("max_position_embeddings"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(input("dataset")), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(tmp_ / "short.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("32"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("16"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace bertforge
