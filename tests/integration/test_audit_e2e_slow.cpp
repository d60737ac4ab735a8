// End to end, through the CLI (issue 7's proof): a tiny BERT pre-trained on a synthetic corpus with planted
// canaries (each secret repeated many times) gives those secrets clearly higher exposure than the controls
// it never saw; the same corpus after `bertforge scrub` gives no such gap. Synthetic data only. Takes a few
// minutes (two tokenizer + dataset + pre-training runs), hence the `slow` label.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

#include "test_util.h"

using namespace bertforge::testing;

namespace {

// Synthetic Korean-looking documents: sentences of 4..8 words from a small word list, one a line.
std::string make_corpus(int docs, uint64_t seed) {
  static const std::vector<std::string> words = {
      "오늘은", "날씨가", "맑고",     "바람이", "분다",   "우리는", "학교에",   "간다",   "친구와",
      "함께",   "점심을", "먹었다",   "도서관", "에서",   "책을",   "읽는다",   "시장에", "사과와",
      "배를",   "샀다",   "저녁에",   "가족과", "영화를", "보았다", "주말에는", "산에",   "올라",
      "사진을", "찍는다", "회사에서", "회의가", "길었다", "버스를", "타고",     "집으로", "돌아왔다",
      "커피를", "마시며", "음악을",   "듣는다", "공원을", "걸으며", "강아지와", "놀았다", "새로운",
      "계획을", "세웠다", "편지를",   "썼다",   "기차가", "늦게",   "도착했다"};
  std::mt19937_64 rng(seed);
  std::string s;
  for (int d = 0; d < docs; ++d) {
    if (d) s += "\n";
    int n = 3 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      int len = 4 + static_cast<int>(rng() % 5);
      for (int w = 0; w < len; ++w) s += (w ? " " : "") + words[rng() % words.size()];
      // Numbers too, so that the tokenizer of the scrubbed corpus still knows digits (else every secret and
      // candidate would be [UNK] and "no gap" would be trivially true).
      if (rng() % 3 == 0) s += fmt::format(" {}번", rng() % 10000);
      s += ".\n";
    }
  }
  return s;
}

void run_ok(const std::string& args) {
  RunResult r = run_cli(args);
  ASSERT_EQ(r.code, 0) << "bertforge " << args << "\n" << r.output;
}

struct Gap {
  double inserted = 0, control = 0;
};

// tokenizer -> dataset -> tiny pre-training -> audit of the canary list; returns mean exposures.
Gap train_and_audit(const TempDir& dir, const std::string& name, const std::string& corpus,
                    const std::string& canaries) {
  std::string tok = dir / (name + "-tok"), ds = dir / (name + "-ds"), model = dir / (name + "-model");
  std::string report = dir / (name + "-audit.json");
  Gap g;
  run_ok(fmt::format("-q tokenizer train --files {} --output {} --vocab-size 300 --threads 2",
                     sh_quote(corpus), sh_quote(tok)));
  run_ok(fmt::format(
      "-q dataset build --corpus {} --tokenizer {} --output {} --block-size 64 --seed 1 --threads 2",
      sh_quote(corpus), sh_quote(tok), sh_quote(ds)));
  run_ok(fmt::format(
      "-q pretrain --dataset {} --tokenizer {} --model-config {} --output_dir {} "
      "--per_device_train_batch_size 32 "
      "--learning_rate 3e-3 --lr_scheduler_type constant_with_warmup --warmup_steps 20 --max_steps 300 "
      "--logging_steps 100 --save_steps 0 --seed 1 --threads 1",
      sh_quote(ds), sh_quote(tok), sh_quote(dir / "bert-config.json"), sh_quote(model)));
  run_ok(
      fmt::format("-q audit --model {} --canaries {} --candidates 300 --seed 5 --batch-size 256 --threads 1 "
                  "--output {}",
                  sh_quote(model), sh_quote(canaries), sh_quote(report)));
  auto j = nlohmann::json::parse(read_file(report));
  const auto& s = j["canaries"]["summary"];
  g.inserted = s["inserted"]["exposure"]["mean"].get<double>();
  g.control = s["control"]["exposure"]["mean"].get<double>();
  std::printf("%s: mean exposure inserted %.2f, control %.2f (max %.2f)\n", name.c_str(), g.inserted,
              g.control, s["max_exposure"].get<double>());
  for (const auto& r : j["canaries"]["results"])
    std::printf("  %s %-8s exposure %.2f extrapolated %.2f\n", r["id"].get<std::string>().c_str(),
                r["inserted"].get<bool>() ? "inserted" : "control", r["exposure"].get<double>(),
                r["exposure_extrapolated"].get<double>());
  return g;
}

}  // namespace

TEST(AuditEndToEnd, PlantedCanariesAreExposedAndScrubbingRemovesTheGap) {
  TempDir dir;
  write_file(dir / "base.txt", make_corpus(150, 2024));
  write_file(dir / "bert-config.json",
             R"({"vocab_size": 300, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "intermediate_size": 128, "max_position_embeddings": 64})");
  run_ok(fmt::format(
      "-q audit canaries --insert --corpus {} --output {} --canary-list {} --count 12 --repeat 40 "
      "--seed 7",
      sh_quote(dir / "base.txt"), sh_quote(dir / "train.txt"), sh_quote(dir / "canaries.jsonl")));
  run_ok(fmt::format("-q scrub --input {} --output {} --report {}", sh_quote(dir / "train.txt"),
                     sh_quote(dir / "scrubbed.txt"), sh_quote(dir / "scrub-report.json")));
  // The scrubber found every planted phone number (12 secrets x 40).
  auto scrub_report = nlohmann::json::parse(read_file(dir / "scrub-report.json"));
  EXPECT_EQ(scrub_report["totals"]["findings"]["phone"].get<int>(), 12 * 40);
  EXPECT_EQ(scrub_report.dump().find("010-"), std::string::npos) << "the report never repeats a secret";

  Gap raw = train_and_audit(dir, "raw", dir / "train.txt", dir / "canaries.jsonl");
  Gap scrubbed = train_and_audit(dir, "scrubbed", dir / "scrubbed.txt", dir / "canaries.jsonl");
  // Margins, from a measured run of this pipeline (docs/privacy.md, "End-to-end check"): raw gap 6.3 bits
  // (inserted 7.18, control 0.87, maximum 8.23); after scrub 0.8 bits (1.78 vs 0.98). With no memorization
  // each mean of 12 exposures has a standard deviation of about 1.44/sqrt(12) = 0.42 bits, so their
  // difference about 0.59: the bound 2.0 is 3.4 of those; the raw gap clears 3.0 by more than 3 bits.
  EXPECT_GT(raw.inserted - raw.control, 3.0) << "planted secrets must stand out";
  EXPECT_LT(std::abs(scrubbed.inserted - scrubbed.control), 2.0)
      << "after scrub nothing planted is left to find";
  EXPECT_LT(scrubbed.inserted, raw.inserted - 2.0);
}
