// Unit tests for corpus/html_text: only visible text survives, blocks break lines, entities decode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus/html_text.h"
#include "corpus/prepare.h"

using namespace bertforge;
using L = std::vector<std::string>;

TEST(HtmlText, ScriptsStylesAndHeadAreNotText) {
  auto lines = html_visible_text(
      "<html><head><title>Title</title><style>p{color:red}</style><script>var x = 1;</script></head>"
      "<body><p>보이는 글<script>alert('x')</script></p><noscript>Enable JS</noscript>"
      "<template><p>tpl</p></template><style>.a{}</style></body></html>");
  EXPECT_EQ(lines, (L{"보이는 글"}));
}

TEST(HtmlText, HiddenElementsAreRemoved) {
  auto lines = html_visible_text(
      "<p>keep</p><p hidden>h1</p><div aria-hidden=\"true\">h2</div><div aria-hidden=\"false\">shown</div>"
      "<span style=\"color: red; DISPLAY : none\">h3</span><div style='visibility:hidden'>h4</div>"
      "<p>a<span hidden=\"true\">X</span>b</p><input type=hidden value=h5><dialog>h6</dialog>"
      "<dialog open>open dialog</dialog><button>Click</button><select><option>opt</option></select>");
  EXPECT_EQ(lines, (L{"keep", "shown", "ab", "open dialog"}));
}

TEST(HtmlText, EntitiesAreDecoded) {
  auto lines =
      html_visible_text("<p>A &amp; B &lt;tag&gt; &quot;q&quot; &#xAC00;&#44032; caf&eacute;&nbsp;!</p>");
  EXPECT_EQ(lines, (L{"A & B <tag> \"q\" 가가 café !"}));
}

TEST(HtmlText, BlockElementsBreakLinesInlineDoNot) {
  auto lines = html_visible_text(
      "<h1>제목</h1><p>첫 <b>문단</b><a href=x>링크</a>.</p><ul><li>하나</li><li>둘</li></ul>"
      "<table><tr><td>셀1</td><td>셀2</td></tr></table><div>위<br>아래</div>text after div");
  EXPECT_EQ(lines, (L{"제목", "첫 문단링크.", "하나", "둘", "셀1", "셀2", "위", "아래", "text after div"}));
}

TEST(HtmlText, WhitespaceCollapses) {
  EXPECT_EQ(html_visible_text("<p>  a \n\t b   </p>\n\n<p>\n</p>"), (L{"a b"}));
}

TEST(HtmlText, NavigationBoilerplateIsSkippedUnlessAsked) {
  std::string page =
      "<body><header>Site Help</header><nav>Home | Up</nav><aside>Index</aside>"
      "<article><header>Article title</header><p>Body.</p><footer>by me</footer></article>"
      "<footer>Copyright</footer></body>";
  EXPECT_EQ(html_visible_text(page), (L{"Article title", "Body.", "by me"}));
  HtmlTextOptions keep;
  keep.keep_navigation = true;
  EXPECT_EQ(html_visible_text(page, keep),
            (L{"Site Help", "Home | Up", "Index", "Article title", "Body.", "by me", "Copyright"}));
}

TEST(HtmlText, CodeBlocksAreSkippedUnlessAsked) {
  std::string page = "<p>Example:</p><pre>Sub Main\n  Print 1\nEnd Sub</pre><p>Done.</p>";
  EXPECT_EQ(html_visible_text(page), (L{"Example:", "Done."}));
  HtmlTextOptions keep;
  keep.keep_code_blocks = true;
  EXPECT_EQ(html_visible_text(page, keep), (L{"Example:", "Sub Main", "Print 1", "End Sub", "Done."}));
}

TEST(HtmlText, CommentsAndBrokenMarkup) {
  EXPECT_EQ(html_visible_text("<!-- secret --><p>ok<p>unclosed<div><span>deep"),
            (L{"ok", "unclosed", "deep"}));
  EXPECT_TRUE(html_visible_text("").empty());
}

TEST(HtmlText, DeepNestingDoesNotOverflowTheStack) {
  std::string page;
  for (int i = 0; i < 20000; ++i) page += "<span>";
  page += "deep";
  EXPECT_EQ(html_visible_text(page), (L{"deep"}));
}

TEST(HtmlText, DeclaredCharset) {
  EXPECT_EQ(html_declared_charset("<meta charset=\"EUC-KR\">"), "euc-kr");
  EXPECT_EQ(html_declared_charset("<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">"),
            "utf-8");
  EXPECT_EQ(html_declared_charset("<p>none</p>"), "");
}

TEST(HtmlPageSentences, SplitsAndDropsLinesWithoutLetters) {
  uint64_t dropped = 0;
  auto doc = html_page_sentences(
      "<h1>개요</h1><p>파일을 엽니다. 저장하세요!</p><p>1.</p><p>---</p><td>3.5</td><p>English only.</p>", {},
      Script::kAny, &dropped);
  EXPECT_EQ(doc, (L{"개요", "파일을 엽니다.", "저장하세요!", "English only."}));
  EXPECT_EQ(dropped, 3u);
  dropped = 0;
  doc = html_page_sentences("<p>파일을 엽니다. Open it.</p>", {}, Script::kHangul, &dropped);
  EXPECT_EQ(doc, (L{"파일을 엽니다."}));
  EXPECT_EQ(dropped, 1u);
}
