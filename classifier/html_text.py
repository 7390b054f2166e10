"""Article text as feeds deliver it -> the plain text that the model, the language check and
users see.

`clean_text` is the one entry point; the service runs it on every title and body before anything
reads them, and training runs it on every corpus text, so both see the same characters.

- Text that looks like HTML (`looks_like_html`: a known tag, a comment or a doctype; a cheap
  check, so the parser runs only when needed) is parsed with lexbor (selectolax) and rendered as
  lines: block elements (paragraphs, headings, list items, table cells...) become paragraphs
  separated by a blank line, `<br>` a line break, inline tags nothing; whitespace inside a block
  collapses as a browser would. Scripts, styles, navigation, forms and other non-article elements
  are dropped with their content, and so are furniture lines (`classifier.boilerplate`).
- Plain text that carries HTML entities (`AT&amp;T`) has them decoded by the standard library.
- Everything then goes through `classifier.normalisation.normalise`.

Text that merely contains "<" ("a < b", "<5%", "<nat sound>") is not HTML and keeps every
character. `<pre>` blocks lose their own line breaks: news bodies hardly use them, and a renderer
that honoured them would have to walk the tree twice.
"""

from __future__ import annotations

import html
import re
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from classifier.boilerplate import is_boilerplate
from classifier.normalisation import normalise

__all__ = ["clean_text", "html_to_text", "looks_like_html"]

# Elements whose content is never article text. The parser keeps the content of the first kind as
# one text child, skipped as the tree is walked; the second kind hold markup, and a body that has
# any is walked again once they are removed (full pages do; feed bodies rarely).
_DROPPED_RAW_TEXT: Final = frozenset(
    {"script", "style", "title", "textarea", "iframe", "xmp", "noembed", "noframes"}
)
_DROPPED_CONTAINERS: Final = frozenset(
    {
        "noscript", "template", "object", "embed", "svg", "math", "canvas", "video", "audio",
        "map", "nav", "footer", "aside", "form", "button", "select", "head",
    }
)  # fmt: skip
# Elements that start a new paragraph in the rendered text.
_BLOCKS: Final = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "table", "tr", "td", "th", "thead", "tbody", "tfoot", "caption",
        "figure", "figcaption", "article", "section", "header", "main", "address", "hr",
        "center", "details", "summary", "fieldset", "legend", "body", "html",
    }
)  # fmt: skip
# Tag names that make a text HTML when they appear as tags. One-letter names (a, b, i, q, s, u)
# are handled apart: "<b and c>" is an inequality in prose, not a bold tag.
_KNOWN_TAGS: Final = sorted(
    (
        _BLOCKS
        | _DROPPED_RAW_TEXT
        | _DROPPED_CONTAINERS
        | {
            "abbr", "br", "cite", "code", "del", "em", "font", "img", "ins", "link", "mark",
            "meta", "small", "source", "span", "strike", "strong", "sub", "sup", "time", "wbr",
            "picture", "label", "input", "var", "kbd", "dfn", "bdi", "bdo", "big", "tt",
        }
    ),
    key=len,
    reverse=True,  # longest first, so that "<br>" is not read as "<b" + "r>"
)  # fmt: skip
_NAMES: Final = "|".join(_KNOWN_TAGS)
_LOOKS_LIKE_HTML: Final = re.compile(
    r"<(?:!--|!doctype\b"
    rf"|/(?:{_NAMES}|[abiqsu])\s*>"  # a closing tag
    rf"|(?:{_NAMES})(?:\s[^<>]*)?/?>"  # an opening tag, with or without attributes
    r"|[abiqsu]/?>|a\s+[a-z-]+\s*=)",  # <b>, <i/>, <a href=...
    re.IGNORECASE,
)
_ENTITY: Final = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TEXT_NODE: Final = "-text"


def looks_like_html(text: str) -> bool:
    """True when `text` holds at least one HTML tag, comment or doctype (not just a "<")."""
    return "<" in text and _LOOKS_LIKE_HTML.search(text) is not None


def clean_text(text: str) -> str:
    """Plain, normalised text from a title or body that may be HTML."""
    if looks_like_html(text):
        text = html_to_text(text)
    elif "&" in text and _ENTITY.search(text) is not None:
        text = html.unescape(text)
    return normalise(text)


def html_to_text(markup: str) -> str:
    """Paragraphs separated by a blank line, `<br>` breaks kept, furniture lines left out."""
    root = LexborHTMLParser(markup).body
    if root is None:  # a document with no body (only a head, say) has no article text
        return ""
    text, containers = _render(root)
    if containers:
        root.strip_tags(sorted(containers))  # removes each with its content, nested ones too
        text, _ = _render(root)
    return text


def _render(root: LexborNode) -> tuple[str, set[str]]:
    """The rendered text, and the names of container elements to drop that were met."""
    containers: set[str] = set()
    skip_next = False
    paragraphs: list[str] = []
    lines: list[str] = []
    fragments: list[str] = []

    def end_line() -> None:
        if not fragments:
            return
        line = "".join(fragments)
        fragments.clear()
        # Source indentation between block tags leaves text nodes of whitespace alone.
        if line.isspace():
            return
        line = _collapse_whitespace(line)
        if line and not is_boilerplate(line):
            lines.append(line)

    def end_paragraph() -> None:
        end_line()
        if lines:
            paragraphs.append("\n".join(lines))
            lines.clear()

    # `traverse` visits nodes in document order but signals no element ends, so a node that
    # follows a closed block inside its parent ("<div><p>a</p>tail</div>") is found by its
    # previous sibling; only when text is pending, since otherwise there is nothing to end.
    for node in root.traverse(include_text=True):
        if skip_next:  # the text of a script, style... element met just before
            skip_next = False
            continue
        tag = node.tag
        if tag in _BLOCKS:
            end_paragraph()
            continue
        if fragments or lines:
            previous = node.prev
            if previous is not None and previous.tag in _BLOCKS:
                end_paragraph()
        if tag == _TEXT_NODE:
            fragments.append(node.text_content or "")
        elif tag == "br":
            end_line()
        elif tag in _DROPPED_RAW_TEXT:
            skip_next = node.child is not None
        elif tag in _DROPPED_CONTAINERS:
            containers.add(tag)
    end_paragraph()
    return "\n\n".join(paragraphs), containers


def _collapse_whitespace(text: str) -> str:
    """Runs of HTML whitespace to one space, as a browser renders them, then stripped.

    `str.replace` loops instead of `" ".join(text.split())`, which builds an object per word and
    cost most of the renderer's time.
    """
    for char in "\n\r\t\f":
        if char in text:
            text = text.replace(char, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()
