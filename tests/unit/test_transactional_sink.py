"""The exactly-once sink's error handling, with stand-ins for kafka-python's producer and consumer.

The real thing runs in `tests/integration/test_fault_tolerance.py`; here each failure is forced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka.errors import (
    FencedInstanceIdError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFencedError,
    TopicAuthorizationFailedError,
    UnknownError,
)

from consumer.errors import (
    BatchAbortedError,
    DeliveryError,
    OutputsRefusedError,
    RetriableDeliveryError,
)
from consumer.kafka_transactions import TransactionalSink
from consumer.records import OutboundKind, OutboundRecord
from tests.unit.fakes import inbound
from tests.unit.kafka_fakes import POSITION, RAW, Consumer, Metrics, Producer, sized_outputs


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
    assert metrics.transactions_aborted.of("error") == 1
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


def test_another_instance_with_this_instance_id_stops_the_service() -> None:
    sink, _ = _sink(Producer(commit_errors=[FencedInstanceIdError()]), renew=pytest.fail)
    with pytest.raises(DeliveryError) as raised:
        sink.deliver(_outputs(), POSITION)
    assert not raised.value.retriable


def test_a_permission_withdrawn_while_running_is_retried_from_memory_not_rewound() -> None:
    producer = Producer(commit_errors=[TopicAuthorizationFailedError()])
    consumer = Consumer()
    sink, metrics = _sink(producer, renew=pytest.fail, consumer=consumer)
    with pytest.raises(RetriableDeliveryError):
        sink.deliver(_outputs(), POSITION)
    assert producer.calls[-1] == "abort"
    assert consumer.seeks == [], "re-delivered from memory: a rewind would process it twice"
    assert metrics.transactions_aborted.of("error") == 1
    sink.deliver(_outputs(), POSITION)
    assert metrics.transactions_committed.value == 1


def test_a_refused_record_is_found_among_its_collateral_and_named_nothing_committed() -> None:
    sizes = [100] * 64
    sizes[37] = 5_000
    producer = Producer(refuse_over=1_000)
    consumer = Consumer()
    fresh: list[Producer] = []

    def renew() -> Producer:
        fresh.append(Producer(refuse_over=1_000))
        return fresh[-1]

    sink, metrics = _sink(producer, renew=renew, consumer=consumer)
    with pytest.raises(OutputsRefusedError) as raised:
        sink.deliver(sized_outputs(sizes), POSITION)
    refusal = raised.value
    assert refusal.refused.keys() == {37}
    assert "MessageSizeTooLarge" in refusal.refused[37]
    assert refusal.too_large == {37}
    assert refusal.delivered == frozenset(), "exactly-once delivers nothing of a refused batch"
    assert all("commit" not in p.calls for p in [producer, *fresh])
    # Each abandoned transaction is left to the next producer's init_transactions to abort:
    # after a refusal kafka-python's sequence numbers no longer match the broker's.
    assert all(p.calls[0] == "init" and p.calls[-1] == "close" for p in fresh[:-1])
    assert "abort" not in producer.calls
    assert consumer.seeks == [], "the runner delivers again from memory: no rewind"
    assert metrics.transactions_aborted.of("error") == 0
    # The failed attempt plus probes: about 2 x log2(27 failed records), never one per record.
    probes = metrics.transactions_aborted.of("refused_record")
    assert 2 <= probes <= 1 + 2 * 5


def test_two_refused_records_are_both_found() -> None:
    sizes = [100] * 20
    sizes[3] = sizes[15] = 2_000
    sink, _ = _sink(Producer(refuse_over=1_000), renew=lambda: Producer(refuse_over=1_000))
    with pytest.raises(OutputsRefusedError) as raised:
        sink.deliver(sized_outputs(sizes), POSITION)
    assert raised.value.refused.keys() == {3, 15}


def test_too_many_aborts_in_a_row_stop_the_service() -> None:
    producer = Producer(commit_errors=[KafkaError("again")] * 30)
    sink, _ = _sink(producer, renew=pytest.fail)
    for _ in range(20):
        with pytest.raises(BatchAbortedError):
            sink.deliver(_outputs(), POSITION)
    with pytest.raises(DeliveryError, match="21 transactions in a row aborted"):
        sink.deliver(_outputs(), POSITION)
