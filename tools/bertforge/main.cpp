// tools/bertforge/main.cpp — the `bertforge` executable: builds the command tree from the registry, parses
// argv, runs the chosen command, and turns every error into one clear line and an exit code
// (1 for errors, 2 for usage).
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

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

namespace {

// The LibTorch commands live in libbertforge_torch_commands.so next to the executable; loading it runs their
// BERTFORGE_COMMAND registrations. Needed when the command's first word is not a torch-free command, and for
// the full --help listing.
bool needs_torch_commands(int argc, char** argv) {
  std::set<std::string> core_groups;
  for (const auto& spec : bertforge::cli::command_registry())
    core_groups.insert(spec.path.substr(0, spec.path.find(' ')));
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") return false;
    if (a.empty() || a[0] == '-') continue;
    return core_groups.count(a) == 0;
  }
  return true;  // no command word: help lists every command
}

void load_torch_commands() {
  std::string dir = ".";
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string path(exe, static_cast<size_t>(n));
    dir = path.substr(0, path.rfind('/'));
  }
  std::string plugin = dir + "/libbertforge_torch_commands.so";
  if (!::dlopen(plugin.c_str(), RTLD_NOW | RTLD_GLOBAL))
    throw bertforge::Error(
        bertforge::ErrorKind::kIo,
        fmt::format("cannot load the LibTorch commands ({}): {}. Rebuild with "
                    "scripts/build.sh; the file must stay next to the bertforge executable.",
                    plugin, ::dlerror()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bertforge;
  if (needs_torch_commands(argc, argv)) {
    try {
      load_torch_commands();
    } catch (const Error& e) {
      std::fprintf(stderr, "bertforge: error: %s\n", e.what());
      return 1;
    }
  }
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
