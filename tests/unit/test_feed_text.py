"""The feed-text step as wired: cleaning and language check in the pipeline and batch mode."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from classifier.language import Detection, bundled_identifier
from classifier.prediction import ArticleClassifier
from consumer.batch_mode import classify_lines
from consumer.feed_text import prepare_feed_text
from consumer.pipeline import PipelineConfig, process_batch
from consumer.records import OutboundKind
from consumer.schemas import ArticleIn, DeadLetter, RejectReason, TaggedArticle
from consumer.validation import Rejection
from tests.unit.fakes import DEFAULT_LIMITS, inbound

DATA = Path(__file__).resolve().parent.parent / "data"
TWINS = DATA / "html"
SAMPLES = [
    json.loads(line)
    for line in (DATA / "language_samples.jsonl").read_text(encoding="utf-8").splitlines()
]
FOREIGN = [s for s in SAMPLES if s["language"] != "en"]
MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&[A-Za-z]+;|&#\d+;")
ENGLISH = frozenset({"en"})
CONFIG = PipelineConfig(output_topic="tagged", dlq_topic="dlq", include_body=True)


def _value(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def _article(**fields: object) -> ArticleIn:
    return ArticleIn.model_validate({"id": "a", **fields})


class _Always:
    """An identifier that always answers the same, to test the step without the model."""

    def __init__(self, language: str, probability: float) -> None:
        self.language, self.probability = language, probability

    def detect_text(self, text: str) -> Detection:
        return Detection(
            self.language, self.probability, ((self.language, self.probability),), text
        )


def test_the_step_cleans_fills_the_language_and_keeps_rejections() -> None:
    earlier = Rejection(RejectReason.NOT_JSON, "not JSON")
    items: list[ArticleIn | Rejection] = [
        _article(title="Talks <em>resume</em>", body="<p>Officials met&nbsp;today.</p>"),
        earlier,
        _article(title="Talks resume", language="en-GB"),
    ]
    out, languages = prepare_feed_text(items, ENGLISH, _Always("en", 0.97))
    first = out[0]
    assert isinstance(first, ArticleIn)
    assert (first.title, first.body, first.language) == (
        "Talks resume",
        "Officials met today.",
        "en",
    )
    assert out[1] is earlier
    third = out[2]
    assert isinstance(third, ArticleIn)
    assert third.language == "en-GB"  # the input's value wins in the output
    assert languages == ["en", None, "en"]


def test_the_step_rejects_an_unaccepted_language_with_what_was_detected() -> None:
    out, languages = prepare_feed_text(
        [_article(title="Grève nationale", language="en")], ENGLISH, _Always("fr", 0.994)
    )
    (rejection,) = out
    assert isinstance(rejection, Rejection)
    assert rejection.reason is RejectReason.UNSUPPORTED_LANGUAGE
    assert rejection.detail == (
        "detected language fr with probability 0.994 (languages not accepted: 0.994); accepted: en"
    )
    assert languages == ["fr"]  # detection decides, whatever the input declares


def test_an_article_with_no_text_left_after_cleaning_is_empty_text() -> None:
    out, languages = prepare_feed_text(
        [_article(body="<script>track()</script><p> </p>")], ENGLISH, _Always("en", 0.9)
    )
    (rejection,) = out
    assert isinstance(rejection, Rejection)
    assert rejection.reason is RejectReason.EMPTY_TEXT
    assert languages == [None]


def test_text_without_letters_gets_no_detected_language() -> None:
    out, languages = prepare_feed_text([_article(title="2026: 3-1")], ENGLISH, bundled_identifier())
    (item,) = out
    assert isinstance(item, ArticleIn)
    assert item.language is None
    assert languages == ["und"]


@pytest.mark.parametrize("name", sorted(path.stem for path in TWINS.glob("*.html")))
def test_an_html_article_is_tagged_like_its_plain_twin_with_no_markup_anywhere(
    tagger: ArticleClassifier, name: str
) -> None:
    markup = (TWINS / f"{name}.html").read_text(encoding="utf-8")
    plain = (TWINS / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    records = [
        inbound(_value(id="h", title="Talks and <em>strikes</em> &amp; more", body=markup), 0),
        inbound(_value(id="h", title="Talks and strikes & more", body=plain), 1),
    ]
    from_html, from_plain = process_batch(records, tagger, CONFIG, DEFAULT_LIMITS)
    assert from_html.kind is OutboundKind.TAGGED
    html_json = json.loads(from_html.value)
    plain_json = json.loads(from_plain.value)
    for field in ("title", "body", "topics", "tone", "evidence", "countries", "language"):
        assert html_json[field] == plain_json[field], field
    assert html_json["body"] == plain
    assert MARKUP.search(from_html.value.decode()) is None


@pytest.mark.parametrize("sample", FOREIGN, ids=[s["id"] for s in FOREIGN])
def test_foreign_articles_become_unsupported_language_dead_letters(
    tagger: ArticleClassifier, sample: dict[str, str]
) -> None:
    value = _value(id=sample["id"], title=sample["title"], body=sample["body"])
    (out,) = process_batch([inbound(value, 0)], tagger, CONFIG, DEFAULT_LIMITS)
    assert out.kind is OutboundKind.DEAD_LETTER
    letter = DeadLetter.model_validate_json(out.value)
    assert letter.reason is RejectReason.UNSUPPORTED_LANGUAGE
    assert re.fullmatch(
        r"detected language [a-z]{2,3} with probability [01]\.\d{3}"
        r" \(languages not accepted: [01]\.\d{3}\); accepted: en",
        letter.detail,
    )
    assert out.language is not None
    assert out.language != "en"


def test_english_articles_quoting_foreign_phrases_are_tagged(tagger: ArticleClassifier) -> None:
    english = [s for s in SAMPLES if s["language"] == "en"]
    records = [
        inbound(_value(id=s["id"], title=s["title"], body=s["body"]), offset)
        for offset, s in enumerate(english)
    ]
    outputs = process_batch(records, tagger, CONFIG, DEFAULT_LIMITS)
    assert [out.kind for out in outputs] == [OutboundKind.TAGGED] * len(english)
    assert {json.loads(out.value)["language"] for out in outputs} == {"en"}
    assert {out.language for out in outputs} == {"en"}


def test_accepted_languages_come_from_the_config(tagger: ArticleClassifier) -> None:
    french = _value(id="f", title="Grève nationale dans les transports ce jeudi")
    config = PipelineConfig(accepted_languages=frozenset({"en", "fr"}))
    (out,) = process_batch([inbound(french, 0)], tagger, config, DEFAULT_LIMITS)
    assert out.kind is OutboundKind.TAGGED
    assert TaggedArticle.model_validate_json(out.value).language == "fr"


def test_detente_classify_reports_foreign_articles_as_rejects(tagger: ArticleClassifier) -> None:
    lines = [
        _value(id="en", title="Troops shell border villages overnight"),
        _value(id="fr", title=FOREIGN[0]["title"], body=FOREIGN[0]["body"]),
        _value(id="html", title="Talks", body="<p>Officials met on <b>Tuesday</b>.</p>"),
    ]
    output, rejects = io.StringIO(), io.StringIO()
    report = classify_lines(lines, tagger, PipelineConfig(), output, rejects)
    assert (report.read, report.tagged, report.rejected) == (3, 2, 1)
    (problem,) = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert (problem["line"], problem["reason"]) == (2, "unsupported_language")
    assert problem["detail"].startswith("detected language fr with probability")
    tagged = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [row["id"] for row in tagged] == ["en", "html"]
    assert tagged[1]["title"] == "Talks"
