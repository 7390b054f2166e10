"""In-memory stand-ins for the Kafka source and sink, satisfying the runner's protocols."""

from __future__ import annotations

import json
from collections.abc import Sequence

from consumer.errors import (
    BatchAbortedError,
    DeliveryError,
    OutputsRefusedError,
    RetriableDeliveryError,
)
from consumer.output_fit import OutputLimits
from consumer.records import BatchPosition, InboundRecord, OutboundRecord

# What detente gives the output topics it creates, for the default 1 MiB input limit.
DEFAULT_LIMITS = OutputLimits(tagged_bytes=1_463_637, dead_letter_bytes=1_463_637)


def inbound(
    value: bytes | None, offset: int, partition: int = 0, topic: str = "raw"
) -> InboundRecord:
    return InboundRecord(
        topic=topic, partition=partition, offset=offset, key=None, value=value, timestamp_ms=0
    )


def article(article_id: str, title: str, body: str = "") -> bytes:
    return json.dumps({"id": article_id, "title": title, "body": body}).encode()


class ListSource:
    def __init__(self, batches: Sequence[Sequence[InboundRecord]]) -> None:
        self._batches = [list(batch) for batch in batches]
        self.closed = False

    def poll(self, max_records: int, timeout_ms: int) -> list[InboundRecord]:
        if not self._batches:
            return []
        batch = self._batches[0][:max_records]
        self._batches[0] = self._batches[0][max_records:]
        if not self._batches[0]:
            self._batches.pop(0)
        return batch

    def close(self) -> None:
        self.closed = True


class FixedLimits:
    """Output limits that only change when a test says so; counts the refreshes."""

    def __init__(self, limits: OutputLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.refreshes = 0

    def current(self) -> OutputLimits:
        return self.limits

    def refresh(self) -> OutputLimits:
        self.refreshes += 1
        return self.limits


class ListSink:
    """Records what was delivered; can be told to fail the next N deliveries."""

    def __init__(
        self, failures: Sequence[DeliveryError | BatchAbortedError | OutputsRefusedError] = ()
    ) -> None:
        self.delivered: list[OutboundRecord] = []
        self.commits: list[dict[tuple[str, int], int]] = []
        self._failures = list(failures)
        self.attempts = 0
        self.closed = False

    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        self.delivered.extend(outputs)
        self.commits.append(dict(position.next))

    def close(self) -> None:
        self.closed = True


__all__ = [
    "DEFAULT_LIMITS",
    "DeliveryError",
    "FixedLimits",
    "ListSink",
    "ListSource",
    "RetriableDeliveryError",
    "article",
    "inbound",
]
