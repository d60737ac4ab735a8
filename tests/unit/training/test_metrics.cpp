// tests/unit/training/test_metrics.cpp — metrics.jsonl appends and resume truncation; the SVG plot.
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "training/metrics.h"

using namespace bertforge::training;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("bf_metrics_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}
}  // namespace

TEST(MetricsLog, AppendsAndResumeDropsLinesAfterTheCheckpoint) {
  auto dir = temp_dir("log");
  {
    MetricsLog log(dir / "metrics.jsonl", -1);
    for (int s = 1; s <= 5; ++s) log.append({{"step", s}, {"loss", 10.0 - s}});
  }
  EXPECT_EQ(MetricsLog::read(dir / "metrics.jsonl").size(), 5u);
  {
    MetricsLog log(dir / "metrics.jsonl", 3);  // resumed from checkpoint-3
    log.append({{"step", 4}, {"loss", 0.5}});
  }
  auto records = MetricsLog::read(dir / "metrics.jsonl");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3]["step"], 4);
  EXPECT_EQ(records[3]["loss"], 0.5);
  fs::remove_all(dir);
}

TEST(MetricsLog, PartialLastLineIsSkippedButCorruptMiddleIsAnError) {
  auto dir = temp_dir("partial");
  bertforge::write_file_atomic(dir / "m.jsonl", "{\"step\": 1}\n{\"step\": 2, \"lo");
  EXPECT_EQ(MetricsLog::read(dir / "m.jsonl").size(), 1u);
  bertforge::write_file_atomic(dir / "m.jsonl", "{\"step\": 1}\nnot json\n{\"step\": 3}\n");
  try {
    MetricsLog::read(dir / "m.jsonl");
    FAIL();
  } catch (const bertforge::Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.jsonl:2"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(TrainingCurves, SvgHasPanelsAxesAndCurves) {
  auto dir = temp_dir("svg");
  std::vector<nlohmann::json> records;
  for (int s = 10; s <= 100; s += 10)
    records.push_back({{"step", s}, {"loss", 9.0 / s}, {"learning_rate", 1e-4 * (100 - s) / 100.0}});
  records.push_back(
      {{"step", 50}, {"eval_loss", 0.3}, {"eval_mlm_accuracy", 0.4}, {"eval_nsp_accuracy", 0.6}});
  records.push_back(
      {{"step", 100}, {"eval_loss", 0.2}, {"eval_mlm_accuracy", 0.5}, {"eval_nsp_accuracy", 0.7}});
  write_training_curves_svg(dir / "c.svg", records, "run <1>");
  std::string svg = bertforge::read_file(dir / "c.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 5u);  // loss, eval loss, 2 accuracies, lr
  EXPECT_NE(svg.find("run &lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">step<"), std::string::npos);
  EXPECT_NE(svg.find("Learning rate"), std::string::npos);
  EXPECT_NE(svg.find("Held-out accuracy"), std::string::npos);
  EXPECT_NE(svg.find(">100<"), std::string::npos);  // an x tick label at the last step

  // Without eval records: no accuracy panel; with nothing: still a valid picture saying so.
  records.resize(10);
  write_training_curves_svg(dir / "c2.svg", records, "t");
  std::string svg2 = bertforge::read_file(dir / "c2.svg");
  EXPECT_EQ(svg2.find("Held-out accuracy"), std::string::npos);
  EXPECT_EQ(count(svg2, "<polyline"), 2u);
  write_training_curves_svg(dir / "c3.svg", {}, "t");
  EXPECT_NE(bertforge::read_file(dir / "c3.svg").find("no data"), std::string::npos);
  fs::remove_all(dir);
}
