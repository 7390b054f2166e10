"""At-least-once delivery: produce a batch, wait for every acknowledgement, then commit offsets.

A crash between the two re-delivers the batch: downstream may see a record twice, never zero
times. Without a crash nothing is doubled: a record the broker refuses for a fault of its own
(too large, invalid) is found by sending only the failed records again, in halves
(`produce_outcomes.isolate`), so each good record is written once; the culprits are named in an
`OutputsRefusedError` and the runner delivers their replacements before the offsets move.

That depends on a failed record never having been written, which is why this mode's producer is
not idempotent (`kafka_io.new_producer` says why). A producer that saw a failure is replaced all
the same: a new one costs a reconnect, and no state of the old one can then leak into the retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError

from consumer.errors import OutputsRefusedError
from consumer.kafka_io import delivery_error, kafka_offsets
from consumer.produce_outcomes import (
    Failures,
    infrastructure_error,
    is_size_fault,
    isolate,
    send_and_wait,
)
from consumer.records import BatchPosition, OutboundRecord

__all__ = ["AtLeastOnceSink"]

log = logging.getLogger(__name__)


class AtLeastOnceSink:
    def __init__(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        produce_timeout_s: float,
        renew_producer: Callable[[], KafkaProducer],
    ) -> None:
        self._producer: KafkaProducer | None = producer
        self._consumer = consumer
        self._timeout = produce_timeout_s
        self._renew_producer = renew_producer

    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        failures = self._send(outputs, list(range(len(outputs))))
        if failures:
            refused = isolate(failures, lambda indices: self._send(outputs, indices))
            raise OutputsRefusedError(
                refused={i: repr(error) for i, error in refused.items()},
                too_large=frozenset(i for i, error in refused.items() if is_size_fault(error)),
                delivered=frozenset(range(len(outputs))) - frozenset(refused),
            )
        try:
            self._consumer.commit(kafka_offsets(position.next))
        except CommitFailedError as exc:
            # The group rebalanced mid-batch: the new owner re-reads these records. At-least-once
            # allows the duplicate; stopping here would not make the results any less delivered.
            log.warning("offset commit lost to a rebalance", extra={"error": str(exc)})
        except KafkaError as exc:
            raise delivery_error("committing offsets failed", exc) from exc

    def _send(self, outputs: Sequence[OutboundRecord], indices: list[int]) -> Failures:
        """Produce these records; the failures by index. Raises on an infrastructure error."""
        producer = self._producer_ready()
        failures = send_and_wait(producer, [outputs[i] for i in indices], self._timeout)
        if failures:
            self._discard_producer()
        infrastructure = infrastructure_error(failures)
        if infrastructure is not None:
            raise delivery_error(f"producing {len(indices)} records failed", infrastructure)
        return {indices[i]: error for i, error in failures.items()}

    def _producer_ready(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = self._renew_producer()
            except KafkaError as exc:
                raise delivery_error("starting a new producer failed", exc) from exc
        return self._producer

    def _discard_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except KafkaError as exc:
                log.warning("closing a failed producer failed", extra={"error": repr(exc)})

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=self._timeout)
            self._producer.close(timeout=self._timeout)
