// corpus/html_text.h — visible text of an HTML page, for `corpus prepare`. Parses with gumbo (an HTML5
// parser: real-world markup, entities decoded, no regexes over tags) and walks the tree:
//   * skipped with everything inside: script, style, noscript, template, head (incl. title), iframe,
//     object, embed, svg, math, canvas, audio, video, button, select, textarea, closed <dialog>;
//     pre (code listings) unless keep_code_blocks;
//     nav, aside and page-level header/footer (not inside article/main/section) unless keep_navigation;
//     hidden elements: the `hidden` attribute, aria-hidden="true", style display:none / visibility:hidden.
//   * block elements (p, div, li, h1-h6, td, th, tr, br, blockquote, section, ...) end the current line;
//     inline elements (a, span, em, ...) flow into it.
//   * whitespace runs collapse to one space; comments and image alt text are not text.
// Example:
//   <p>Hello <b>world</b>&nbsp;!<script>x()</script></p><div hidden>no</div><li>항목</li>
//     -> {"Hello world !", "항목"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bertforge {

struct HtmlTextOptions {
  bool keep_code_blocks = false;  // keep <pre> blocks (code listings), one output line per source line
  bool keep_navigation = false;   // keep nav, aside and page-level header/footer (site boilerplate)
};

// The page's visible text as lines (one per block), whitespace collapsed, no empty lines.
// `html` must be valid UTF-8 (the caller applies the invalid-UTF-8 policy first).
std::vector<std::string> html_visible_text(std::string_view html, const HtmlTextOptions& options = {});

// The charset a page declares in its first bytes (<meta charset=...> or content="...; charset=..."),
// lower-cased, or "" when none. Used to explain invalid UTF-8 ("the page says euc-kr: convert it").
std::string html_declared_charset(std::string_view html);

}  // namespace bertforge
