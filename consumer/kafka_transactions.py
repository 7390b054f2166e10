"""Exactly-once delivery: results, dead letters and input offsets commit in one Kafka transaction.

A `read_committed` consumer of the output and dead-letter topics sees each input exactly once:
a batch's records become visible only together with the offsets that mark its input consumed.
When a transaction fails it is aborted and the consumer is rewound to the batch's first offsets,
so the same records are polled and processed again; nothing is skipped and nothing doubled.

A producer that cannot abort is replaced: kafka-python leaves it in a fatal state when it was
fenced (the broker aborted our transaction because it outlived `transaction_timeout_ms`, say while
the broker itself was away, or a restart of this instance took over the transactional id) or when
a request failed for a reason it does not know. The new producer's `init_transactions` aborts
whatever the old one left open, and the batch is processed again like any other aborted one.

A record the broker refused for a fault of its own (too large, invalid) is not an infrastructure
failure: its transaction is abandoned, the culprits are found by probe transactions that are
always abandoned too (`produce_outcomes.isolate`, about 2 x log2(batch) of them per culprit) and
named in an `OutputsRefusedError`; the runner replaces them and delivers the batch again, input
not rewound. Each is abandoned by replacing the producer rather than aborting: after a refusal
kafka-python's sequence numbers are off by the refused batch (the batches behind it fail out of
order and it bumps its epoch mid-abort), while a new producer's `init_transactions` aborts the
open transaction and starts clean. They count as `cause="refused_record"`, apart from the
failures that alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    AuthorizationError,
    FencedInstanceIdError,
    InvalidProducerEpochError,
    KafkaError,
    ProducerFencedError,
)

from consumer.errors import (
    BatchAbortedError,
    DeliveryError,
    OutputsRefusedError,
    RetriableDeliveryError,
)
from consumer.kafka_io import delivery_error, kafka_offsets
from consumer.metrics import ServiceMetrics
from consumer.produce_outcomes import (
    Failures,
    infrastructure_error,
    is_size_fault,
    isolate,
    send_and_wait,
)
from consumer.records import BatchPosition, OutboundRecord

__all__ = ["TransactionalSink"]

log = logging.getLogger(__name__)

# A newer epoch of our transactional id exists: this producer can neither commit nor abort.
_FENCED = (ProducerFencedError, InvalidProducerEpochError)


class TransactionalSink:
    def __init__(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        metrics: ServiceMetrics,
        produce_timeout_s: float,
        renew_producer: Callable[[], KafkaProducer],
        max_consecutive_aborts: int = 20,
    ) -> None:
        self._producer: KafkaProducer | None = producer
        self._consumer = consumer
        self._metrics = metrics
        self._timeout = produce_timeout_s
        self._renew_producer = renew_producer
        self._max_aborts = max_consecutive_aborts
        self._aborts_in_a_row = 0
        try:
            # Also completes or aborts whatever a previous incarnation left open.
            producer.init_transactions()
        except KafkaError as exc:
            raise DeliveryError(f"initialising transactions failed: {exc!r}") from exc

    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        producer = self._producer if self._producer is not None else self._new_producer()
        try:
            producer.begin_transaction()
            # Every record must be written before the offsets join the transaction. kafka-python
            # 3.0.12 answers some produce errors (INVALID_PRODUCER_EPOCH) by bumping the epoch
            # on its own: the failed records drop out of the transaction, yet its commit, and the
            # offsets with it, still succeed. Checking each record first turns that into an abort.
            failures = send_and_wait(producer, outputs, self._timeout)
            infrastructure = infrastructure_error(failures)
            if infrastructure is not None:
                raise infrastructure
            if failures:
                self._abandon()
                refused = isolate(failures, lambda indices: self._probe(outputs, indices))
                raise OutputsRefusedError(
                    refused={i: repr(error) for i, error in refused.items()},
                    too_large=frozenset(i for i, error in refused.items() if is_size_fault(error)),
                )
            producer.send_offsets_to_transaction(
                kafka_offsets(position.next), self._consumer.group_metadata()
            )
            producer.commit_transaction()
        except AuthorizationError as exc:
            # A permission withdrawn while running may be granted back: retry and alert, never
            # stop (an orchestrator would only restart the process into the same wall). The
            # batch is delivered again from memory, so the input is not rewound.
            self._abort(exc)
            raise RetriableDeliveryError(f"not allowed to deliver: {exc!r}") from exc
        except FencedInstanceIdError as exc:
            raise DeliveryError(
                "fenced: another consumer joined the group with this DETENTE_INSTANCE_ID (is it"
                f" shared by two instances, or was this one replaced?): {exc!r}"
            ) from exc
        except KafkaError as exc:
            self._abort_and_rewind(position, exc)
            raise BatchAbortedError(f"transaction aborted: {exc!r}") from exc
        self._aborts_in_a_row = 0
        self._metrics.transactions_committed.inc()

    def _probe(self, outputs: Sequence[OutboundRecord], indices: list[int]) -> Failures:
        """Produce just these records in a transaction that is always abandoned; their failures.

        Nothing is lost if probing fails: the batch is still in memory and the input not yet
        committed, so any error here is retried (with backoff) rather than fatal.
        """
        producer = self._producer if self._producer is not None else self._new_producer()
        try:
            producer.begin_transaction()
        except KafkaError as exc:
            self._discard_producer()
            raise RetriableDeliveryError(f"probing refused records failed: {exc!r}") from exc
        failures = send_and_wait(producer, [outputs[i] for i in indices], self._timeout)
        self._abandon()
        infrastructure = infrastructure_error(failures)
        if infrastructure is not None:
            raise RetriableDeliveryError(f"probing refused records failed: {infrastructure!r}")
        return {indices[i]: error for i, error in failures.items()}

    def _abandon(self) -> None:
        """Leave the open transaction to the next producer's `init_transactions` to abort."""
        self._metrics.transactions_aborted.labels(cause="refused_record").inc()
        self._discard_producer()

    def _abort(self, cause: KafkaError) -> None:
        """Abort the failed transaction; a producer that cannot (fenced, fatal) is replaced."""
        self._metrics.transactions_aborted.labels(cause="error").inc()
        if isinstance(cause, _FENCED):
            log.warning(
                "producer fenced: the broker aborted its transaction (open longer than"
                " DETENTE_TRANSACTION_TIMEOUT_MS?) or another producer took its transactional id;"
                " starting a new one",
                extra={"error": repr(cause)},
            )
            self._discard_producer()
            return
        if self._producer is None:
            return
        try:
            self._producer.abort_transaction()
        except KafkaError as exc:
            log.warning(
                "aborting the transaction failed; starting a new producer, which aborts it",
                extra={"error": repr(exc), "cause": repr(cause)},
            )
            self._discard_producer()

    def _abort_and_rewind(self, position: BatchPosition, cause: KafkaError) -> None:
        self._abort(cause)
        self._aborts_in_a_row += 1
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

    def _new_producer(self) -> KafkaProducer:
        """Replace a discarded producer; while the broker is away, say so as retriable."""
        producer: KafkaProducer | None = None
        try:
            producer = self._renew_producer()
            producer.init_transactions()
        except KafkaError as exc:
            if producer is not None:
                self._close(producer)
            raise delivery_error("starting a new transactional producer failed", exc) from exc
        log.info("new transactional producer ready")
        self._producer = producer
        return producer

    def _discard_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            self._close(producer)

    def _close(self, producer: KafkaProducer) -> None:
        # At once if it can (nothing unsent): a graceful close would still send the requests it
        # has queued, and an epoch bump among them would fence the producer replacing this one.
        try:
            producer.close(timeout=0)
        except KafkaError:
            try:
                producer.close(timeout=self._timeout)
            except KafkaError as exc:
                log.warning("closing a discarded producer failed", extra={"error": repr(exc)})

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self._timeout)
