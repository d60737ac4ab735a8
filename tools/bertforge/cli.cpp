// tools/bertforge/cli.cpp — the command registry and option helpers shared by every command. Built as its
// own shared library (libbertforge_cli.so) so that the executable and the LibTorch command plug-in
// (libbertforge_torch_commands.so, loaded only for commands that need LibTorch) share one registry.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "command.h"
#include "common/error.h"
#include "common/log.h"

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
