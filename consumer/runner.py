"""The service loop: poll a batch, run the pure pipeline over it, deliver the results, repeat.

The runner knows its collaborators only by the small protocols below, so tests drive it with
list-backed fakes and a real model, and the Kafka adapters stay in `kafka_io`. The retry policy
lives here, in `_deliver`: a broker that may recover is retried with backoff; a record the broker
refuses for a fault of its own is replaced (`pipeline.replace_refused`) and the batch delivered
again, so one record can never stop the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from classifier.countries import CountryFinder
from classifier.prediction import ArticleClassifier
from consumer.errors import BatchAbortedError, DeliveryError, OutputsRefusedError
from consumer.metrics import ServiceMetrics
from consumer.output_fit import OutputLimits
from consumer.pipeline import PipelineConfig, output_fits, process_batch, replace_refused
from consumer.records import BatchPosition, InboundRecord, OutboundRecord, batch_position

__all__ = ["BatchPolicy", "OutputLimitsSource", "RecordSink", "RecordSource", "Runner"]

log = logging.getLogger(__name__)


class RecordSource(Protocol):
    def poll(self, max_records: int, timeout_ms: int) -> list[InboundRecord]: ...

    def close(self) -> None: ...


class RecordSink(Protocol):
    def deliver(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
        """Make `outputs` durable and mark the input consumed up to `position.next`.

        Raises `RetriableDeliveryError` to have the same outputs delivered again,
        `BatchAbortedError` when nothing was delivered and the input was rewound to
        `position.first`, `OutputsRefusedError` when the broker refused some records for
        faults of their own (deliver the others again, less `delivered`, with those replaced),
        and any other `DeliveryError` when the service must stop.
        """

    def close(self) -> None: ...


class OutputLimitsSource(Protocol):
    """The destinations' record limits; `refresh` reads them again (after a size refusal)."""

    def current(self) -> OutputLimits: ...

    def refresh(self) -> OutputLimits: ...


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
        limits: OutputLimitsSource,
        countries: CountryFinder | None = None,
        wall_clock_ms: Callable[[], float] = lambda: time.time() * 1000,
    ) -> None:
        self._source = source
        self._sink = sink
        self._classifier = classifier
        self._metrics = metrics
        self._pipeline = pipeline
        self._policy = policy
        self._limits = limits
        self._countries = countries
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
        outputs = process_batch(
            records,
            self._classifier,
            self._pipeline,
            self._limits.current(),
            countries=self._countries,
        )
        try:
            delivered = self._deliver(outputs, batch_position(records))
        except BatchAbortedError as exc:
            log.warning(
                "batch aborted; its records will be processed again",
                extra={"records": len(records), "error": str(exc)},
            )
            return len(records)
        self._observe(records, delivered, time.perf_counter() - started)
        return len(records)

    def _deliver(
        self, outputs: Sequence[OutboundRecord], position: BatchPosition
    ) -> list[OutboundRecord]:
        """Deliver the batch; the outputs as finally delivered (refused ones replaced)."""
        final = list(outputs)
        done: set[int] = set()
        # Each refusal moves at least one record down tagged -> dead letter -> minimal dead
        # letter, so a batch needs at most three rounds per record.
        for _ in range(3 * len(final) + 1):
            pending = [i for i in range(len(final)) if i not in done]
            try:
                self._deliver_retrying([final[i] for i in pending], position)
                return final
            except OutputsRefusedError as refusal:
                done.update(pending[j] for j in refusal.delivered)
                self._replace_refused(final, pending, refusal)
        raise DeliveryError("records kept being refused after every replacement")

    def _replace_refused(
        self, final: list[OutboundRecord], pending: list[int], refusal: OutputsRefusedError
    ) -> None:
        limits = self._limits.refresh() if refusal.too_large else self._limits.current()
        now = datetime.now(UTC)
        refused = {pending[j]: (why, j in refusal.too_large) for j, why in refusal.refused.items()}
        delivered = {pending[j] for j in refusal.delivered}
        # A limit lowered under our feet refuses more than the records that found it out: every
        # record still pending that no longer fits is replaced now, not found one abort at a time.
        for i in pending:
            if i not in refused and i not in delivered and not output_fits(final[i], limits):
                refused[i] = ("over the output topic's refreshed limit", True)
        for i, (cause, too_large) in refused.items():
            replacement = replace_refused(final[i], cause, too_large, self._pipeline, limits, now)
            if replacement is None:
                raise DeliveryError(
                    f"the dead-letter topic refuses even a minimal dead letter ({cause}); check"
                    " its configuration (max.message.bytes, cleanup.policy)"
                )
            log.warning(
                "output refused by the broker; replaced",
                extra={
                    "topic": final[i].source.topic,
                    "partition": final[i].source.partition,
                    "offset": final[i].source.offset,
                    "refused": final[i].kind.value,
                    "replacement": replacement.reason or "shortened",
                    "error": cause,
                },
            )
            final[i] = replacement

    def _deliver_retrying(self, outputs: Sequence[OutboundRecord], position: BatchPosition) -> None:
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
                self._metrics.delivery_retries.inc()
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
            if out.language is not None:
                metrics.observe_language(out.language)
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
