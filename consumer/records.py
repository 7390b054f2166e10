"""The plain values that cross the Kafka boundary, free of any Kafka client type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consumer.schemas import TaggedArticle

__all__ = ["BatchPosition", "InboundRecord", "OutboundKind", "OutboundRecord", "batch_position"]


@dataclass(frozen=True, slots=True)
class InboundRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None  # None is a tombstone
    timestamp_ms: int | None = None


class OutboundKind(StrEnum):
    TAGGED = "tagged"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    kind: OutboundKind
    topic: str
    key: bytes | None
    value: bytes
    source: InboundRecord
    reason: str | None = None  # the reject reason of a dead letter
    detail: str | None = None  # ... and its detail, to rebuild the letter if it is refused
    minimal: bool = False  # a dead letter already stripped of its key and value excerpts
    tagged: TaggedArticle | None = None  # the result itself, for metrics and refitting; not sent
    language: str | None = None  # the language detected in the article, for metrics; not sent


@dataclass(frozen=True, slots=True)
class BatchPosition:
    """Where a batch starts and ends in each partition it touches."""

    first: Mapping[tuple[str, int], int]  # offset of the batch's first record
    next: Mapping[tuple[str, int], int]  # one past its last record: the offset to commit


def batch_position(records: Sequence[InboundRecord]) -> BatchPosition:
    first: dict[tuple[str, int], int] = {}
    after: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        first[key] = min(first.get(key, record.offset), record.offset)
        after[key] = max(after.get(key, -1), record.offset + 1)
    return BatchPosition(first=first, next=after)
