"""Exactly-once delivery: results, dead letters and input offsets commit in one Kafka transaction.

A `read_committed` consumer of the output and dead-letter topics sees each input exactly once:
a batch's records become visible only together with the offsets that mark its input consumed.
When a transaction fails it is aborted and the consumer is rewound to the batch's first offsets,
so the same records are polled and processed again; nothing is skipped and nothing doubled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    InvalidProducerEpochError,
    KafkaError,
    ProducerFencedError,
    TransactionalIdAuthorizationFailedError,
)

from consumer.errors import BatchAbortedError, DeliveryError
from consumer.kafka_io import kafka_offsets
from consumer.metrics import ServiceMetrics
from consumer.records import BatchPosition, OutboundRecord

__all__ = ["TransactionalSink"]

log = logging.getLogger(__name__)

# Another producer with our transactional id took over: this instance is a zombie and must stop.
_FENCED = (ProducerFencedError, InvalidProducerEpochError, TransactionalIdAuthorizationFailedError)


class TransactionalSink:
    def __init__(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        metrics: ServiceMetrics,
        produce_timeout_s: float,
        max_consecutive_aborts: int = 20,
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._metrics = metrics
        self._timeout = produce_timeout_s
        self._max_aborts = max_consecutive_aborts
        self._aborts_in_a_row = 0
        try:
            # Also completes or aborts whatever a previous incarnation left open.
            producer.init_transactions()
        except KafkaError as exc:
            raise DeliveryError(f"initialising transactions failed: {exc!r}") from exc

    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        producer = self._producer
        try:
            producer.begin_transaction()
            for out in outputs:
                producer.send(out.topic, key=out.key, value=out.value)
            producer.send_offsets_to_transaction(
                kafka_offsets(position.next), self._consumer.group_metadata()
            )
            producer.commit_transaction()
        except _FENCED as exc:
            raise DeliveryError(
                "fenced: another producer uses this transactional id (is DETENTE_INSTANCE_ID"
                f" shared by two instances?): {exc!r}"
            ) from exc
        except KafkaError as exc:
            self._abort_and_rewind(position, exc)
            raise BatchAbortedError(f"transaction aborted: {exc!r}") from exc
        self._aborts_in_a_row = 0
        self._metrics.transactions_committed.inc()

    def _abort_and_rewind(self, position: BatchPosition, cause: KafkaError) -> None:
        self._metrics.transactions_aborted.inc()
        self._aborts_in_a_row += 1
        try:
            self._producer.abort_transaction()
        except KafkaError as exc:
            raise DeliveryError(f"aborting a failed transaction failed too: {exc!r}") from exc
        if self._aborts_in_a_row > self._max_aborts:
            raise DeliveryError(
                f"{self._aborts_in_a_row} transactions in a row aborted; last cause: {cause!r}"
            )
        # Partitions lost in a rebalance are re-read by their new owner from the committed
        # offsets; the ones still ours are rewound here, or their batch would be skipped.
        assigned = self._consumer.assignment()
        for (topic, partition), first in position.first.items():
            partition_ = TopicPartition(topic, partition)
            if partition_ in assigned:
                self._consumer.seek(partition_, first)

    def close(self) -> None:
        self._producer.close(timeout=self._timeout)
