"""`detente serve`: wire settings, model, Kafka adapters, metrics and signals around the runner."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import threading
import time
from importlib.metadata import PackageNotFoundError, version
from types import FrameType

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry, disable_created_metrics

from classifier.artifact import ArtifactError, load_classifier
from classifier.countries import CountryExtractor
from classifier.language import LanguageModelError, bundled_identifier
from classifier.prediction import ArticleClassifier
from consumer.access_checks import check_access
from consumer.broker_handshake import check_broker_handshake
from consumer.errors import DetenteError, StartupError
from consumer.exit_codes import ExitCode
from consumer.group_membership import leave_group
from consumer.http_endpoints import OpsServer, all_ready
from consumer.kafka_at_least_once import AtLeastOnceSink
from consumer.kafka_io import (
    KafkaSource,
    build_admin,
    build_consumer,
    build_producer,
    ensure_topics,
    max_record_bytes,
    new_producer,
    producer_request_bytes,
)
from consumer.kafka_transactions import TransactionalSink
from consumer.metrics import ServiceMetrics
from consumer.output_fit import OutputLimits
from consumer.pipeline import PipelineConfig
from consumer.runner import BatchPolicy, RecordSink, Runner
from consumer.settings import Settings
from consumer.topic_limits import TopicLimits
from consumer.validation import InputLimits

__all__ = ["assumed_output_limits", "detente_version", "pipeline_config", "serve"]

log = logging.getLogger(__name__)


def detente_version() -> str:
    try:
        return version("detente")
    except PackageNotFoundError:
        return "0+unknown"


def pipeline_config(settings: Settings) -> PipelineConfig:
    return PipelineConfig(
        output_topic=settings.output_topic,
        dlq_topic=settings.dlq_topic,
        limits=InputLimits(
            max_message_bytes=settings.max_message_bytes,
            max_json_depth=settings.max_json_depth,
            max_key_bytes=settings.max_key_bytes,
            max_id_bytes=settings.max_id_bytes,
        ),
        max_text_chars=settings.max_text_chars,
        include_body=settings.include_body,
        accepted_languages=settings.accepted_languages,
    )


def assumed_output_limits(settings: Settings) -> OutputLimits:
    """The limits of output topics as detente creates them: what holds until the broker says."""
    limit = min(max_record_bytes(settings), producer_request_bytes(settings))
    return OutputLimits(tagged_bytes=limit, dead_letter_bytes=limit)


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; returns the process exit code (`consumer.exit_codes`)."""
    stop = threading.Event()
    _install_stop_signals(stop, settings.shutdown_grace_s)
    started = time.monotonic()
    registry = CollectorRegistry()
    # Plain-text `/metrics` would expose each counter's creation time as one more gauge series.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    admin: KafkaAdminClient | None = None
    try:
        model, countries = _load_taggers(settings)
        metrics = ServiceMetrics(registry, model.info, detente_version())
        admin = _handshake_then_admin(settings)
        limits, consumer, producer = _connect(settings, admin, metrics)
    except StartupError as exc:
        log.error("cannot start: %s", exc, extra={"cause": exc.cause})
        _close_admin(admin)
        return ExitCode.CANNOT_START
    except Exception as exc:
        log.exception("cannot start: %s", exc, extra={"cause": "internal"})
        _close_admin(admin)
        return ExitCode.CANNOT_START

    source = KafkaSource(consumer, settings.input_topic, observer=metrics)

    def readiness() -> dict[str, bool]:
        # The ops port opens only once the model has loaded (a failed load exits with 2).
        return {"model_loaded": True, **source.readiness()}

    metrics.ready.set_function(lambda: 1.0 if all_ready(readiness) else 0.0)
    ops = OpsServer(settings.metrics_host, settings.metrics_port, registry, readiness)
    ops.start()

    def renew_producer() -> KafkaProducer:
        current = limits.current()
        return new_producer(settings, min(current.tagged_bytes, current.dead_letter_bytes))

    try:
        sink: RecordSink = (
            TransactionalSink(
                producer, consumer, metrics, settings.produce_timeout_s, renew_producer
            )
            if settings.processing_guarantee == "exactly-once"
            else AtLeastOnceSink(producer, consumer, settings.produce_timeout_s, renew_producer)
        )
    except DetenteError as exc:
        cause = exc.cause if isinstance(exc, StartupError) else "broker_unreachable"
        log.error("cannot start: %s", exc, extra={"cause": cause})
        ops.stop()
        _close_admin(admin)
        return ExitCode.CANNOT_START
    runner = Runner(
        source=source,
        sink=sink,
        classifier=model,
        metrics=metrics,
        pipeline=pipeline_config(settings),
        policy=BatchPolicy(
            max_records=settings.max_poll_records, poll_timeout_ms=settings.poll_timeout_ms
        ),
        limits=limits,
        countries=countries,
    )
    log.info(
        "detente serving",
        extra={
            "input_topic": settings.input_topic,
            "output_topic": settings.output_topic,
            "dlq_topic": settings.dlq_topic,
            "group": settings.consumer_group,
            "guarantee": settings.processing_guarantee,
            "model": model.info.name,
            "model_version": model.info.version,
            "metrics_port": ops.port,
            "startup_s": round(time.monotonic() - started, 3),
        },
    )
    # Everything allocated so far (modules, the model) lives as long as the process: moving it
    # out of the collector's view keeps full collections, and the pauses they add to a batch,
    # small.
    gc.freeze()
    try:
        runner.run(stop)
    except DetenteError as exc:
        log.error(
            "stopping on a fatal infrastructure error: %s",
            exc,
            exc_info=True,
            extra={"exit_code": int(ExitCode.FATAL_INFRASTRUCTURE)},
        )
        return ExitCode.FATAL_INFRASTRUCTURE
    except Exception as exc:
        # A bug, not bad input (that is a dead letter): stop loudly, with a log line to alert on.
        log.exception(
            "stopping on an internal error: %s",
            exc,
            extra={"exit_code": int(ExitCode.INTERNAL_ERROR)},
        )
        return ExitCode.INTERNAL_ERROR
    finally:
        ops.stop()
    # Only after a clean stop: after a fatal error (say another instance took this instance's
    # id) removing the member by instance id could evict someone else.
    if settings.static_membership and settings.leave_group_on_stop:
        leave_group(admin, settings.consumer_group, settings.instance_id)
    _close_admin(admin)
    log.info("detente stopped cleanly")
    return ExitCode.OK


def _load_taggers(settings: Settings) -> tuple[ArticleClassifier, CountryExtractor]:
    """The model, the language identifier and the country extractor, loaded before anything
    connects: fail fast. The identifier is the bundled one that the pipeline uses (kept once
    loaded)."""
    try:
        model = load_classifier(settings.model_dir)
    except (ArtifactError, OSError) as exc:
        raise StartupError(f"model in {settings.model_dir} unusable: {exc}", cause="model") from exc
    try:
        bundled_identifier()
    except LanguageModelError as exc:
        raise StartupError(f"language model unusable: {exc}", cause="model") from exc
    try:
        return model, CountryExtractor.load()
    except (OSError, ValueError) as exc:
        raise StartupError(f"country alias file unusable: {exc}", cause="model") from exc


def _handshake_then_admin(settings: Settings) -> KafkaAdminClient:
    # TLS and credentials first, each refusal named: kafka-python would only time out on them.
    check_broker_handshake(settings)
    return build_admin(settings)


def _connect(
    settings: Settings, admin: KafkaAdminClient, metrics: ServiceMetrics
) -> tuple[TopicLimits, KafkaConsumer, KafkaProducer]:
    """Topics checked (or created), their limits read, the consumer and producer built."""
    # Topics present (or created) and their permissions, each named when it fails (exit 2).
    check_access(admin, settings, create_missing=ensure_topics)
    limits = TopicLimits(
        admin,
        settings.output_topic,
        settings.dlq_topic,
        assumed_topic_bytes=max_record_bytes(settings),
        producer_request_bytes=producer_request_bytes(settings),
        refresh_s=settings.limits_refresh_s,
        observe=metrics.output_limit,
    )
    first = limits.start()
    consumer = build_consumer(settings)
    producer = build_producer(settings, min(first.tagged_bytes, first.dead_letter_bytes))
    return limits, consumer, producer


def _close_admin(admin: KafkaAdminClient | None) -> None:
    if admin is not None:
        with contextlib.suppress(KafkaError):
            admin.close()


def _install_stop_signals(stop: threading.Event, grace_s: float) -> None:
    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            return
        log.info("stop requested; finishing the batch in hand", extra={"signal": signum})
        stop.set()
        # The batch in hand is finished, flushed and committed; a wedged one must not outlive
        # the grace period that orchestrators give before SIGKILL anyway.
        watchdog = threading.Timer(grace_s, _exit_after_grace, args=(grace_s,))
        watchdog.daemon = True
        watchdog.start()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _exit_after_grace(grace_s: float) -> None:
    log.error("did not stop within the %.0f s grace period; exiting", grace_s)
    os._exit(ExitCode.SHUTDOWN_TIMEOUT)
