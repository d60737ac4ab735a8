// tools/bertforge/corpus_prepare.cpp — `bertforge corpus prepare`: the first pipeline step, HTML pages or
// plain text -> corpus.txt (one sentence per line, a blank line between documents). See docs/corpus.md.
#include <memory>

#include "command.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "corpus/prepare.h"

namespace bertforge::cli {
namespace {

std::function<void()> setup_corpus_prepare(CLI::App& app) {
  auto o = std::make_shared<CorpusPrepareOptions>();
  add_option(app, "input", o->input, "Files or folders to read (folders recursively, in sorted order)")
      ->required()
      ->expected(1, -1);
  add_option(app, "output", o->output,
             "Corpus file to write (one sentence per line, blank line between documents)")
      ->required();
  add_option(app, "format", o->format, "auto (.html/.htm/.xhtml are HTML, .txt text) | html | text")
      ->check(CLI::IsMember({"auto", "html", "text"}));
  add_bool(app, "overwrite", o->overwrite, "Replace the output file if it exists");
  add_option(app, "on_invalid_utf8", o->on_invalid_utf8,
             "Invalid UTF-8 or NUL bytes: error | replace (U+FFFD) | skip (text: the line, HTML: the page)")
      ->check(CLI::IsMember({"error", "replace", "skip"}));
  add_option(app, "max_line_bytes", o->max_line_bytes, "Text inputs: longest line accepted, in bytes");
  add_option(app, "max_html_bytes", o->max_html_bytes, "HTML inputs: largest page accepted, in bytes");
  add_bool(app, "keep_code_blocks", o->keep_code_blocks, "HTML: keep <pre> blocks (code listings)");
  add_bool(app, "keep_navigation", o->keep_navigation, "HTML: keep nav, aside and page header/footer");
  add_option(app, "require_script", o->require_script,
             std::string("Keep only sentences with a letter of this script: ") + script_names());
  add_option(app, "min_sentences", o->min_sentences, "Drop documents with fewer sentences than this");
  add_option(app, "threads", o->threads,
             "Threads parsing HTML pages (0: all cores); the output does not depend on it");
  add_bool(app, "split_text_on_blank_lines", o->split_text_on_blank_lines,
           "Text: a blank line starts a new document (otherwise one document per file)");
  add_config_option(app);
  return [o]() {
    o->validate();
    print_effective_config("corpus prepare", o->to_json());
    std::unique_ptr<ProgressBar> bar;
    PrepareStats stats = prepare_corpus(*o, [&bar](size_t done, size_t total) {
      if (!bar) bar = std::make_unique<ProgressBar>("corpus prepare", total, "files");
      bar->set(done);
    });
    if (bar) bar->finish();
    log_info(
        "corpus prepare: {} documents, {} sentences, {} written to {} in {:.1f} s ({:.1f} MB/s of input)",
        stats.documents, stats.sentences, human_bytes(stats.bytes_written), o->output, stats.seconds,
        stats.seconds > 0 ? stats.input_bytes / 1e6 / stats.seconds : 0.0);
    log_info("  inputs: {} HTML pages, {} text files ({}), {} folder files of other types ignored",
             stats.html_files, stats.text_files, human_bytes(stats.input_bytes), stats.ignored_files);
    log_info(
        "  dropped: {} sentences without letters (of --require-script), {} inputs with no sentence, {} "
        "documents under --min-sentences, {} invalid pages, {} invalid lines",
        stats.dropped_lines, stats.empty_documents, stats.short_documents, stats.invalid_files_skipped,
        stats.invalid_lines_skipped);
  };
}

}  // namespace

BERTFORGE_COMMAND("corpus prepare", "Turn HTML pages or plain text into corpus.txt (one sentence per line)",
                  setup_corpus_prepare);

}  // namespace bertforge::cli
