// tools/bertforge/main.cpp — the `bertforge` executable: builds the command tree from the registry, parses
// argv, runs the chosen command, and turns every error into one clear line and an exit code
// (1 for errors, 2 for usage).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "command.h"
#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"

namespace bertforge::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

std::string flag_names(const std::string& snake_name) {
  std::string kebab = snake_name;
  std::replace(kebab.begin(), kebab.end(), '_', '-');
  if (kebab == snake_name) return "--" + kebab;
  return "--" + kebab + ",--" + snake_name;
}

CLI::Option* add_bool(CLI::App& app, const std::string& snake_name, bool& field, const std::string& help) {
  std::string kebab = snake_name;
  std::replace(kebab.begin(), kebab.end(), '_', '-');
  std::string names = "--" + kebab + ",!--no-" + kebab;
  if (kebab != snake_name) names += ",--" + snake_name + ",!--no_" + snake_name;
  return app.add_flag(names, field, help + (field ? " (default: on)" : " (default: off)"));
}

namespace {

// `--config FILE.json`: a flat JSON object whose keys are option names (snake_case or kebab-case). CLI11 2.1
// reads config files only for the top-level app, so bertforge applies the file itself after parsing, to
// the options the command line did not give: defaults < config < flags. Values go through each option's
// own conversion and checks; a key that is no option of the command is a usage error naming it.
void apply_json_config(CLI::App& app, const std::string& path) {
  nlohmann::json j;
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::kUsage, fmt::format("--config {}: cannot read the file", path));
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kUsage, fmt::format("--config {}: not valid JSON: {}", path, e.what()));
  }
  if (!j.is_object())
    throw Error(ErrorKind::kUsage, fmt::format("--config {}: expected a JSON object of option names", path));
  for (auto& [key, value] : j.items()) {
    std::string kebab = key;
    std::replace(kebab.begin(), kebab.end(), '_', '-');
    CLI::Option* op = app.get_option_no_throw("--" + kebab);
    if (!op || kebab == "config" || kebab == "help")
      throw Error(ErrorKind::kUsage,
                  fmt::format("--config {}: unknown option '{}' for `{}`", path, key, app.get_name()));
    if (op->count() > 0 || value.is_null()) continue;  // the command line wins
    auto as_input = [](const nlohmann::json& v) {
      if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    std::vector<std::string> inputs;
    if (value.is_array()) {
      if (value.empty()) continue;  // an empty list keeps the option's default
      for (const auto& v : value) inputs.push_back(as_input(v));
    } else if (value.is_object()) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("--config {}: option '{}' holds an object; expected a value", path, key));
    } else {
      inputs.push_back(as_input(value));
    }
    try {
      op->add_result(inputs);
      op->run_callback();
    } catch (const CLI::Error& e) {
      throw Error(ErrorKind::kUsage, fmt::format("--config {}: option '{}': {}", path, key, e.what()));
    }
  }
}

}  // namespace

// The --config options made by add_config_option (a command such as `model init` has its own --config
// meaning a BertConfig file, which must not be read as an options file).
std::set<const CLI::Option*>& options_files() {
  static std::set<const CLI::Option*> set;
  return set;
}

void add_config_option(CLI::App& app) {
  // main() applies the file after parsing (apply_json_config); the option only records the path.
  options_files().insert(
      app.add_option("--config", "JSON file of option values, keys as option names (command-line flags win)")
          ->type_name("FILE"));
}

void print_effective_config(const std::string& title, const nlohmann::json& config) {
  log_info("{} configuration: {}", title, config.dump());
}

}  // namespace bertforge::cli

int main(int argc, char** argv) {
  using namespace bertforge;
  CLI::App app{
      "bertforge: pre-train a BERT language model on your own corpus, end to end, in C++.\n"
      "Pipeline: corpus prepare -> tokenizer train -> dataset build -> pretrain -> fill-mask.\n"
      "Every output loads in Hugging Face transformers/tokenizers. Run `bertforge <command> --help`.",
      "bertforge"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bertforge 0.1.0");
  bool quiet = false, verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only print warnings and errors (no progress bars)");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");

  std::map<std::string, CLI::App*> groups;
  std::function<void()> run;
  auto& registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](auto& a, auto& b) { return a.path < b.path; });
  for (auto& spec : registry) {
    std::istringstream words(spec.path);
    std::vector<std::string> parts;
    for (std::string w; words >> w;) parts.push_back(w);
    CLI::App* parent = &app;
    std::string prefix;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += parts[i] + " ";
      auto it = groups.find(prefix);
      if (it == groups.end()) {
        CLI::App* g = parent->add_subcommand(parts[i], parts[i] + " commands");
        g->require_subcommand(1);
        it = groups.emplace(prefix, g).first;
      }
      parent = it->second;
    }
    CLI::App* sub = parent->add_subcommand(parts.back(), spec.description);
    auto runner = std::make_shared<std::function<void()>>();
    auto setup = spec.setup;
    *runner = setup(*sub);
    sub->callback([runner, &run]() { run = *runner; });
  }

  // With --config, required options may come from the file: CLI11 must not refuse them during parsing;
  // they are checked after the file is applied.
  std::vector<CLI::Option*> deferred_required;
  bool has_config = false;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--config" || std::string(argv[i]).rfind("--config=", 0) == 0)
      has_config = true;
  if (has_config) {
    std::function<void(CLI::App*)> relax = [&](CLI::App* a) {
      for (CLI::Option* o : a->get_options())
        if (o->get_required()) {
          o->required(false);
          deferred_required.push_back(o);
        }
      for (CLI::App* sub : a->get_subcommands([](CLI::App*) { return true; })) relax(sub);
    };
    relax(&app);
  }
  try {
    app.parse(argc, argv);
    CLI::App* leaf = &app;
    while (!leaf->get_subcommands().empty()) leaf = leaf->get_subcommands().front();
    if (CLI::Option* config = leaf->get_option_no_throw("--config");
        config && config->count() > 0 && cli::options_files().count(config))
      cli::apply_json_config(*leaf, config->as<std::string>());
    for (CLI::Option* o : deferred_required)
      if (leaf->get_option_no_throw(o->get_name()) == o && o->count() == 0)
        throw Error(ErrorKind::kUsage,
                    fmt::format("{} is required (on the command line or in --config)", o->get_name()));
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every usage error exits 2 (CLI11's own codes vary by error type).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "bertforge: error: %s\n", e.what());
    return 2;
  }
  if (quiet) {
    set_log_level(LogLevel::kWarn);
    ProgressBar::set_enabled(false);
  }
  if (verbose) set_log_level(LogLevel::kDebug);
  try {
    if (run) run();
  } catch (const Error& e) {
    std::fprintf(stderr, "bertforge: error: %s\n", e.what());
    return e.kind() == ErrorKind::kUsage ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "bertforge: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertforge: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
