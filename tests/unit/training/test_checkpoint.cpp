// tests/unit/training/test_checkpoint.cpp — checkpoint folders: atomic writes (a failed or killed write
// leaves the previous checkpoints whole), rotation, "latest", output_dir rules, trainer_state.json layout.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "training/checkpoint.h"

using namespace bertforge::training;

namespace {

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bf_ckpt_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path save(int64_t step, const std::string& content = "weights") {
    return write_checkpoint(dir_, step, [&](const fs::path& tmp) {
      bertforge::write_file_atomic(tmp / "model.safetensors", content + std::to_string(step));
      bertforge::write_file_atomic(tmp / "trainer_state.json",
                                   "{\"global_step\": " + std::to_string(step) + "}");
    });
  }

  fs::path dir_;
};

std::vector<int64_t> steps(const fs::path& dir) {
  std::vector<int64_t> out;
  for (auto& c : list_checkpoints(dir)) out.push_back(c.step);
  return out;
}

}  // namespace

TEST_F(CheckpointTest, ListsByNumericStepIgnoringOtherEntries) {
  save(100);
  save(20);
  save(3);
  fs::create_directories(dir_ / "checkpoint-5.tmp-1-0");  // an unfinished write
  fs::create_directories(dir_ / "checkpoint-abc");
  bertforge::write_file_atomic(dir_ / "checkpoint-7", "a file, not a folder");
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{3, 20, 100}));
  EXPECT_EQ(latest_checkpoint(dir_)->filename(), "checkpoint-100");
  EXPECT_FALSE(latest_checkpoint(dir_ / "missing").has_value());
}

TEST_F(CheckpointTest, FailedWriteLeavesPreviousCheckpointWhole) {
  save(10, "good");
  EXPECT_THROW(write_checkpoint(dir_, 20,
                                [&](const fs::path& tmp) {
                                  bertforge::write_file_atomic(tmp / "model.safetensors", "partial");
                                  throw bertforge::io_error("disk", "full");
                                }),
               bertforge::Error);
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{10}));
  EXPECT_EQ(bertforge::read_file(dir_ / "checkpoint-10" / "model.safetensors"), "good10");
  // No temporary left behind either.
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir_)) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(CheckpointTest, KilledWriteLeavesPreviousCheckpointsWhole) {
  save(10, "good");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child starts checkpoint 20 and is killed halfway through writing it.
    write_checkpoint(dir_, 20, [&](const fs::path& tmp) {
      bertforge::write_file_atomic(tmp / "model.safetensors", "half");
      std::ofstream(dir_ / "child_ready") << "1";
      std::this_thread::sleep_for(std::chrono::seconds(30));
    });
    _exit(0);
  }
  for (int i = 0; i < 500 && !fs::exists(dir_ / "child_ready"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  fs::remove(dir_ / "child_ready");
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{10}));  // the half-written one is not a checkpoint
  EXPECT_EQ(latest_checkpoint(dir_)->filename(), "checkpoint-10");
  EXPECT_EQ(bertforge::read_file(dir_ / "checkpoint-10" / "model.safetensors"), "good10");
  EXPECT_EQ(remove_stale_temporaries(dir_), 1);
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{10}));
}

TEST_F(CheckpointTest, RotationKeepsNewest) {
  for (int s : {5, 10, 15, 20, 25}) save(s);
  auto deleted = rotate_checkpoints(dir_, 2);
  EXPECT_EQ(deleted.size(), 3u);
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{20, 25}));
  EXPECT_TRUE(rotate_checkpoints(dir_, 2).empty());
  EXPECT_TRUE(rotate_checkpoints(dir_, 0).empty());  // 0 = unlimited
  EXPECT_EQ(steps(dir_), (std::vector<int64_t>{20, 25}));
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir_)) (void)e, ++entries;
  EXPECT_EQ(entries, 2);  // nothing renamed-aside left over
}

TEST_F(CheckpointTest, RewritingAStepReplacesIt) {
  save(10, "old");
  save(10, "new");
  EXPECT_EQ(bertforge::read_file(dir_ / "checkpoint-10" / "model.safetensors"), "new10");
}

TEST_F(CheckpointTest, OutputDirRules) {
  TrainingArguments a;
  a.output_dir = (dir_ / "fresh").string();
  EXPECT_NO_THROW(check_output_dir(a));  // missing: fine
  fs::create_directories(dir_ / "fresh");
  EXPECT_NO_THROW(check_output_dir(a));  // empty: fine
  bertforge::write_file_atomic(dir_ / "fresh" / "precious.txt", "keep me");
  try {
    check_output_dir(a);
    FAIL() << "non-empty output_dir accepted";
  } catch (const bertforge::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("not empty"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--overwrite-output-dir"), std::string::npos) << msg;
  }
  EXPECT_EQ(bertforge::read_file(dir_ / "fresh" / "precious.txt"), "keep me");  // touched nothing
  a.overwrite_output_dir = true;
  EXPECT_NO_THROW(check_output_dir(a));
  a.overwrite_output_dir = false;
  a.resume_from_checkpoint = "latest";
  EXPECT_NO_THROW(check_output_dir(a));
  bertforge::write_file_atomic(dir_ / "afile", "x");
  a.output_dir = (dir_ / "afile").string();
  EXPECT_THROW(check_output_dir(a), bertforge::Error);
}

TEST_F(CheckpointTest, ResolveResume) {
  TrainingArguments a;
  a.output_dir = dir_.string();
  EXPECT_FALSE(resolve_resume_checkpoint(a).has_value());
  a.resume_from_checkpoint = "latest";
  EXPECT_THROW(resolve_resume_checkpoint(a), bertforge::Error);  // nothing to resume
  save(4);
  save(8);
  EXPECT_EQ(resolve_resume_checkpoint(a)->filename(), "checkpoint-8");
  a.resume_from_checkpoint = (dir_ / "checkpoint-4").string();
  EXPECT_EQ(resolve_resume_checkpoint(a)->filename(), "checkpoint-4");
  a.resume_from_checkpoint = (dir_ / "checkpoint-99").string();
  EXPECT_THROW(resolve_resume_checkpoint(a), bertforge::Error);
  fs::create_directories(dir_ / "not-a-checkpoint");
  a.resume_from_checkpoint = (dir_ / "not-a-checkpoint").string();
  EXPECT_THROW(resolve_resume_checkpoint(a), bertforge::Error);
}

TEST(TrainerState, HFLayoutRoundTrip) {
  TrainerState s;
  s.global_step = 40;
  s.epoch = 1.25;
  s.max_steps = 100;
  s.logging_steps = 10;
  s.log_history.push_back({{"step", 10}, {"loss", 7.5}, {"learning_rate", 1e-4}, {"epoch", 0.3}});
  s.bertforge["window_loss_sum"] = 0.1 + 0.2;
  auto j = s.to_json();
  for (const char* key :
       {"best_metric", "best_model_checkpoint", "epoch", "eval_steps", "global_step", "is_hyper_param_search",
        "is_local_process_zero", "is_world_process_zero", "log_history", "logging_steps", "max_steps",
        "num_train_epochs", "save_steps", "total_flos", "train_batch_size", "trial_name", "trial_params"})
    EXPECT_TRUE(j.contains(key)) << key;
  auto t = TrainerState::from_json(nlohmann::json::parse(j.dump()), "x");
  EXPECT_EQ(t.global_step, 40);
  EXPECT_EQ(t.epoch, 1.25);
  EXPECT_EQ(t.log_history, s.log_history);
  // Doubles survive the text round trip bit for bit (exact resume of the logging window).
  EXPECT_EQ(t.bertforge["window_loss_sum"].get<double>(), 0.1 + 0.2);
  EXPECT_THROW(TrainerState::from_json(nlohmann::json::object(), "x"), bertforge::Error);
}
