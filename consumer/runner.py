"""The service loop: poll a batch, run the pure pipeline over it, deliver the results, repeat.

The runner knows its collaborators only by the small protocols below, so tests drive it with
list-backed fakes and a real model, and the Kafka adapters stay in `kafka_io`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from classifier.prediction import ArticleClassifier
from consumer.errors import BatchAbortedError, DeliveryError
from consumer.metrics import ServiceMetrics
from consumer.pipeline import PipelineConfig, process_batch
from consumer.records import BatchPosition, InboundRecord, OutboundRecord, batch_position

__all__ = ["BatchPolicy", "RecordSink", "RecordSource", "Runner"]

log = logging.getLogger(__name__)


class RecordSource(Protocol):
    def poll(self, max_records: int, timeout_ms: int) -> list[InboundRecord]: ...

    def close(self) -> None: ...


class RecordSink(Protocol):
    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        """Make `outputs` durable and mark the input consumed up to `position.next`.

        Raises `RetriableDeliveryError` to have the same outputs delivered again,
        `BatchAbortedError` when nothing was delivered and the input was rewound to
        `position.first`, and any other `DeliveryError` when the service must stop.
        """

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    max_records: int = 500
    poll_timeout_ms: int = 100
    retry_backoff_s: float = 0.5
    max_retry_backoff_s: float = 10.0


class Runner:
    def __init__(
        self,
        source: RecordSource,
        sink: RecordSink,
        classifier: ArticleClassifier,
        metrics: ServiceMetrics,
        pipeline: PipelineConfig,
        policy: BatchPolicy,
        wall_clock_ms: Callable[[], float] = lambda: time.time() * 1000,
    ) -> None:
        self._source = source
        self._sink = sink
        self._classifier = classifier
        self._metrics = metrics
        self._pipeline = pipeline
        self._policy = policy
        self._wall_clock_ms = wall_clock_ms

    def run(self, stop: threading.Event) -> None:
        """Process batches until `stop` is set; the batch in hand is always finished first."""
        try:
            while not stop.is_set():
                self.run_once()
        finally:
            self._sink.close()
            self._source.close()

    def run_once(self) -> int:
        """Poll, process and deliver one batch; returns how many records it held."""
        records = self._source.poll(self._policy.max_records, self._policy.poll_timeout_ms)
        if not records:
            return 0
        started = time.perf_counter()
        self._metrics.consumed.inc(len(records))
        outputs = process_batch(records, self._classifier, self._pipeline)
        try:
            self._deliver(outputs, batch_position(records))
        except BatchAbortedError as exc:
            log.warning(
                "batch aborted; its records will be processed again",
                extra={"records": len(records), "error": str(exc)},
            )
            return len(records)
        self._observe(records, outputs, time.perf_counter() - started)
        return len(records)

    def _deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        backoff = self._policy.retry_backoff_s
        attempt = 0
        while True:
            attempt += 1
            try:
                self._sink.deliver(outputs, position)
                return
            except DeliveryError as exc:
                if not exc.retriable:
                    raise
                # Retrying until the broker takes the batch is what keeps "nothing lost" true
                # while it is away; a stop request waits for this batch like for any other.
                log.warning(
                    "delivery failed, retrying",
                    extra={"attempt": attempt, "backoff_s": backoff, "error": str(exc)},
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, self._policy.max_retry_backoff_s)

    def _observe(
        self, records: Sequence[InboundRecord], outputs: Sequence[OutboundRecord], seconds: float
    ) -> None:
        metrics = self._metrics
        metrics.batch_size.observe(len(records))
        metrics.batch_seconds.observe(seconds)
        metrics.message_seconds.observe(seconds / len(records))
        now_ms = self._wall_clock_ms()
        for out in outputs:
            if out.tagged is not None:
                metrics.observe_tagged(out.tagged)
            elif out.reason is not None:
                metrics.observe_dead_letter(out.reason)
                log.warning(
                    "dead-lettered",
                    extra={
                        "topic": out.source.topic,
                        "partition": out.source.partition,
                        "offset": out.source.offset,
                        "reason": out.reason,
                    },
                )
            if out.source.timestamp_ms is not None and out.source.timestamp_ms > 0:
                metrics.end_to_end_seconds.observe(max(now_ms - out.source.timestamp_ms, 0) / 1000)
        newest_ms = max((record.timestamp_ms or 0) for record in records)
        if newest_ms > 0:
            metrics.last_record_timestamp.set(newest_ms / 1000)
