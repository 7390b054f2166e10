"""HTML bodies to plain text, checked against plain-text twins written by hand (tests/data/html)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from classifier.boilerplate import is_boilerplate
from classifier.html_text import clean_text, html_to_text, looks_like_html
from classifier.prediction import ArticleClassifier, ArticleText

TWINS = Path(__file__).resolve().parent.parent / "data" / "html"
NAMES = sorted(path.stem for path in TWINS.glob("*.html"))
# Any tag, comment or entity left behind would match.
MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--|&[A-Za-z]+;|&#\d+;")


def _twin(name: str) -> tuple[str, str]:
    markup = (TWINS / f"{name}.html").read_text(encoding="utf-8")
    plain = (TWINS / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    return markup, plain


def test_there_are_twins() -> None:
    assert len(NAMES) >= 6
    assert all((TWINS / f"{name}.txt").is_file() for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_html_becomes_its_hand_written_twin(name: str) -> None:
    markup, plain = _twin(name)
    assert looks_like_html(markup)
    assert clean_text(markup) == plain


@pytest.mark.parametrize("name", NAMES)
def test_the_twin_itself_passes_through_unchanged(name: str) -> None:
    _, plain = _twin(name)
    assert not looks_like_html(plain)
    assert clean_text(plain) == plain


@pytest.mark.parametrize("name", NAMES)
def test_no_markup_survives(name: str) -> None:
    markup, _ = _twin(name)
    assert MARKUP.search(clean_text(markup)) is None


def test_the_model_tags_an_html_article_like_its_plain_twin(tagger: ArticleClassifier) -> None:
    """The model reads cleaned text, so an HTML body and its twin get the same tags and evidence."""
    html_texts, plain_texts = [], []
    for name in NAMES:
        markup, plain = _twin(name)
        html_texts.append(
            ArticleText(title=clean_text("Talks and <em>strikes</em>"), body=clean_text(markup))
        )
        plain_texts.append(ArticleText(title="Talks and strikes", body=plain))
    from_html = tagger.classify(html_texts)
    from_plain = tagger.classify(plain_texts)
    assert from_html == from_plain
    shown = [evidence.text for prediction in from_html for evidence in prediction.evidence]
    assert shown  # so that the check below is not vacuous
    assert not [text for text in shown if MARKUP.search(text)]


def test_script_and_style_content_never_appears() -> None:
    markup = "<p>Before.</p><script>var secret = 1;</script><style>p{}</style><p>After.</p>"
    assert clean_text(markup) == "Before.\n\nAfter."


def test_an_empty_script_does_not_swallow_the_text_after_it() -> None:
    assert (
        clean_text('<p>One</p><script src="x.js"></script>Two <b>three</b>') == "One\n\nTwo three"
    )


def test_nested_page_furniture_is_dropped_with_its_content() -> None:
    markup = (
        "<p>Kept.</p><aside><form><button>Vote</button><p>Poll</p></form></aside>"
        "<noscript><p>Enable JavaScript</p></noscript><svg><text>chart</text></svg>"
        "<p>Also kept.</p>"
    )
    assert clean_text(markup) == "Kept.\n\nAlso kept."


def test_br_is_a_line_break_and_blocks_are_paragraphs() -> None:
    assert clean_text("One<br>two<br/>three") == "One\ntwo\nthree"
    assert clean_text("<div>Intro<p>Inner.</p>tail after the block</div>") == (
        "Intro\n\nInner.\n\ntail after the block"
    )


def test_whitespace_inside_a_block_collapses_as_in_a_browser() -> None:
    markup = "<p>Officials   said\n  the talks\twould resume.</p>"
    assert clean_text(markup) == "Officials said the talks would resume."


def test_a_body_of_nothing_but_scripts_is_empty() -> None:
    assert clean_text("<script>track()</script><style>.x{}</style>") == ""
    assert html_to_text("<!-- only a comment -->") == ""


def test_a_title_with_inline_markup() -> None:
    assert clean_text("Missiles strike <em>Kyiv</em> &amp; Odesa") == "Missiles strike Kyiv & Odesa"


@pytest.mark.parametrize(
    "text",
    [
        "a < b",
        "Inflation stayed <2% while growth was > 3%",
        "if x<y and y>z the order holds",
        "if a<b and b>c then a<c",
        "<nat sound of cars on the road>",
        "Scores: Arsenal 2 <> Chelsea 1",
        "The <3 emoji and -> arrows",
    ],
)
def test_text_that_merely_contains_angle_brackets_is_not_html(text: str) -> None:
    assert not looks_like_html(text)
    assert clean_text(text) == text


def test_plain_text_with_entities_is_decoded_without_the_parser() -> None:
    assert not looks_like_html("AT&amp;T and R&D")
    assert clean_text("AT&amp;T and R&D") == "AT&T and R&D"
    assert clean_text("R&D; spending") == "R&D; spending"  # not an entity


@pytest.mark.parametrize(
    "text",
    ["<p>x</p>", "<P CLASS=a>x", "x<br>y", "<b>bold</b>", '<a href="/u">link</a>', "<!-- c -->x"],
)
def test_real_markup_is_recognised(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "line",
    [
        "Share this article",
        "Share on Facebook",
        "Facebook Twitter WhatsApp Email",
        "Subscribe to our newsletter",
        "Sign up for our daily briefing",
        "Follow us on Twitter @example",
        "Read more: Earlier strikes on the port",
        "Related: Talks collapse",
        "Advertisement",
        "Image copyright Getty Images",
        "© 2026 Example News. All rights reserved.",
        "We use cookies to give you the best experience on our website.",
        "This site uses cookies. By continuing to browse you accept them.",
    ],
)
def test_furniture_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell sharply on Tuesday.",
        "Shares in the company rose 5%.",
        "Related talks will resume in Geneva next week.",
        "Subscribers to the service lost access for two days.",
        "The minister followed up with a letter to the union.",
        "The bakery said its cookies sold out before noon.",
        "X",
        "Print",
        "",
    ],
)
def test_news_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_boilerplate_is_dropped_only_from_html() -> None:
    plain = "Talks resumed.\n\nShare this article"
    assert clean_text(plain) == plain
    assert clean_text("<p>Talks resumed.</p><p>Share this article</p>") == "Talks resumed."
