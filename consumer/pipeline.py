"""The pure core: a batch of inbound records in, tagged records and dead letters out.

It imports neither Kafka nor Prometheus. Every inbound record yields exactly one outbound record, so
the runner can check `len(outputs) == len(records)` and nothing is ever dropped silently.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from classifier.countries import Country, CountryFinder, default_extractor
from classifier.prediction import ArticleClassifier, ArticleText, Prediction
from consumer.records import InboundRecord, OutboundKind, OutboundRecord
from consumer.schemas import ArticleIn, DeadLetter, RejectReason, TaggedArticle
from consumer.validation import InputLimits, Rejection, parse_article

__all__ = [
    "PipelineConfig",
    "article_text",
    "dead_letter_record",
    "process_batch",
    "tag_articles",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    output_topic: str = "articles.tagged"
    dlq_topic: str = "articles.dlq"
    limits: InputLimits = field(default_factory=InputLimits)
    max_text_chars: int = 20_000
    include_body: bool = False


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
    clock: Clock = _utcnow,
    countries: CountryFinder | None = None,
) -> list[OutboundRecord]:
    """One outbound record per inbound record, in input order."""
    parsed = [parse_article(record.value, config.limits) for record in records]
    valid_positions = [i for i, item in enumerate(parsed) if isinstance(item, ArticleIn)]
    valid = [item for item in parsed if isinstance(item, ArticleIn)]
    tagged = tag_articles(valid, classifier, config, clock, countries) if valid else []
    outcome: list[ArticleIn | Rejection | TaggedArticle] = list(parsed)
    for position, tagged_or_rejected in zip(valid_positions, tagged, strict=True):
        outcome[position] = tagged_or_rejected

    now = clock()
    outputs: list[OutboundRecord] = []
    for record, result in zip(records, outcome, strict=True):
        if isinstance(result, TaggedArticle):
            outputs.append(
                OutboundRecord(
                    kind=OutboundKind.TAGGED,
                    topic=config.output_topic,
                    key=result.id.encode("utf-8"),
                    value=result.to_json().encode("utf-8"),
                    source=record,
                    tagged=result,
                )
            )
        else:
            assert isinstance(result, Rejection)  # a valid ArticleIn was always replaced above
            outputs.append(dead_letter_record(record, result, config, now))
    return outputs


def dead_letter_record(
    record: InboundRecord, rejection: Rejection, config: PipelineConfig, now: datetime
) -> OutboundRecord:
    # An oversized value is kept only up to the limit, so the dead letter itself stays producible.
    kept = record.value
    limit = config.limits.max_message_bytes
    truncated = kept is not None and len(kept) > limit
    if kept is not None and truncated:
        kept = kept[:limit]
    letter = DeadLetter(
        reason=rejection.reason,
        detail=rejection.detail,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp_ms,
        key_base64=_b64(record.key),
        value_base64=_b64(kept),
        value_size=len(record.value) if record.value is not None else 0,
        value_truncated=truncated,
        rejected_at=now,
    )
    return OutboundRecord(
        kind=OutboundKind.DEAD_LETTER,
        topic=config.dlq_topic,
        key=record.key,
        value=letter.model_dump_json().encode("utf-8"),
        source=record,
        reason=rejection.reason.value,
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
