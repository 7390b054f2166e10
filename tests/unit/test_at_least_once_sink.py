"""The at-least-once sink: a refused record is found and named, every good record written once."""

from __future__ import annotations

from collections import Counter

import pytest
from kafka.errors import KafkaTimeoutError

from consumer.errors import OutputsRefusedError, RetriableDeliveryError
from consumer.kafka_at_least_once import AtLeastOnceSink
from tests.unit.kafka_fakes import POSITION, Consumer, Producer, sized_outputs


class Producers:
    """Hands out fresh producers (kafka-python's idempotent producer is fatal after a refusal)."""

    def __init__(self, refuse_over: int) -> None:
        self.refuse_over = refuse_over
        self.made: list[Producer] = []

    def __call__(self) -> Producer:
        self.made.append(Producer(refuse_over=self.refuse_over))
        return self.made[-1]

    def written(self) -> Counter[bytes]:
        """How many times each key was written successfully, over all producers."""
        counts: Counter[bytes] = Counter()
        for producer in self.made:
            failed = False
            for _topic, key, value in producer.sent:
                failed = failed or len(value) > self.refuse_over
                if not failed and key is not None:
                    counts[key] += 1
        return counts


def _sink(producers: Producers, consumer: Consumer) -> AtLeastOnceSink:
    return AtLeastOnceSink(producers(), consumer, 1.0, producers)  # type: ignore[arg-type]


def test_a_refused_record_is_named_and_every_other_record_written_exactly_once() -> None:
    sizes = [100] * 40
    sizes[9] = 5_000
    outputs = sized_outputs(sizes)
    producers, consumer = Producers(refuse_over=1_000), Consumer()
    sink = _sink(producers, consumer)
    with pytest.raises(OutputsRefusedError) as raised:
        sink.deliver(outputs, POSITION)
    refusal = raised.value
    assert refusal.refused.keys() == {9}
    assert refusal.too_large == {9}
    assert refusal.delivered == frozenset(range(40)) - {9}
    assert consumer.commits == [], "offsets wait until the refused record's replacement is in"
    written = producers.written()
    assert all(written[out.key] == 1 for i, out in enumerate(outputs) if i != 9 and out.key)
    assert written[b"k9"] == 0

    # The runner delivers only the replacement; then the offsets are committed.
    (replacement,) = sized_outputs([50])
    sink.deliver([replacement], POSITION)
    assert len(consumer.commits) == 1


def test_an_infrastructure_error_is_retriable_not_a_refusal() -> None:
    producer = Producer(record_error=KafkaTimeoutError("no broker"))
    sink = AtLeastOnceSink(producer, Consumer(), 1.0, Producer)  # type: ignore[arg-type]
    with pytest.raises(RetriableDeliveryError):
        sink.deliver(sized_outputs([10, 10]), POSITION)
