from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from classifier.prediction import ArticleClassifier
from consumer.pipeline import PipelineConfig, article_text, process_batch
from consumer.records import OutboundKind
from consumer.schemas import ArticleIn, DeadLetter, RejectReason, TaggedArticle
from consumer.validation import InputLimits
from tests.unit.fakes import DEFAULT_LIMITS, article, inbound

CONFIG = PipelineConfig(output_topic="tagged", dlq_topic="dlq")
FIXED_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_one_output_per_input_in_order_with_valid_and_bad_records(
    tagger: ArticleClassifier,
) -> None:
    records = [
        inbound(article("a", "Troops shell border villages overnight"), 0),
        inbound(b"{broken", 1),
        inbound(b'{"title": "no id"}', 2),
        inbound(article("b", "Late goal wins the cup final"), 3),
        inbound(None, 4),
    ]
    outputs = process_batch(records, tagger, CONFIG, DEFAULT_LIMITS, clock=lambda: FIXED_NOW)

    assert [out.source.offset for out in outputs] == [0, 1, 2, 3, 4]
    assert [out.kind for out in outputs] == [
        OutboundKind.TAGGED,
        OutboundKind.DEAD_LETTER,
        OutboundKind.DEAD_LETTER,
        OutboundKind.TAGGED,
        OutboundKind.DEAD_LETTER,
    ]
    assert [out.topic for out in outputs] == ["tagged", "dlq", "dlq", "tagged", "dlq"]
    assert [out.reason for out in outputs] == [None, "not_json", "missing_id", None, "tombstone"]

    tagged = TaggedArticle.model_validate_json(outputs[0].value)
    assert outputs[0].key == b"a"
    assert tagged.id == "a"
    assert tagged.model == tagger.info
    assert tagged.processed_at == FIXED_NOW
    assert 1 <= len(tagged.topics) <= 3
    assert -10 <= tagged.tone.score <= 10
    assert "body" not in json.loads(outputs[0].value)  # echoed only when the setting asks for it


def test_dead_letter_keeps_original_bytes_and_coordinates(tagger: ArticleClassifier) -> None:
    raw = b"\x00\x01 not an article"
    (out,) = process_batch([inbound(raw, 41, partition=2)], tagger, CONFIG, DEFAULT_LIMITS)
    letter = DeadLetter.model_validate_json(out.value)
    assert base64.b64decode(letter.value_base64 or "") == raw
    assert (letter.source_topic, letter.partition, letter.offset) == ("raw", 2, 41)
    assert letter.reason is RejectReason.NOT_JSON
    assert letter.schema_version == "1.1"


def test_oversized_value_is_dead_lettered_with_a_bounded_copy(tagger: ArticleClassifier) -> None:
    config = PipelineConfig(limits=InputLimits(max_message_bytes=100))
    (out,) = process_batch([inbound(b"y" * 500, 0)], tagger, config, DEFAULT_LIMITS)
    letter = DeadLetter.model_validate_json(out.value)
    assert letter.reason is RejectReason.TOO_LARGE
    assert letter.value_size == 500
    assert letter.value_truncated
    assert len(base64.b64decode(letter.value_base64 or "")) == 100


def test_body_is_echoed_when_asked(tagger: ArticleClassifier) -> None:
    config = PipelineConfig(include_body=True)
    (out,) = process_batch(
        [inbound(article("c", "Title", "The body."), 0)], tagger, config, DEFAULT_LIMITS
    )
    assert json.loads(out.value)["body"] == "The body."


def test_long_text_is_truncated_and_flagged(tagger: ArticleClassifier) -> None:
    config = PipelineConfig(max_text_chars=200)
    (out,) = process_batch(
        [inbound(article("d", "Title", "word " * 500), 0)], tagger, config, DEFAULT_LIMITS
    )
    assert TaggedArticle.model_validate_json(out.value).truncated
    text, truncated = article_text(ArticleIn(id="e", title="T", body="short"), 200)
    assert (text.title, text.body, truncated) == ("T", "short", False)


class _ExplodingOnOne:
    """A real model wrapper that fails on one article, as a model bug on odd input would."""

    def __init__(self, inner: ArticleClassifier) -> None:
        self._inner = inner
        self.info = inner.info

    def classify(self, articles):  # type: ignore[no-untyped-def]
        if any("EXPLODE" in a.title for a in articles):
            if len(articles) == 1:
                raise ValueError("cannot featurise this")
            raise ValueError("batch failed")
        return self._inner.classify(articles)


def test_a_model_failure_dead_letters_only_the_article_it_failed_on(
    tagger: ArticleClassifier,
) -> None:
    records = [inbound(article(str(i), f"Title {i}"), i) for i in range(3)]
    records.append(inbound(article("bad", "EXPLODE"), 3))
    outputs = process_batch(records, _ExplodingOnOne(tagger), CONFIG, DEFAULT_LIMITS)
    assert [out.kind for out in outputs] == [OutboundKind.TAGGED] * 3 + [OutboundKind.DEAD_LETTER]
    assert outputs[3].reason == RejectReason.CLASSIFICATION_FAILED.value
