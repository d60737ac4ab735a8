// tools/bertforge/main.cpp — the `bertforge` executable: builds the command tree from the registry, parses
// argv, runs the chosen command, and turns every error into one clear line and an exit code
// (1 for errors, 2 for usage).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
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

// JSON config files for --config: a flat object whose keys are option names (snake_case or kebab-case).
class JsonConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return "{}"; }
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::stringstream buffer;
    buffer << input.rdbuf();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(buffer.str());
    } catch (const std::exception& e) {
      throw Error(ErrorKind::kUsage, fmt::format("--config: not valid JSON: {}", e.what()));
    }
    if (!j.is_object()) throw Error(ErrorKind::kUsage, "--config: expected a JSON object of option names");
    std::vector<CLI::ConfigItem> items;
    for (auto& [key, value] : j.items()) {
      CLI::ConfigItem item;
      item.name = key;
      if (value.is_array()) {
        for (auto& v : value) item.inputs.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      } else if (value.is_string()) {
        item.inputs.push_back(value.get<std::string>());
      } else if (value.is_null()) {
        continue;
      } else {
        item.inputs.push_back(value.dump());
      }
      items.push_back(std::move(item));
    }
    return items;
  }
};

}  // namespace

void add_config_option(CLI::App& app) {
  app.set_config("--config", "", "JSON file with option values (flags given on the command line win)");
  app.config_formatter(std::make_shared<JsonConfig>());
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
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
