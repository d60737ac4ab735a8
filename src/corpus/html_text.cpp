// corpus/html_text.cpp — HTML -> visible text lines with gumbo (see html_text.h).
#include "corpus/html_text.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/error.h"
#include "corpus/sentence_splitter.h"

namespace bertforge {

namespace {

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIR:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_NOFRAMES:
      return true;
    default:
      return false;
  }
}

bool is_never_text(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_DATALIST:
      return true;
    default:
      return false;
  }
}

bool is_sectioning(GumboTag tag) {
  return tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_MAIN || tag == GUMBO_TAG_SECTION;
}

std::string lower_no_space(const char* s) {
  std::string out;
  for (; *s; ++s) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (!std::isspace(c)) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

// gumbo 0.10 predates <dialog>: it comes through as GUMBO_TAG_UNKNOWN with its source text.
bool is_dialog(const GumboElement& e) {
  if (e.tag != GUMBO_TAG_UNKNOWN || e.original_tag.data == nullptr || e.original_tag.length < 2) return false;
  GumboStringPiece name = e.original_tag;
  gumbo_tag_from_original_text(&name);
  if (name.length != 6) return false;
  std::string lower(name.data, name.length);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "dialog";
}

bool is_hidden(const GumboElement& e) {
  const GumboVector* attrs = &e.attributes;
  if (gumbo_get_attribute(attrs, "hidden")) return true;
  if (const GumboAttribute* a = gumbo_get_attribute(attrs, "aria-hidden"))
    if (lower_no_space(a->value) == "true") return true;
  if (const GumboAttribute* a = gumbo_get_attribute(attrs, "style")) {
    std::string style = lower_no_space(a->value);
    if (style.find("display:none") != std::string::npos ||
        style.find("visibility:hidden") != std::string::npos)
      return true;
  }
  if (is_dialog(e) && !gumbo_get_attribute(attrs, "open")) return true;
  return false;
}

class Extractor {
 public:
  Extractor(const HtmlTextOptions& options, std::vector<std::string>& lines)
      : options_(options), lines_(lines) {}

  // Iterative walk: pages nest deeply enough that recursion is a stack-overflow risk.
  void run(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next_child;
    };
    std::vector<Frame> stack;
    if (!enter(root)) return;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      const GumboVector& children = f.node->v.element.children;
      if (f.next_child >= children.length) {
        leave(f.node);
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children.data[f.next_child++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE:
          text(child->v.text.text);
          break;
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE:
          if (enter(child)) stack.push_back({child, 0});
          break;
        default:  // comments, document
          break;
      }
    }
    flush();
  }

 private:
  // Returns false when the element and its subtree are not visible text.
  bool enter(const GumboNode* node) {
    if (node->type == GUMBO_NODE_TEMPLATE) return false;
    const GumboElement& e = node->v.element;
    if (is_never_text(e.tag) || is_hidden(e)) return false;
    if (e.tag == GUMBO_TAG_PRE && !options_.keep_code_blocks) return false;
    if (!options_.keep_navigation) {
      if (e.tag == GUMBO_TAG_NAV || e.tag == GUMBO_TAG_ASIDE) return false;
      if ((e.tag == GUMBO_TAG_HEADER || e.tag == GUMBO_TAG_FOOTER) && sectioning_depth_ == 0) return false;
    }
    if (is_block(e.tag) || is_dialog(e)) flush();
    if (is_sectioning(e.tag)) ++sectioning_depth_;
    if (e.tag == GUMBO_TAG_PRE) ++pre_depth_;
    return true;
  }

  void leave(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    if (is_sectioning(e.tag)) --sectioning_depth_;
    if (e.tag == GUMBO_TAG_PRE) --pre_depth_;
    if (is_block(e.tag) || is_dialog(e)) flush();
  }

  void text(const char* t) {
    if (pre_depth_ == 0) {
      current_ += t;
      return;
    }
    // Inside <pre> the source's line breaks are the lines.
    for (const char* p = t; *p; ++p) {
      if (*p == '\n')
        flush();
      else
        current_.push_back(*p);
    }
  }

  void flush() {
    if (current_.empty()) return;
    std::string line = collapse_whitespace(current_);
    current_.clear();
    if (!line.empty()) lines_.push_back(std::move(line));
  }

  const HtmlTextOptions& options_;
  std::vector<std::string>& lines_;
  std::string current_;
  int sectioning_depth_ = 0;
  int pre_depth_ = 0;
};

}  // namespace

std::vector<std::string> html_visible_text(std::string_view html, const HtmlTextOptions& options) {
  GumboOptions gumbo_options = kGumboDefaultOptions;
  gumbo_options.max_errors = 0;  // we never read parse errors; recording them costs time and memory
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&gumbo_options, html.data(), html.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  if (!output) throw Error(ErrorKind::kInternal, "gumbo failed to parse the page");
  std::vector<std::string> lines;
  Extractor(options, lines).run(output->root);
  return lines;
}

std::string html_declared_charset(std::string_view html) {
  std::string head(html.substr(0, 4096));
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t pos = head.find("charset=");
  if (pos == std::string::npos) return "";
  pos += 8;
  while (pos < head.size() && (head[pos] == '"' || head[pos] == '\'' || head[pos] == ' ')) ++pos;
  size_t end = pos;
  while (end < head.size() && (std::isalnum(static_cast<unsigned char>(head[end])) || head[end] == '-' ||
                               head[end] == '_' || head[end] == ':' || head[end] == '.'))
    ++end;
  return head.substr(pos, end - pos);
}

}  // namespace bertforge
