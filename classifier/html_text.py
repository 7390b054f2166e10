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

# Elements whose content is never article text.
_DROPPED: Final = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "video", "audio", "map", "nav", "footer", "aside", "form", "button", "select", "textarea",
    "head", "title",
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
        | set(_DROPPED)
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
# Only the dropped elements a body actually holds are searched for in the parsed tree.
_DROPPED_PRESENT: Final = re.compile(r"<(" + "|".join(_DROPPED) + r")\b", re.IGNORECASE)
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
    tree = LexborHTMLParser(markup)
    present = {name.lower() for name in _DROPPED_PRESENT.findall(markup)}
    if present:
        tree.strip_tags(sorted(present))
    root = tree.body
    if root is None:  # a document with no body (only a head, say) has no article text
        return ""
    return _render(root)


def _render(root: LexborNode) -> str:
    paragraphs: list[str] = []
    lines: list[str] = []
    fragments: list[str] = []

    def end_line() -> None:
        # Whitespace inside a block collapses to one space, as a browser renders it.
        line = " ".join("".join(fragments).split())
        fragments.clear()
        if line and not is_boilerplate(line):
            lines.append(line)

    def end_paragraph() -> None:
        end_line()
        if lines:
            paragraphs.append("\n".join(lines))
            lines.clear()

    # `traverse` visits nodes in document order but signals no element ends, so text that follows
    # a closed block inside its parent ("<div><p>a</p>tail</div>") is found by its sibling.
    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == _TEXT_NODE:
            previous = node.prev
            if previous is not None and previous.tag in _BLOCKS:
                end_paragraph()
            fragments.append(node.text_content or "")
        elif tag in _BLOCKS:
            end_paragraph()
        elif tag == "br":
            end_line()
    end_paragraph()
    return "\n\n".join(paragraphs)
