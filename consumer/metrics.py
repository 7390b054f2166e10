"""Prometheus metrics of the service, registered on a registry that the caller passes in.

Names follow Prometheus practice: base units (`_seconds`), `_total` on counters, `_info` for
constant labels. Label values are a fixed, small set and are created up front so that rates are
zero, not absent, before the first event; the exceptions are the per-country counter, whose
~250 ISO codes x 3 tones are created on first use (most never occur), and the per-language
counter (at most the identifier's 176 languages and `und`, also on first use). `docs/metrics.md`
documents every family.

Two gauges are computed when Prometheus scrapes, not when the loop runs: `detente_ready` (set by
the service) and `detente_consumer_lag_seconds`, which keeps growing while the loop is stuck.
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time
from collections.abc import Callable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

from classifier.prediction import ModelInfo
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from consumer.schemas import RejectReason, TaggedArticle

__all__ = ["ServiceMetrics"]

_BATCH_SECONDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_MESSAGE_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
_LATENCY_SECONDS = (
    *(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    *(120.0, 300.0, 900.0, 3600.0),  # a backlog being worked off after an outage
)
_BATCH_SIZES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000)
_TONE_SCORES = (-10, -7.5, -5, -2.5, -1, 0, 1, 2.5, 5, 7.5, 10)
# An article counts for its most central countries only, so one story is not spread thin.
CENTRAL_COUNTRIES = 2


class ServiceMetrics:
    """Every metric `detente serve` exports; methods take plain values so the runner stays thin."""

    def __init__(
        self,
        registry: CollectorRegistry,
        model: ModelInfo,
        version: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()  # the lag map is written by the loop, read by scrapes
        self._lag: dict[tuple[str, int], int] = {}
        self._assigned: set[tuple[str, int]] = set()
        self.consumed = Counter(
            "detente_messages_consumed",
            "Records polled from the input topic.",
            registry=registry,
        )
        self.tagged = Counter(
            "detente_messages_tagged",
            "Articles tagged and produced to the output topic.",
            registry=registry,
        )
        self.dead_lettered = Counter(
            "detente_messages_dead_lettered",
            "Records sent to the dead-letter topic, by reason code.",
            ["reason"],
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "detente_batch_processing_seconds",
            "Wall time to validate, classify, produce and commit one polled batch.",
            buckets=_BATCH_SECONDS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "detente_batch_size_messages",
            "Records in one polled batch.",
            buckets=_BATCH_SIZES,
            registry=registry,
        )
        self.message_seconds = Histogram(
            "detente_message_processing_seconds",
            "Batch processing time divided by the records in the batch.",
            buckets=_MESSAGE_SECONDS,
            registry=registry,
        )
        self.last_record_timestamp = Gauge(
            "detente_last_processed_record_timestamp_seconds",
            "Kafka timestamp of the newest record processed (age = time() - this).",
            registry=registry,
        )
        self.transactions_committed = Counter(
            "detente_transactions_committed",
            "Kafka transactions committed (one per batch, exactly-once mode).",
            registry=registry,
        )
        self.transactions_aborted = Counter(
            "detente_transactions_aborted",
            "Kafka transactions aborted (exactly-once mode), by cause: `error` (a failure; the"
            " batch is processed again) or `refused_record` (the broker refused a record for a"
            " fault of its own; aborts that find and replace it, by design).",
            ["cause"],
            registry=registry,
        )
        self.delivery_retries = Counter(
            "detente_delivery_retries",
            "Batch deliveries retried after an error that may heal (broker away, permission"
            " withdrawn); the batch waits, nothing is lost.",
            registry=registry,
        )
        self.output_limit_bytes = Gauge(
            "detente_output_record_limit_bytes",
            "Largest record (key + value) each output topic takes, as last read from the broker.",
            ["topic"],
            registry=registry,
        )
        self.rebalances = Counter(
            "detente_rebalances",
            "Partition assignments received from the consumer group.",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "detente_consumer_lag_messages",
            "Records in an assigned input partition not yet processed (high watermark - next).",
            ["topic", "partition"],
            registry=registry,
        )
        self.consumer_lag_seconds = Gauge(
            "detente_consumer_lag_seconds",
            "While records wait (lag > 0): seconds since the newest processed record's timestamp,"
            " computed at scrape time; 0 when caught up.",
            registry=registry,
        )
        self.consumer_lag_seconds.set_function(self._lag_seconds)
        self.assigned_partitions = Gauge(
            "detente_assigned_partitions",
            "Input partitions assigned to this instance.",
            registry=registry,
        )
        self.end_to_end_seconds = Histogram(
            "detente_end_to_end_latency_seconds",
            "From the input record's timestamp to its result being acknowledged.",
            buckets=_LATENCY_SECONDS,
            registry=registry,
        )
        self.tones = Counter(
            "detente_tone_predictions",
            "Tagged articles by tone label.",
            ["tone"],
            registry=registry,
        )
        self.topics = Counter(
            "detente_topic_predictions",
            "Topic labels assigned (an article counts once per topic it gets).",
            ["topic"],
            registry=registry,
        )
        # Central countries only (the first two of each article), ISO codes only: at most ~250
        # codes x 3 tones. Created on first use, not up front: most codes never occur.
        self.countries = Counter(
            "detente_country_articles",
            "Tagged articles by central country (first two of each article's countries, ISO"
            " 3166-1 alpha-2) and tone.",
            ["country", "tone"],
            registry=registry,
        )
        # Every article whose language was judged, accepted or not: the mix of a feed. At most
        # the identifier's 176 codes and `und`; created on first use.
        self.languages = Counter(
            "detente_language_articles",
            "Articles by detected language (ISO 639-1 where one exists; und: no text to judge),"
            " accepted or dead-lettered as unsupported_language.",
            ["language"],
            registry=registry,
        )
        self.tone_score = Histogram(
            "detente_tone_score",
            "Goldstein-like tone score of tagged articles (-10 conflict .. +10 cooperation).",
            buckets=_TONE_SCORES,
            registry=registry,
        )
        self.ready = Gauge(
            "detente_ready",
            "1 when the broker is reachable, partitions are assigned and the model is loaded.",
            registry=registry,
        )
        Info("detente_model", "The loaded model.", registry=registry).info(
            {"name": model.name, "version": model.version}
        )
        Info("detente_build", "The running detente release.", registry=registry).info(
            {"version": version, "python": platform.python_version()}
        )
        # process_* (CPU, memory, open files, start time) and python_* for the health row.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        for reason in RejectReason:
            self.dead_lettered.labels(reason=reason.value)
        for cause in ("error", "refused_record"):
            self.transactions_aborted.labels(cause=cause)
        for tone in TONE_LABELS:
            self.tones.labels(tone=tone)
        for topic in TOPIC_LABELS:
            self.topics.labels(topic=topic)

    def observe_tagged(self, article: TaggedArticle) -> None:
        self.tagged.inc()
        self.tones.labels(tone=article.tone.label).inc()
        self.tone_score.observe(article.tone.score)
        for topic in article.topics:
            self.topics.labels(topic=topic.label).inc()
        for country in article.countries[:CENTRAL_COUNTRIES]:
            self.countries.labels(country=country.code, tone=article.tone.label).inc()

    def observe_language(self, language: str) -> None:
        self.languages.labels(language=language).inc()

    def observe_dead_letter(self, reason: str) -> None:
        self.dead_lettered.labels(reason=reason).inc()

    def output_limit(self, topic: str, limit_bytes: int) -> None:
        self.output_limit_bytes.labels(topic=topic).set(limit_bytes)

    # PartitionObserver: called by the Kafka source on rebalances and after each poll.
    def partitions_assigned(self, partitions: Sequence[tuple[str, int]]) -> None:
        self.rebalances.inc()
        with self._lock:
            self._assigned.update(partitions)
            self.assigned_partitions.set(len(self._assigned))

    def partitions_revoked(self, partitions: Sequence[tuple[str, int]]) -> None:
        with self._lock:
            for key in partitions:
                self._assigned.discard(key)
                self._lag.pop(key, None)
                topic, partition = key
                # A partition that moved to another instance is that instance's to report now.
                with contextlib.suppress(KeyError):
                    self.consumer_lag.remove(topic, str(partition))
            self.assigned_partitions.set(len(self._assigned))

    def partition_lag(self, topic: str, partition: int, lag: int) -> None:
        with self._lock:
            self._lag[(topic, partition)] = lag
        self.consumer_lag.labels(topic=topic, partition=str(partition)).set(lag)

    def _lag_seconds(self) -> float:
        with self._lock:
            behind = any(lag > 0 for lag in self._lag.values())
        newest = _gauge_value(self.last_record_timestamp)
        if not behind or newest <= 0:
            return 0.0
        return max(self._clock() - newest, 0.0)


def _gauge_value(gauge: Gauge) -> float:
    for metric in gauge.collect():
        for sample in metric.samples:
            return float(sample.value)
    return 0.0
