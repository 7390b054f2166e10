"""Stand-ins for kafka-python's producer and consumer, for the sinks' unit tests.

The real thing runs in tests/integration; here each failure is forced, and `Producer` refuses
records the way kafka-python reports a broker's refusal (see its `refuse_over`).
"""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaError, MessageSizeTooLargeError

from consumer.records import BatchPosition, OutboundKind, OutboundRecord
from tests.unit.fakes import inbound

RAW = TopicPartition("raw", 0)
POSITION = BatchPosition(first={("raw", 0): 10}, next={("raw", 0): 12})


class Counter:
    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class LabelledCounter:
    def __init__(self) -> None:
        self.by_label: dict[str, Counter] = {}

    def labels(self, cause: str) -> Counter:
        return self.by_label.setdefault(cause, Counter())

    def of(self, cause: str) -> int:
        return self.labels(cause).value


class Metrics:
    def __init__(self) -> None:
        self.transactions_committed = Counter()
        self.transactions_aborted = LabelledCounter()


class Sent:
    """A record's future: `get` raises the produce error, as kafka-python's does."""

    def __init__(self, error: KafkaError | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class Producer:
    """Fails `commit_transaction` (or `abort_transaction`, or a record) with the given errors."""

    def __init__(
        self,
        commit_errors: list[KafkaError] | None = None,
        abort_error: KafkaError | None = None,
        record_error: KafkaError | None = None,
        flush_error: KafkaError | None = None,
        refuse_over: int | None = None,
    ) -> None:
        self.commit_errors = list(commit_errors or [])
        self.abort_error = abort_error
        self.record_error = record_error
        self.flush_error = flush_error
        # Like a broker whose topic takes values up to `refuse_over` bytes; like kafka-python,
        # every record sent after a refused one in the same transaction fails with the
        # culprit's own exception object.
        self.refuse_over = refuse_over
        self._failed: KafkaError | None = None
        self.calls: list[str] = []
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    def init_transactions(self) -> None:
        self.calls.append("init")

    def begin_transaction(self) -> None:
        self.calls.append("begin")
        self._failed = None

    def send(self, topic: str, key: bytes | None, value: bytes) -> Sent:
        self.sent.append((topic, key, value))
        error, self.record_error = self.record_error, None
        if self._failed is not None:
            return Sent(self._failed)
        if self.refuse_over is not None and len(value) > self.refuse_over:
            self._failed = MessageSizeTooLargeError("too large for the topic")
            return Sent(self._failed)
        return Sent(error)

    def flush(self, timeout: float | None = None) -> None:
        self.calls.append("flush")
        if self.flush_error is not None:
            raise self.flush_error

    def send_offsets_to_transaction(self, offsets: Any, group_metadata: Any) -> None:
        self.calls.append("offsets")

    def commit_transaction(self) -> None:
        self.calls.append("commit")
        if self.commit_errors:
            raise self.commit_errors.pop(0)

    def abort_transaction(self) -> None:
        self.calls.append("abort")
        self._failed = None
        if self.abort_error is not None:
            raise self.abort_error

    def close(self, timeout: float | None = None) -> None:
        self.calls.append("close")


class Consumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: list[Any] = []

    def commit(self, offsets: Any) -> None:
        self.commits.append(offsets)

    def group_metadata(self) -> str:
        return "group"

    def assignment(self) -> set[TopicPartition]:
        return {RAW}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


def sized_outputs(sizes: list[int]) -> list[OutboundRecord]:
    return [
        OutboundRecord(
            kind=OutboundKind.TAGGED,
            topic="tagged",
            key=f"k{i}".encode(),
            value=b"v" * size,
            source=inbound(b"x", offset=10 + i),
        )
        for i, size in enumerate(sizes)
    ]
