"""The exactly-once sink's error handling, with stand-ins for kafka-python's producer and consumer.

The real thing runs in `tests/integration/test_fault_tolerance.py`; here each failure is forced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import (
    FencedInstanceIdError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFencedError,
    TopicAuthorizationFailedError,
    UnknownError,
)

from consumer.errors import BatchAbortedError, DeliveryError, RetriableDeliveryError
from consumer.kafka_transactions import TransactionalSink
from consumer.records import BatchPosition, OutboundKind, OutboundRecord
from tests.unit.fakes import inbound

RAW = TopicPartition("raw", 0)
POSITION = BatchPosition(first={("raw", 0): 10}, next={("raw", 0): 12})


class Counter:
    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class Metrics:
    def __init__(self) -> None:
        self.transactions_committed = Counter()
        self.transactions_aborted = Counter()


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
    ) -> None:
        self.commit_errors = list(commit_errors or [])
        self.abort_error = abort_error
        self.record_error = record_error
        self.flush_error = flush_error
        self.calls: list[str] = []
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    def init_transactions(self) -> None:
        self.calls.append("init")

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send(self, topic: str, key: bytes | None, value: bytes) -> Sent:
        self.sent.append((topic, key, value))
        error, self.record_error = self.record_error, None
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
        if self.abort_error is not None:
            raise self.abort_error

    def close(self, timeout: float | None = None) -> None:
        self.calls.append("close")


class Consumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []

    def group_metadata(self) -> str:
        return "group"

    def assignment(self) -> set[TopicPartition]:
        return {RAW}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


def _outputs() -> list[OutboundRecord]:
    return [
        OutboundRecord(
            kind=OutboundKind.DEAD_LETTER,
            topic="dlq",
            key=b"k",
            value=b"{}",
            source=inbound(b"x", offset=11),
        )
    ]


def _sink(
    producer: Producer, renew: Callable[[], Any], consumer: Consumer | None = None
) -> tuple[TransactionalSink, Metrics]:
    metrics = Metrics()
    sink = TransactionalSink(
        producer,  # type: ignore[arg-type]
        consumer or Consumer(),  # type: ignore[arg-type]
        metrics,  # type: ignore[arg-type]
        produce_timeout_s=1.0,
        renew_producer=renew,
    )
    return sink, metrics


def test_a_failed_commit_is_aborted_and_the_batch_rewound() -> None:
    producer = Producer(commit_errors=[KafkaError("broker hiccup")])
    consumer = Consumer()
    sink, metrics = _sink(producer, renew=pytest.fail, consumer=consumer)
    with pytest.raises(BatchAbortedError):
        sink.deliver(_outputs(), POSITION)
    assert producer.calls[-1] == "abort"
    assert consumer.seeks == [(RAW, 10)]
    assert metrics.transactions_aborted.value == 1
    sink.deliver(_outputs(), POSITION)
    assert metrics.transactions_committed.value == 1


def test_a_fenced_producer_is_replaced_by_a_new_one_for_the_next_attempt() -> None:
    fenced = Producer(commit_errors=[ProducerFencedError()])
    fresh = Producer()
    consumer = Consumer()
    sink, metrics = _sink(fenced, renew=lambda: fresh, consumer=consumer)
    with pytest.raises(BatchAbortedError):
        sink.deliver(_outputs(), POSITION)
    assert "abort" not in fenced.calls, "a fenced producer can abort nothing"
    assert fenced.calls[-1] == "close"
    assert consumer.seeks == [(RAW, 10)]

    sink.deliver(_outputs(), POSITION)
    assert fresh.calls == ["init", "begin", "flush", "offsets", "commit"]
    assert metrics.transactions_committed.value == 1


def test_a_failed_record_aborts_before_the_offsets_join_the_transaction() -> None:
    """kafka-python may drop a failed record from a transaction and still commit it."""
    producer = Producer(record_error=KafkaError("record lost in an epoch bump"))
    consumer = Consumer()
    sink, metrics = _sink(producer, renew=pytest.fail, consumer=consumer)
    with pytest.raises(BatchAbortedError):
        sink.deliver(_outputs(), POSITION)
    assert producer.calls == ["init", "begin", "flush", "abort"]
    assert consumer.seeks == [(RAW, 10)]
    assert metrics.transactions_committed.value == 0


def test_a_flush_that_trips_over_a_split_batch_is_not_a_failure() -> None:
    producer = Producer(flush_error=UnknownError("Future not done"))
    sink, metrics = _sink(producer, renew=pytest.fail)
    sink.deliver(_outputs(), POSITION)
    assert producer.calls[-2:] == ["offsets", "commit"]
    assert metrics.transactions_committed.value == 1


def test_a_producer_that_cannot_abort_is_replaced() -> None:
    broken = Producer(commit_errors=[KafkaError("unknown")], abort_error=KafkaError("fatal state"))
    fresh = Producer()
    sink, _ = _sink(broken, renew=lambda: fresh)
    with pytest.raises(BatchAbortedError):
        sink.deliver(_outputs(), POSITION)
    assert broken.calls[-2:] == ["abort", "close"]
    sink.deliver(_outputs(), POSITION)
    assert fresh.calls[0] == "init"


def test_while_no_new_producer_can_start_delivery_is_retriable() -> None:
    def broker_away() -> Producer:
        raise KafkaTimeoutError("Unable to bootstrap")

    sink, _ = _sink(Producer(commit_errors=[ProducerFencedError()]), renew=broker_away)
    with pytest.raises(BatchAbortedError):
        sink.deliver(_outputs(), POSITION)
    with pytest.raises(RetriableDeliveryError):
        sink.deliver(_outputs(), POSITION)


@pytest.mark.parametrize(
    "error", [TopicAuthorizationFailedError(), FencedInstanceIdError()], ids=repr
)
def test_errors_no_retry_can_help_stop_the_service(error: KafkaError) -> None:
    sink, _ = _sink(Producer(commit_errors=[error]), renew=pytest.fail)
    with pytest.raises(DeliveryError) as raised:
        sink.deliver(_outputs(), POSITION)
    assert not raised.value.retriable


def test_too_many_aborts_in_a_row_stop_the_service() -> None:
    producer = Producer(commit_errors=[KafkaError("again")] * 30)
    sink, _ = _sink(producer, renew=pytest.fail)
    for _ in range(20):
        with pytest.raises(BatchAbortedError):
            sink.deliver(_outputs(), POSITION)
    with pytest.raises(DeliveryError, match="21 transactions in a row aborted"):
        sink.deliver(_outputs(), POSITION)
