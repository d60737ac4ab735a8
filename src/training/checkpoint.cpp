// training/checkpoint.cpp — checkpoint folders, rotation, output_dir rules, trainer_state.json.
#include "training/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace bertforge::training {

namespace {

// "checkpoint-120" -> 120; anything else (including "checkpoint-120.tmp-4-0") -> nullopt.
std::optional<int64_t> checkpoint_step(const std::string& name) {
  const std::string prefix = kCheckpointPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string digits = name.substr(prefix.size());
  if (digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(digits);
}

}  // namespace

std::vector<CheckpointInfo> list_checkpoints(const fs::path& output_dir) {
  std::vector<CheckpointInfo> out;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return out;
  for (auto& entry : fs::directory_iterator(output_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    auto step = checkpoint_step(entry.path().filename().string());
    if (step) out.push_back({*step, entry.path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::optional<fs::path> latest_checkpoint(const fs::path& output_dir) {
  auto all = list_checkpoints(output_dir);
  if (all.empty()) return std::nullopt;
  return all.back().path;
}

std::vector<fs::path> rotate_checkpoints(const fs::path& output_dir, int64_t limit) {
  std::vector<fs::path> deleted;
  if (limit <= 0) return deleted;
  auto all = list_checkpoints(output_dir);
  if (static_cast<int64_t>(all.size()) <= limit) return deleted;
  size_t excess = all.size() - static_cast<size_t>(limit);
  for (size_t i = 0; i < excess; ++i) {
    // Rename first, then delete: a kill during the (slow) recursive delete leaves a temporary, never a
    // half-deleted folder that still looks like a checkpoint.
    std::error_code ec;
    fs::path doomed = temp_sibling(all[i].path);
    fs::rename(all[i].path, doomed, ec);
    if (ec) throw io_error(all[i].path.string(), "cannot remove old checkpoint: " + ec.message());
    fs::remove_all(doomed, ec);
    deleted.push_back(all[i].path);
  }
  return deleted;
}

int remove_stale_temporaries(const fs::path& output_dir) {
  int n = 0;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (auto& entry : fs::directory_iterator(output_dir, ec))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) stale.push_back(entry.path());
  for (auto& p : stale) {
    fs::remove_all(p, ec);
    if (!ec) ++n;
  }
  return n;
}

void check_output_dir(const TrainingArguments& args) {
  fs::path dir = args.output_dir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw config_error("output_dir", fmt::format("{} exists and is not a folder", dir.string()));
  if (args.overwrite_output_dir || !args.resume_from_checkpoint.empty()) return;
  if (fs::directory_iterator(dir, ec) != fs::directory_iterator())
    throw config_error(
        "output_dir",
        fmt::format("{} already exists and is not empty; pass --overwrite-output-dir to train into it "
                    "anyway, or --resume-from-checkpoint latest to continue the run it holds",
                    dir.string()));
}

std::optional<fs::path> resolve_resume_checkpoint(const TrainingArguments& args) {
  const std::string& r = args.resume_from_checkpoint;
  if (r.empty()) return std::nullopt;
  fs::path ckpt;
  if (r == "latest") {
    auto latest = latest_checkpoint(args.output_dir);
    if (!latest)
      throw config_error("resume_from_checkpoint",
                         fmt::format("'latest' but {} holds no checkpoint-<step> folder", args.output_dir));
    ckpt = *latest;
  } else {
    ckpt = r;
  }
  std::error_code ec;
  if (!fs::is_directory(ckpt, ec))
    throw config_error("resume_from_checkpoint", fmt::format("{} is not a folder", ckpt.string()));
  if (!fs::exists(ckpt / "trainer_state.json", ec))
    throw config_error(
        "resume_from_checkpoint",
        fmt::format("{} has no trainer_state.json; it is not a checkpoint folder", ckpt.string()));
  return ckpt;
}

fs::path write_checkpoint(const fs::path& output_dir, int64_t step,
                          const std::function<void(const fs::path&)>& fill) {
  fs::path target = output_dir / fmt::format("{}{}", kCheckpointPrefix, step);
  build_dir_atomic(target, /*replace=*/true, fill);
  return target;
}

nlohmann::json TrainerState::to_json() const {
  // HF's keys (transformers.TrainerState, dataclasses.asdict order is alphabetical after
  // json.dumps(sort_keys)).
  return {{"best_metric", nullptr},
          {"best_model_checkpoint", nullptr},
          {"epoch", epoch},
          {"eval_steps", eval_steps},
          {"global_step", global_step},
          {"is_hyper_param_search", false},
          {"is_local_process_zero", true},
          {"is_world_process_zero", true},
          {"log_history", log_history},
          {"logging_steps", logging_steps},
          {"max_steps", max_steps},
          {"num_input_tokens_seen", num_input_tokens_seen},
          {"num_train_epochs", num_train_epochs},
          {"save_steps", save_steps},
          {"total_flos", total_flos},
          {"train_batch_size", train_batch_size},
          {"trial_name", nullptr},
          {"trial_params", nullptr},
          {"bertforge", bertforge}};
}

TrainerState TrainerState::from_json(const nlohmann::json& j, const std::string& source) {
  TrainerState s;
  try {
    s.global_step = j.at("global_step").get<int64_t>();
    s.epoch = j.value("epoch", 0.0);
    s.max_steps = j.value("max_steps", int64_t{0});
    s.logging_steps = j.value("logging_steps", int64_t{500});
    s.eval_steps = j.value("eval_steps", int64_t{500});
    s.save_steps = j.value("save_steps", int64_t{500});
    s.train_batch_size = j.value("train_batch_size", int64_t{8});
    s.num_train_epochs = j.value("num_train_epochs", 0.0);
    s.total_flos = j.value("total_flos", 0.0);
    s.num_input_tokens_seen = j.value("num_input_tokens_seen", int64_t{0});
    if (j.contains("log_history")) s.log_history = j.at("log_history");
    if (j.contains("bertforge")) s.bertforge = j.at("bertforge");
  } catch (const nlohmann::json::exception& e) {
    throw format_error(source, 0, std::string("not a trainer_state.json: ") + e.what());
  }
  return s;
}

}  // namespace bertforge::training
