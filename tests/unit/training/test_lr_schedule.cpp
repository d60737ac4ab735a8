// tests/unit/training/test_lr_schedule.cpp — the schedules against HF get_scheduler's formulas, evaluated by
// hand at chosen steps (warmup start/middle/end, decay middle, end, past the end).
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "training/lr_schedule.h"

using bertforge::training::LrSchedule;

TEST(LrSchedule, LinearWithWarmup) {
  LrSchedule s("linear", 1e-3, 2, 10);
  EXPECT_DOUBLE_EQ(s.factor(0), 0.0);
  EXPECT_DOUBLE_EQ(s.factor(1), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(2), 1.0);  // (10-2)/8
  EXPECT_DOUBLE_EQ(s.factor(6), 0.5);  // (10-6)/8
  EXPECT_DOUBLE_EQ(s.factor(9), 1.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.factor(10), 0.0);
  EXPECT_DOUBLE_EQ(s.factor(12), 0.0);  // clamped at 0 past the end
  EXPECT_DOUBLE_EQ(s.lr(6), 5e-4);
}

TEST(LrSchedule, LinearWithoutWarmupStartsAtPeak) {
  LrSchedule s("linear", 5e-5, 0, 4);
  EXPECT_DOUBLE_EQ(s.lr(0), 5e-5);
  EXPECT_DOUBLE_EQ(s.lr(1), 5e-5 * 0.75);
  EXPECT_DOUBLE_EQ(s.lr(3), 5e-5 * 0.25);
}

TEST(LrSchedule, CosineHalfWave) {
  LrSchedule s("cosine", 1.0, 4, 104);
  EXPECT_DOUBLE_EQ(s.factor(2), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(4), 1.0);
  EXPECT_NEAR(s.factor(54), 0.5, 1e-15);                                // progress 0.5 -> cos(pi/2)
  EXPECT_NEAR(s.factor(29), 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);  // progress 0.25
  EXPECT_NEAR(s.factor(104), 0.0, 1e-15);
  EXPECT_NEAR(s.factor(150), 0.5 * (1 + std::cos(M_PI * 1.46)), 1e-15);  // HF does not clamp progress
}

TEST(LrSchedule, ConstantIgnoresWarmupButConstantWithWarmupDoesNot) {
  LrSchedule c("constant", 2e-4, 10, 100);
  EXPECT_DOUBLE_EQ(c.lr(0), 2e-4);
  EXPECT_DOUBLE_EQ(c.lr(99), 2e-4);
  LrSchedule w("constant_with_warmup", 2e-4, 10, 100);
  EXPECT_DOUBLE_EQ(w.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(w.lr(5), 1e-4);
  EXPECT_DOUBLE_EQ(w.lr(10), 2e-4);
  EXPECT_DOUBLE_EQ(w.lr(1000), 2e-4);
}

TEST(LrSchedule, DegenerateSpansDoNotDivideByZero) {
  LrSchedule s("linear", 1.0, 5, 5);  // warmup covers everything: decay span max(1, 0)
  EXPECT_DOUBLE_EQ(s.factor(4), 0.8);
  EXPECT_DOUBLE_EQ(s.factor(5), 0.0);
  LrSchedule c("cosine", 1.0, 0, 0);
  EXPECT_TRUE(std::isfinite(c.factor(0)));
}

TEST(LrSchedule, UnknownTypeIsRefused) {
  EXPECT_THROW(LrSchedule("polynomial", 1.0, 0, 10), bertforge::Error);
}

TEST(LrSchedule, JsonNamesTheSchedule) {
  LrSchedule s("cosine", 1e-3, 2, 20);
  auto j = s.to_json(7);
  EXPECT_EQ(j.at("lr_scheduler_type"), "cosine");
  EXPECT_EQ(j.at("last_step"), 7);
  EXPECT_DOUBLE_EQ(j.at("last_lr").get<double>(), s.lr(7));
}
