"""`detente serve`: wire settings, model, Kafka adapters, metrics and signals around the runner."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from importlib.metadata import PackageNotFoundError, version
from types import FrameType

from prometheus_client import CollectorRegistry, disable_created_metrics

from classifier.artifact import load_classifier
from consumer.access_checks import run_startup_checks
from consumer.errors import DetenteError, StartupError
from consumer.exit_codes import ExitCode
from consumer.http_endpoints import OpsServer, all_ready
from consumer.kafka_io import (
    AtLeastOnceSink,
    KafkaSource,
    build_consumer,
    build_producer,
    ensure_topics,
    new_producer,
)
from consumer.kafka_transactions import TransactionalSink
from consumer.metrics import ServiceMetrics
from consumer.pipeline import PipelineConfig
from consumer.runner import BatchPolicy, RecordSink, Runner
from consumer.settings import Settings
from consumer.validation import InputLimits

__all__ = ["detente_version", "pipeline_config", "serve"]

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
            max_message_bytes=settings.max_message_bytes, max_json_depth=settings.max_json_depth
        ),
        max_text_chars=settings.max_text_chars,
        include_body=settings.include_body,
    )


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; returns the process exit code."""
    stop = threading.Event()
    _install_stop_signals(stop, settings.shutdown_grace_s)
    started = time.monotonic()
    try:
        model = load_classifier(settings.model_dir)
        # TLS, credentials, topics and permissions, each named when it fails (exit 2).
        run_startup_checks(settings, create_missing=ensure_topics)
        consumer = build_consumer(settings)
        producer = build_producer(settings)
    except StartupError as exc:
        log.error("cannot start: %s", exc, extra={"cause": exc.cause})
        return ExitCode.CANNOT_START
    except Exception as exc:
        log.exception("cannot start: %s", exc, extra={"cause": "internal"})
        return ExitCode.CANNOT_START

    registry = CollectorRegistry()
    # Plain-text `/metrics` would expose each counter's creation time as one more gauge series.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    metrics = ServiceMetrics(registry, model.info, detente_version())
    source = KafkaSource(consumer, settings.input_topic, observer=metrics)

    def readiness() -> dict[str, bool]:
        # The ops port opens only once the model has loaded (a failed load exits with 2).
        return {"model_loaded": True, **source.readiness()}

    metrics.ready.set_function(lambda: 1.0 if all_ready(readiness) else 0.0)
    ops = OpsServer(settings.metrics_host, settings.metrics_port, registry, readiness)
    ops.start()
    try:
        sink: RecordSink = (
            TransactionalSink(
                producer,
                consumer,
                metrics,
                settings.produce_timeout_s,
                renew_producer=lambda: new_producer(settings),
            )
            if settings.processing_guarantee == "exactly-once"
            else AtLeastOnceSink(producer, consumer, settings.produce_timeout_s)
        )
    except StartupError as exc:
        log.error("cannot start: %s", exc, extra={"cause": exc.cause})
        ops.stop()
        return ExitCode.CANNOT_START
    except DetenteError as exc:
        log.error("cannot start: %s", exc, extra={"cause": "broker_unreachable"})
        ops.stop()
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
    log.info("detente stopped cleanly")
    return ExitCode.OK


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
