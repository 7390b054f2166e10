"""Every outbound record fits its topic: tagged articles shortened in the documented order,
dead letters cut to the room left, and the two records that used to stop the service for good."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from datetime import UTC, datetime

import pytest

from classifier.prediction import ArticleClassifier
from consumer.output_fit import EVIDENCE_CHARS, OutputLimits, excerpts, fits
from consumer.pipeline import PipelineConfig, output_fits, process_batch, replace_refused
from consumer.records import InboundRecord, OutboundKind, OutboundRecord
from consumer.schemas import DeadLetter, RejectReason, TaggedArticle
from consumer.validation import InputLimits
from tests.unit.fakes import DEFAULT_LIMITS

CONFIG = PipelineConfig(output_topic="tagged", dlq_topic="dlq")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SMALL = OutputLimits(tagged_bytes=100_000, dead_letter_bytes=100_000)


def _record(value: bytes | None, key: bytes | None = None, offset: int = 0) -> InboundRecord:
    return InboundRecord("raw", 0, offset, key, value, 1_700_000_000_000)


def _article(**fields: object) -> bytes:
    return json.dumps({"id": "a-1", "title": "Talks resume", "body": "", **fields}).encode()


def _process(
    tagger: ArticleClassifier,
    records: list[InboundRecord],
    limits: OutputLimits = DEFAULT_LIMITS,
    config: PipelineConfig = CONFIG,
) -> list[OutboundRecord]:
    outputs = process_batch(records, tagger, config, limits, clock=lambda: NOW)
    for out in outputs:
        assert output_fits(out, limits), f"{out.kind} of {len(out.value)} bytes does not fit"
    return outputs


def test_the_articles_huge_id_record_is_dead_lettered_and_fits(tagger: ArticleClassifier) -> None:
    """Issue #10's first record: 999,923 bytes, id of 480,000 chars, title of 519,900."""
    article_id = "i" * 480_000
    value = _article(id=article_id, title="t" * 519_900)
    assert len(value) < 1_048_576
    (out,) = _process(tagger, [_record(value, key=article_id.encode())])
    assert out.kind is OutboundKind.DEAD_LETTER
    assert out.reason == RejectReason.KEY_TOO_LARGE
    assert out.key == hashlib.sha256(article_id.encode()).hexdigest().encode()
    letter = DeadLetter.model_validate_json(out.value)
    assert letter.key_size == 480_000
    assert base64.b64decode(letter.value_base64 or "") == value  # room for all of it here


def test_a_huge_id_under_a_small_key_is_refused_as_id_too_long(tagger: ArticleClassifier) -> None:
    (out,) = _process(tagger, [_record(_article(id="x" * 5_000), key=b"short")])
    assert out.reason == RejectReason.ID_TOO_LONG
    assert "5000 bytes" in DeadLetter.model_validate_json(out.value).detail


def test_the_huge_key_and_non_utf8_value_record_fits_as_a_dead_letter(
    tagger: ArticleClassifier,
) -> None:
    """Issue #10's second record: a 100,000-byte key and a 945,000-byte non-UTF-8 value."""
    key, value = b"k" * 100_000, b"\xff" * 945_000
    (out,) = _process(tagger, [_record(value, key=key)])
    assert out.reason == RejectReason.KEY_TOO_LARGE
    letter = DeadLetter.model_validate_json(out.value)
    assert (letter.key_size, letter.value_size) == (100_000, 945_000)
    assert out.key == hashlib.sha256(key).hexdigest().encode()
    # Under a 100 KB dead-letter topic both are cut, flagged, and still prefixes of the original.
    (small,) = _process(tagger, [_record(value, key=key)], SMALL)
    cut = DeadLetter.model_validate_json(small.value)
    assert cut.key_truncated
    assert cut.value_truncated
    assert key.startswith(base64.b64decode(cut.key_base64 or ""))
    assert value.startswith(base64.b64decode(cut.value_base64 or ""))
    assert len(base64.b64decode(cut.value_base64 or "")) > 50_000  # the value keeps most room


def test_a_long_title_is_shortened_to_fit_and_flagged(tagger: ArticleClassifier) -> None:
    title = "Ceasefire talks resume " * 10_000  # 230 KB
    (out,) = _process(tagger, [_record(_article(title=title))], SMALL)
    assert out.kind is OutboundKind.TAGGED
    tagged = TaggedArticle.model_validate_json(out.value)
    assert tagged.output_shortened
    assert not tagged.truncated or len(title) > 20_000  # `truncated` keeps its own meaning
    assert tagged.title is not None
    assert tagged.title.endswith("…")
    assert title.startswith(tagged.title[:-1])
    assert len(out.value) > SMALL.tagged_bytes - 1_000, "the title keeps all the room there is"


def test_the_body_goes_first_when_it_is_echoed(tagger: ArticleClassifier) -> None:
    config = PipelineConfig(output_topic="tagged", dlq_topic="dlq", include_body=True)
    body = "Envoys met again on Friday. " * 5_000  # 140 KB
    (out,) = _process(tagger, [_record(_article(title="Envoys meet", body=body))], SMALL, config)
    tagged = TaggedArticle.model_validate_json(out.value)
    assert tagged.body is None
    assert tagged.output_shortened
    assert tagged.title == "Envoys meet", (
        "the title is cut only when dropping the body is not enough"
    )
    (roomy,) = _process(tagger, [_record(_article(title="Envoys meet", body=body))], config=config)
    assert TaggedArticle.model_validate_json(roomy.value).body == body
    assert not TaggedArticle.model_validate_json(roomy.value).output_shortened


def test_evidence_is_shortened_before_the_title(tagger: ArticleClassifier) -> None:
    sentence = "Artillery shelled the border villages through the night " * 200
    value = _article(title="Shelling", body=sentence + ".\n" + sentence + ".")
    limits = OutputLimits(tagged_bytes=12_000, dead_letter_bytes=100_000)
    (out,) = _process(tagger, [_record(value)], limits)
    tagged = TaggedArticle.model_validate_json(out.value)
    assert tagged.output_shortened
    assert tagged.title == "Shelling"
    assert all(len(e.text) <= EVIDENCE_CHARS for e in tagged.evidence)


def test_an_article_that_cannot_fit_becomes_an_output_too_large_dead_letter(
    tagger: ArticleClassifier,
) -> None:
    value = _article(url="https://example.org/" + "p" * 150_000)
    (out,) = _process(tagger, [_record(value, key=b"a-1")], SMALL)
    assert out.kind is OutboundKind.DEAD_LETTER
    assert out.reason == RejectReason.OUTPUT_TOO_LARGE
    assert out.key == b"a-1"


@pytest.mark.parametrize("seed", range(40))
def test_any_dead_letter_fits_and_keeps_prefixes_with_honest_flags(
    tagger: ArticleClassifier, seed: int
) -> None:
    rng = random.Random(seed)
    key = rng.randbytes(rng.choice([0, 10, 4_096, 4_097, 60_000])) if seed % 5 else None
    value = rng.randbytes(rng.choice([1, 900, 50_000, 400_000, 1_100_000]))
    limit = rng.choice([8_192, 20_000, 100_000, 1_463_637])
    limits = OutputLimits(limit, limit)
    config = PipelineConfig(limits=InputLimits(max_key_bytes=4_096))
    (out,) = _process(tagger, [_record(value, key=key)], limits, config)
    letter = DeadLetter.model_validate_json(out.value)
    kept_value = base64.b64decode(letter.value_base64 or "")
    assert value.startswith(kept_value)
    assert letter.value_truncated == (len(kept_value) < len(value))
    assert letter.value_size == len(value)
    if key is None:
        assert letter.key_base64 is None
        assert letter.key_size is None
    else:
        kept_key = base64.b64decode(letter.key_base64 or "")
        assert key.startswith(kept_key)
        assert letter.key_truncated == (len(kept_key) < len(key))
        assert letter.key_size == len(key)


def test_excerpts_share_the_room_when_both_do_not_fit() -> None:
    assert excerpts(10, 20, room=1_000, key_floor=4_096) == (10, 20)
    key, value = excerpts(100_000, 1_000_000, room=400_000, key_floor=4_096)
    assert 4 * ((key + 2) // 3) + 4 * ((value + 2) // 3) <= 400_000
    assert 4_095 <= key <= 4_096 < value, "the value first, after the key's first 4 KiB"
    key, value = excerpts(100_000, 50_000, room=400_000, key_floor=4_096)
    assert value == 50_000
    assert key > 4_096, "the key takes the room the value leaves"
    assert excerpts(10_000, 0, room=-5, key_floor=4_096) == (0, 0)


def test_fits_counts_key_value_and_framing() -> None:
    assert fits(b"k" * 10, b"v" * 100, 10 + 100 + 256)
    assert not fits(b"k" * 10, b"v" * 100, 10 + 100 + 255)


def test_a_refused_tagged_record_is_refitted_then_dead_lettered_then_minimal(
    tagger: ArticleClassifier,
) -> None:
    (tagged,) = _process(tagger, [_record(_article(title="Talks " * 30_000), key=b"a-1")])
    # The topic's limit was lowered under our feet: the refreshed limits make it smaller.
    refit = replace_refused(tagged, "MessageSizeTooLarge", True, CONFIG, SMALL, NOW)
    assert refit is not None
    assert refit.kind is OutboundKind.TAGGED
    assert len(refit.value) < SMALL.tagged_bytes < len(tagged.value)
    # Refused again although it fits by our measure: nothing smaller, so a dead letter.
    letter = replace_refused(refit, "MessageSizeTooLarge", True, CONFIG, SMALL, NOW)
    assert letter is not None
    assert letter.reason == RejectReason.OUTPUT_TOO_LARGE
    # Refused for a fault that is not its size: output_rejected, with the broker's words.
    rejected = replace_refused(tagged, "InvalidRecordError('bad')", False, CONFIG, SMALL, NOW)
    assert rejected is not None
    assert rejected.reason == RejectReason.OUTPUT_REJECTED
    assert "InvalidRecordError" in DeadLetter.model_validate_json(rejected.value).detail
    # A refused dead letter goes again without excerpts, and keeps its reason.
    minimal = replace_refused(letter, "InvalidRecordError", False, CONFIG, SMALL, NOW)
    assert minimal is not None
    assert minimal.minimal
    bare = DeadLetter.model_validate_json(minimal.value)
    assert bare.reason == RejectReason.OUTPUT_TOO_LARGE
    assert bare.value_base64 == ""
    assert bare.value_truncated
    assert replace_refused(minimal, "again", False, CONFIG, SMALL, NOW) is None


def test_a_minimal_dead_letter_of_a_keyless_record_gets_a_key_for_compacted_topics(
    tagger: ArticleClassifier,
) -> None:
    (letter,) = _process(tagger, [_record(b"not json", key=None, offset=77)])
    assert letter.key is None
    minimal = replace_refused(letter, "InvalidRecordError", False, CONFIG, SMALL, NOW)
    assert minimal is not None
    assert minimal.key == b"raw-0-77"
