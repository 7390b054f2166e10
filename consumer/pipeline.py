"""The pure core: a batch of inbound records in, tagged records and dead letters out.

It imports neither Kafka nor Prometheus. Every inbound record yields exactly one outbound record, so
the runner can check `len(outputs) == len(records)` and nothing is ever dropped silently. Every
outbound record fits the limit of its topic (`consumer.output_fit`), and `replace_refused` says
what a record the broker refused anyway becomes.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from classifier.countries import Country, CountryFinder, default_extractor
from classifier.language import TextIdentifier, bundled_identifier
from classifier.prediction import ArticleClassifier, ArticleText, Prediction
from consumer.feed_text import prepare_feed_text
from consumer.output_fit import (
    RECORD_OVERHEAD_BYTES,
    OutputLimits,
    dead_letter_key,
    excerpts,
    fit_tagged,
    fits,
)
from consumer.records import InboundRecord, OutboundKind, OutboundRecord
from consumer.schemas import ArticleIn, DeadLetter, RejectReason, TaggedArticle
from consumer.validation import InputLimits, Rejection, check_key, parse_article

__all__ = [
    "PipelineConfig",
    "article_text",
    "check_feed_text",
    "dead_letter_record",
    "output_fits",
    "process_batch",
    "replace_refused",
    "tag_articles",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# A rejection's detail is ours, but it may quote the input (a JSON parser's message): bounded.
_MAX_DETAIL_CHARS = 1_000
_FLAG_SLACK = 8


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    output_topic: str = "articles.tagged"
    dlq_topic: str = "articles.dlq"
    limits: InputLimits = field(default_factory=InputLimits)
    max_text_chars: int = 20_000
    include_body: bool = False
    # Languages an article may be in (DETENTE_ACCEPTED_LANGUAGES), and what judges them: None is
    # the bundled identifier, loaded on first use and kept.
    accepted_languages: frozenset[str] = frozenset({"en"})
    language_identifier: TextIdentifier | None = None


def check_feed_text(
    items: Sequence[ArticleIn | Rejection], config: PipelineConfig
) -> tuple[list[ArticleIn | Rejection], list[str | None]]:
    """Clean and judge the language of valid articles (`consumer.feed_text`); see there."""
    identifier = config.language_identifier or bundled_identifier()
    return prepare_feed_text(items, config.accepted_languages, identifier)


def article_text(article: ArticleIn, max_chars: int) -> tuple[ArticleText, bool]:
    """What the model reads, and whether it was cut to `max_chars` (title first, then body)."""
    title = (article.title or "").strip()[:max_chars]
    body = (article.body or "").strip()
    room = max(max_chars - len(title), 0)
    truncated = len((article.title or "").strip()) > max_chars or len(body) > room
    return ArticleText(title=title, body=body[:room]), truncated


def tag_articles(
    articles: Sequence[ArticleIn],
    classifier: ArticleClassifier,
    config: PipelineConfig,
    clock: Clock = _utcnow,
    countries: CountryFinder | None = None,
) -> list[TaggedArticle | Rejection]:
    """Classify valid articles in one batch call; an article the model fails on is rejected.

    The countries step is a call of its own on the same texts (the model's input, cut at
    `max_text_chars`), so that its cost can be measured apart from the classifier's. Without a
    `countries` finder, the shipped one is built on first use."""
    prepared = [article_text(article, config.max_text_chars) for article in articles]
    texts = [text for text, _ in prepared]
    predictions = _classify_isolating_failures(classifier, texts)
    found = _countries(countries or default_extractor(), texts)
    processed_at = clock()
    results: list[TaggedArticle | Rejection] = []
    for article, (_, truncated), prediction, states in zip(
        articles, prepared, predictions, found, strict=True
    ):
        if isinstance(prediction, Rejection):
            results.append(prediction)
            continue
        results.append(
            TaggedArticle(
                id=article.id,
                title=article.title,
                url=article.url,
                source=article.source,
                published_at=article.published_at,
                language=article.language,
                body=article.body if config.include_body else None,
                topics=prediction.topics,
                tone=prediction.tone,
                evidence=prediction.evidence,
                truncated=truncated,
                countries=states,
                model=classifier.info,
                processed_at=processed_at,
            )
        )
    return results


def process_batch(
    records: Sequence[InboundRecord],
    classifier: ArticleClassifier,
    config: PipelineConfig,
    limits: OutputLimits,
    clock: Clock = _utcnow,
    countries: CountryFinder | None = None,
) -> list[OutboundRecord]:
    """One outbound record per inbound record, in input order, each within `limits`."""
    parsed = [
        check_key(record.key, config.limits) or parse_article(record.value, config.limits)
        for record in records
    ]
    parsed, languages = check_feed_text(parsed, config)
    valid_positions = [i for i, item in enumerate(parsed) if isinstance(item, ArticleIn)]
    valid = [item for item in parsed if isinstance(item, ArticleIn)]
    tagged = tag_articles(valid, classifier, config, clock, countries) if valid else []
    outcome: list[ArticleIn | Rejection | TaggedArticle] = list(parsed)
    for position, tagged_or_rejected in zip(valid_positions, tagged, strict=True):
        outcome[position] = tagged_or_rejected

    now = clock()
    outputs: list[OutboundRecord] = []
    for record, result, language in zip(records, outcome, languages, strict=True):
        if isinstance(result, TaggedArticle):
            outputs.append(_tagged_record(record, result, config, limits, now, language))
        else:
            assert isinstance(result, Rejection)  # a valid ArticleIn was always replaced above
            outputs.append(
                dead_letter_record(record, result, config, now, limits, language=language)
            )
    return outputs


def _tagged_record(
    record: InboundRecord,
    article: TaggedArticle,
    config: PipelineConfig,
    limits: OutputLimits,
    now: datetime,
    language: str | None,
) -> OutboundRecord:
    key = article.id.encode("utf-8")
    value = fit_tagged(article, key, limits.tagged_bytes)
    if value is None:
        detail = (
            f"the tagged article does not fit the output topic's limit of {limits.tagged_bytes}"
            " bytes even without body, long evidence and title"
        )
        return dead_letter_record(
            record,
            Rejection(RejectReason.OUTPUT_TOO_LARGE, detail),
            config,
            now,
            limits,
            language=language,
        )
    return OutboundRecord(
        kind=OutboundKind.TAGGED,
        topic=config.output_topic,
        key=key,
        value=value,
        source=record,
        tagged=article,
        language=language,
    )


def dead_letter_record(
    record: InboundRecord,
    rejection: Rejection,
    config: PipelineConfig,
    now: datetime,
    limits: OutputLimits,
    minimal: bool = False,
    language: str | None = None,
) -> OutboundRecord:
    """The dead letter of `record`, cut to fit the dead-letter topic (`minimal`: no excerpts)."""
    key, value = record.key, record.value
    record_key = dead_letter_key(key, config.limits.max_key_bytes)
    if minimal and record_key is None:
        # A compacted dead-letter topic refuses keyless records: the minimal letter has a key.
        record_key = f"{record.topic}-{record.partition}-{record.offset}".encode()
    # The input limit applies first: an oversized value is kept only up to it.
    value_kept = min(len(value), config.limits.max_message_bytes) if value is not None else 0
    letter = DeadLetter(
        reason=rejection.reason,
        detail=rejection.detail[:_MAX_DETAIL_CHARS],
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp_ms,
        key_base64=_b64(key),
        key_size=len(key) if key is not None else None,
        value_base64=_b64(value[:value_kept]) if value is not None else None,
        value_size=len(value) if value is not None else 0,
        value_truncated=value is not None and value_kept < len(value),
        rejected_at=now,
    )
    encoded = letter.model_dump_json().encode("utf-8")
    limit = limits.dead_letter_bytes
    if minimal or not fits(record_key, encoded, limit):
        letter, encoded = _cut_excerpts(
            letter, key, value, value_kept, record_key, limit, minimal, config.limits.max_key_bytes
        )
    return OutboundRecord(
        kind=OutboundKind.DEAD_LETTER,
        topic=config.dlq_topic,
        key=record_key,
        value=encoded,
        source=record,
        reason=rejection.reason.value,
        detail=rejection.detail,
        minimal=minimal,
        language=language,
    )


def _cut_excerpts(
    letter: DeadLetter,
    key: bytes | None,
    value: bytes | None,
    value_kept: int,
    record_key: bytes | None,
    limit: int,
    minimal: bool,
    max_key_bytes: int,
) -> tuple[DeadLetter, bytes]:
    """Shrink the key and value excerpts to the room the envelope leaves under `limit`."""
    empty = letter.model_copy(
        update={
            "key_base64": "" if key is not None else None,
            "value_base64": "" if value is not None else None,
            "key_truncated": key is not None,
            "value_truncated": value is not None,
        }
    )
    # The flags are measured as `true`; a `false` is one byte longer, hence the slack.
    envelope = len(empty.model_dump_json().encode("utf-8")) + _FLAG_SLACK
    room = limit - RECORD_OVERHEAD_BYTES - envelope - (len(record_key) if record_key else 0)
    key_size = len(key) if key is not None else 0
    key_bytes, value_bytes = (
        (0, 0) if minimal else excerpts(key_size, value_kept, room, max_key_bytes)
    )
    cut = empty.model_copy(
        update={
            "key_base64": _b64(key[:key_bytes]) if key is not None else None,
            "key_truncated": key is not None and key_bytes < len(key),
            "value_base64": _b64(value[:value_bytes]) if value is not None else None,
            "value_truncated": value is not None and value_bytes < len(value),
        }
    )
    return cut, cut.model_dump_json().encode("utf-8")


def output_fits(out: OutboundRecord, limits: OutputLimits) -> bool:
    tagged = out.kind is OutboundKind.TAGGED
    return fits(out.key, out.value, limits.tagged_bytes if tagged else limits.dead_letter_bytes)


def replace_refused(
    out: OutboundRecord,
    cause: str,
    too_large: bool,
    config: PipelineConfig,
    limits: OutputLimits,
    now: datetime,
) -> OutboundRecord | None:
    """What to send instead of a record the broker refused; None when nothing smaller exists.

    A tagged article refused for its size is fitted again to `limits` (re-read from the broker
    after the refusal) when that makes it smaller, else dead-lettered as `output_too_large`; one
    refused for another reason is dead-lettered as `output_rejected`. A refused dead letter is
    sent again without excerpts; a refused minimal one has no smaller form.
    """
    if out.kind is OutboundKind.TAGGED and out.tagged is not None:
        if too_large:
            assert out.key is not None  # a tagged record's key is its id
            value = fit_tagged(out.tagged, out.key, limits.tagged_bytes)
            if value is not None and len(value) < len(out.value):
                return OutboundRecord(
                    kind=out.kind,
                    topic=out.topic,
                    key=out.key,
                    value=value,
                    source=out.source,
                    tagged=out.tagged,
                    language=out.language,
                )
            rejection = Rejection(
                RejectReason.OUTPUT_TOO_LARGE,
                f"the output topic refused the {len(out.value)}-byte tagged article: {cause}",
            )
        else:
            rejection = Rejection(
                RejectReason.OUTPUT_REJECTED,
                f"the output topic refused the tagged article: {cause}",
            )
        return dead_letter_record(out.source, rejection, config, now, limits, language=out.language)
    if out.minimal or out.reason is None:
        return None
    rejection = Rejection(RejectReason(out.reason), out.detail or "")
    return dead_letter_record(
        out.source, rejection, config, now, limits, minimal=True, language=out.language
    )


def _b64(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode("ascii") if raw is not None else None


def _countries(finder: CountryFinder, texts: list[ArticleText]) -> list[tuple[Country, ...]]:
    """Countries of each text; a failure costs the batch its countries, never its articles."""
    try:
        found = finder.extract_many(texts)
    except Exception:
        log.exception("country extraction failed; the batch is tagged without countries")
        return [()] * len(texts)
    if len(found) != len(texts):
        log.error("country step returned %d results for %d articles", len(found), len(texts))
        return [()] * len(texts)
    return found


def _classify_isolating_failures(
    classifier: ArticleClassifier, texts: list[ArticleText]
) -> list[Prediction | Rejection]:
    """One batch call; if it fails, one by one, so a single bad article cannot sink the batch."""
    if not texts:
        return []
    try:
        predictions = classifier.classify(texts)
    except Exception:
        log.exception("batch classification failed; retrying article by article")
    else:
        if len(predictions) == len(texts):
            return list(predictions)
        log.error("classifier returned %d results for %d articles", len(predictions), len(texts))
    results: list[Prediction | Rejection] = []
    for text in texts:
        try:
            (prediction,) = classifier.classify([text])
        except Exception as exc:
            results.append(
                Rejection(RejectReason.CLASSIFICATION_FAILED, f"{type(exc).__name__}: {exc}")
            )
        else:
            results.append(prediction)
    return results
