// tests/unit/training/test_training_arguments.cpp — HF names and defaults, validation naming the field,
// JSON round trip, the seed's per_gpu_train_batch_size alias.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "common/error.h"
#include "training/training_arguments.h"

using bertforge::Error;
using bertforge::training::TrainingArguments;

namespace {

TrainingArguments valid_args() {
  TrainingArguments a;
  a.output_dir = "out";
  return a;
}

std::string validation_error(const TrainingArguments& a) {
  try {
    a.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TrainingArguments, DefaultsAreHuggingFaces) {
  TrainingArguments a;
  EXPECT_EQ(a.num_train_epochs, 3.0);
  EXPECT_EQ(a.max_steps, -1);
  EXPECT_EQ(a.per_device_train_batch_size, 8);
  EXPECT_EQ(a.gradient_accumulation_steps, 1);
  EXPECT_EQ(a.learning_rate, 5e-5);
  EXPECT_EQ(a.weight_decay, 0.0);
  EXPECT_EQ(a.adam_beta1, 0.9);
  EXPECT_EQ(a.adam_beta2, 0.999);
  EXPECT_EQ(a.adam_epsilon, 1e-8);
  EXPECT_EQ(a.max_grad_norm, 1.0);
  EXPECT_EQ(a.lr_scheduler_type, "linear");
  EXPECT_EQ(a.warmup_steps, 0);
  EXPECT_EQ(a.warmup_ratio, 0.0);
  EXPECT_EQ(a.logging_steps, 500);
  EXPECT_EQ(a.save_steps, 500);
  EXPECT_EQ(a.seed, 42);
  EXPECT_FALSE(a.bf16);
  EXPECT_FALSE(a.overwrite_output_dir);
  EXPECT_EQ(a.device, "cpu");
}

TEST(TrainingArguments, DefaultsValidateOnceOutputDirIsSet) {
  EXPECT_NE(validation_error(TrainingArguments{}).find("output_dir"), std::string::npos);
  EXPECT_EQ(validation_error(valid_args()), "");
}

TEST(TrainingArguments, ValidationNamesTheFieldAndFlag) {
  struct Case {
    std::function<void(TrainingArguments&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& a) { a.per_device_train_batch_size = 0; }, "per_device_train_batch_size"},
      {[](auto& a) { a.gradient_accumulation_steps = 0; }, "gradient_accumulation_steps"},
      {[](auto& a) { a.learning_rate = -1; }, "learning_rate"},
      {[](auto& a) { a.adam_beta1 = 1.0; }, "adam_beta1"},
      {[](auto& a) { a.adam_beta2 = -0.1; }, "adam_beta2"},
      {[](auto& a) { a.adam_epsilon = 0; }, "adam_epsilon"},
      {[](auto& a) { a.max_grad_norm = -1; }, "max_grad_norm"},
      {[](auto& a) { a.lr_scheduler_type = "polynomial_typo"; }, "lr_scheduler_type"},
      {[](auto& a) { a.warmup_ratio = 1.5; }, "warmup_ratio"},
      {[](auto& a) { a.warmup_steps = -3; }, "warmup_steps"},
      {[](auto& a) { a.logging_steps = 0; }, "logging_steps"},
      {[](auto& a) { a.save_steps = -1; }, "save_steps"},
      {[](auto& a) { a.save_total_limit = -2; }, "save_total_limit"},
      {[](auto& a) { a.eval_fraction = 1.0; }, "eval_fraction"},
      {[](auto& a) { a.device = "gpu0"; }, "device"},
      {[](auto& a) { a.threads = -1; }, "threads"},
      {[](auto& a) { a.max_steps = 0; }, "max_steps"},
      {[](auto& a) { a.num_train_epochs = 0; }, "num_train_epochs"},
      {[](auto& a) { a.max_minutes = -5; }, "max_minutes"},
  };
  for (auto& c : cases) {
    TrainingArguments a = valid_args();
    c.edit(a);
    std::string msg = validation_error(a);
    EXPECT_NE(msg.find("'" + c.field + "'"), std::string::npos) << c.field << ": " << msg;
    std::string flag = "--" + c.field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    EXPECT_NE(msg.find(flag), std::string::npos) << c.field << ": " << msg;
  }
}

TEST(TrainingArguments, EpochsMayBeZeroWhenMaxStepsIsSet) {
  TrainingArguments a = valid_args();
  a.num_train_epochs = 0;
  a.max_steps = 10;
  EXPECT_EQ(validation_error(a), "");
}

TEST(TrainingArguments, CudaDevicesPassValidation) {
  TrainingArguments a = valid_args();
  a.device = "cuda:1";
  EXPECT_EQ(validation_error(a), "");
  a.device = "cuda";
  EXPECT_EQ(validation_error(a), "");
}

TEST(TrainingArguments, JsonRoundTripKeepsEveryField) {
  TrainingArguments a = valid_args();
  a.overwrite_output_dir = true;
  a.num_train_epochs = 1.5;
  a.max_steps = 77;
  a.per_device_train_batch_size = 32;
  a.per_device_eval_batch_size = 16;
  a.gradient_accumulation_steps = 4;
  a.dataloader_drop_last = true;
  a.learning_rate = 1e-4;
  a.weight_decay = 0.01;
  a.adam_beta1 = 0.8;
  a.adam_beta2 = 0.98;
  a.adam_epsilon = 1e-6;
  a.max_grad_norm = 0.5;
  a.lr_scheduler_type = "cosine";
  a.warmup_ratio = 0.1;
  a.warmup_steps = 3;
  a.logging_steps = 7;
  a.logging_first_step = true;
  a.save_steps = 9;
  a.save_total_limit = 2;
  a.resume_from_checkpoint = "latest";
  a.seed = 1234;
  a.bf16 = true;
  a.eval_fraction = 0.05;
  a.eval_steps = 11;
  a.threads = 2;
  a.device = "cuda:0";
  a.max_minutes = 10;
  nlohmann::json j = a;
  TrainingArguments b = j.get<TrainingArguments>();
  EXPECT_EQ(nlohmann::json(b), j);
  EXPECT_EQ(b.lr_scheduler_type, "cosine");
  EXPECT_EQ(b.gradient_accumulation_steps, 4);
  EXPECT_EQ(j.at("per_device_train_batch_size"), 32);
}

TEST(TrainingArguments, SeedAliasPerGpuTrainBatchSize) {
  nlohmann::json j = {{"output_dir", "x"}, {"per_gpu_train_batch_size", 32}};
  auto b = j.get<TrainingArguments>();
  EXPECT_EQ(b.per_device_train_batch_size, 32);
}

TEST(TrainingArguments, UnknownKeyAndWrongTypeAreNamed) {
  try {
    (void)nlohmann::json{{"learning_rat", 1e-3}}.get<TrainingArguments>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rat"), std::string::npos);
  }
  try {
    (void)nlohmann::json{{"max_steps", "ten"}}.get<TrainingArguments>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_steps"), std::string::npos);
  }
  try {
    (void)nlohmann::json{{"max_steps", 2.5}}.get<TrainingArguments>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_steps"), std::string::npos);
  }
  nlohmann::json twenty = {{"max_steps", 20.0}};
  EXPECT_EQ(twenty.get<TrainingArguments>().max_steps, 20);
}

TEST(TrainingArguments, WarmupResolutionFollowsHF) {
  TrainingArguments a = valid_args();
  a.warmup_ratio = 0.1;
  EXPECT_EQ(a.resolved_warmup_steps(95), 10);  // ceil(9.5)
  EXPECT_EQ(a.resolved_warmup_steps(100), 10);
  a.warmup_steps = 4;  // steps win over the ratio
  EXPECT_EQ(a.resolved_warmup_steps(100), 4);
  EXPECT_EQ(a.resolved_eval_steps(), 500);
  a.eval_steps = 25;
  EXPECT_EQ(a.resolved_eval_steps(), 25);
}
