// tools/bertforge/command.h — how CLI commands plug in. Each command lives in its own file and registers
// itself with a static BERTFORGE_COMMAND(...) object; main.cpp builds the CLI11 tree from the registry.
// This folder is the only code that sees argv. Commands that need LibTorch live in tools/bertforge/torch/:
// they are built into a plug-in that main.cpp loads only when such a command runs, so the torch-free
// commands (corpus, scrub, tokenizer, tokenize, dataset) start in milliseconds without LibTorch. A command
// group (the first word of the path) lives wholly on one side.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace bertforge::cli {

// setup() adds the command's options to `app` and returns the function that runs it after parsing.
using CommandSetup = std::function<std::function<void()>(CLI::App& app)>;

struct CommandSpec {
  std::string path;         // "tokenizer train": words are nested subcommands
  std::string description;  // one line, shown in `bertforge --help`
  CommandSetup setup;
};

std::vector<CommandSpec>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(std::string path, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(path), std::move(description), std::move(setup)});
  }
};

// "vocab_size" -> "--vocab-size,--vocab_size": kebab-case flags, with HF's snake_case spelling as alias.
std::string flag_names(const std::string& snake_name);

// Adds an option bound to a field of an options struct; its help shows the struct's default.
template <typename T>
CLI::Option* add_option(CLI::App& app, const std::string& snake_name, T& field, const std::string& help) {
  return app.add_option(flag_names(snake_name), field, help)->capture_default_str();
}

// A boolean with both spellings: --name / --no-name (and the snake_case aliases).
CLI::Option* add_bool(CLI::App& app, const std::string& snake_name, bool& field, const std::string& help);

// Lets `--config file.json` supply any option of this command (precedence: defaults < config < flags).
void add_config_option(CLI::App& app);

// Prints the effective configuration of a run (stderr) so logs say what was run.
void print_effective_config(const std::string& title, const nlohmann::json& config);

// For main.cpp: the --config options made by add_config_option, and applying such a file to a parsed
// command (defaults < config < flags; unknown keys are usage errors).
std::set<const CLI::Option*>& options_files();
void apply_json_config(CLI::App& app, const std::string& path);

}  // namespace bertforge::cli

#define BERTFORGE_CONCAT_INNER(a, b) a##b
#define BERTFORGE_CONCAT(a, b) BERTFORGE_CONCAT_INNER(a, b)
#define BERTFORGE_COMMAND(path, description, setup)                                         \
  static ::bertforge::cli::CommandRegistrar BERTFORGE_CONCAT(bertforge_command_, __LINE__)( \
      path, description, setup)
