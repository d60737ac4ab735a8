#!/usr/bin/env python3
"""Reference for bench/corpus_prepare.sh: the same job as `bertforge corpus prepare` written the way a
Python user would (stdlib html.parser, a regex sentence split, str.isalpha), to put a ratio on our speed.
Usage: corpus_prepare_ref.py PAGES_DIR OUTPUT"""
import os
import re
import sys
from html.parser import HTMLParser

SKIP = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed", "svg", "math",
        "canvas", "audio", "video", "button", "select", "textarea", "datalist", "pre", "nav", "aside", "header",
        "footer"}
BLOCK = {"address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details", "dialog",
         "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
         "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "option", "p", "pre",
         "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SPLIT = re.compile(r"(?<=[.?!])\s+")
HANGUL = re.compile("[\uac00-\ud7a3]")


class Extract(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip_depth, self.lines, self.cur = 0, [], []

    def flush(self):
        line = " ".join("".join(self.cur).split())
        self.cur = []
        if line:
            self.lines.append(line)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br" and not self.skip_depth:
                self.flush()
            return
        a = dict(attrs)
        hidden = "hidden" in a or a.get("aria-hidden") == "true" or "display:none" in (a.get("style") or "").replace(" ", "")
        if self.skip_depth or tag in SKIP or hidden:
            self.skip_depth += 1
        elif tag in BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.skip_depth:
            self.skip_depth -= 1
        elif tag in BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skip_depth:
            self.cur.append(data)


def main():
    pages, output = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(pages) for f in fs if f.endswith(".html"))
    docs = 0
    with open(output, "w", encoding="utf-8") as out:
        for path in files:
            with open(path, encoding="utf-8") as f:
                p = Extract()
                p.feed(f.read())
                p.close()
                p.flush()
            sents = [s for line in p.lines for s in SPLIT.split(line) if HANGUL.search(s)]
            if sents:
                if docs:
                    out.write("\n")
                out.write("\n".join(sents) + "\n")
                docs += 1
    print(f"reference: {docs} documents", file=sys.stderr)


if __name__ == "__main__":
    main()
