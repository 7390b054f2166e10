from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry

from classifier.prediction import ArticleClassifier
from consumer.errors import (
    BatchAbortedError,
    DeliveryError,
    OutputsRefusedError,
    RetriableDeliveryError,
)
from consumer.metrics import ServiceMetrics
from consumer.pipeline import PipelineConfig
from consumer.records import OutboundKind, batch_position
from consumer.runner import BatchPolicy, Runner
from tests.unit.fakes import FixedLimits, ListSink, ListSource, article, inbound


def _runner(
    source: ListSource,
    sink: ListSink,
    tagger: ArticleClassifier,
    registry: CollectorRegistry,
    limits: FixedLimits | None = None,
) -> Runner:
    return Runner(
        source=source,
        sink=sink,
        classifier=tagger,
        metrics=ServiceMetrics(registry, tagger.info, "test"),
        pipeline=PipelineConfig(output_topic="tagged", dlq_topic="dlq"),
        policy=BatchPolicy(max_records=3, retry_backoff_s=0.0),
        limits=limits or FixedLimits(),
    )


def test_batch_position_spans_first_to_one_past_last_record_per_partition() -> None:
    records = [inbound(b"", 5, 0), inbound(b"", 9, 1), inbound(b"", 6, 0)]
    position = batch_position(records)
    assert position.first == {("raw", 0): 5, ("raw", 1): 9}
    assert position.next == {("raw", 0): 7, ("raw", 1): 10}


def test_batches_are_delivered_then_committed_and_counted(tagger: ArticleClassifier) -> None:
    records = [inbound(article(f"id-{i}", f"Talks resume round {i}"), i) for i in range(5)]
    records.append(inbound(b"not json", 5))
    source, sink, registry = ListSource([records]), ListSink(), CollectorRegistry()
    runner = _runner(source, sink, tagger, registry)

    assert runner.run_once() == 3
    assert runner.run_once() == 3
    assert runner.run_once() == 0

    assert sink.commits == [{("raw", 0): 3}, {("raw", 0): 6}]
    assert [out.source.offset for out in sink.delivered] == list(range(6))
    assert sum(out.kind is OutboundKind.TAGGED for out in sink.delivered) == 5
    value = registry.get_sample_value
    assert value("detente_messages_consumed_total") == 6
    assert value("detente_messages_tagged_total") == 5
    assert value("detente_messages_dead_lettered_total", {"reason": "not_json"}) == 1
    assert value("detente_messages_dead_lettered_total", {"reason": "tombstone"}) == 0
    assert value("detente_batch_processing_seconds_count") == 2
    tones = sum(
        value("detente_tone_predictions_total", {"tone": t}) or 0
        for t in ("escalation", "de-escalation", "neutral")
    )
    assert tones == 5


def test_retriable_delivery_failure_is_retried_without_losing_the_batch(
    tagger: ArticleClassifier,
) -> None:
    source = ListSource([[inbound(article("x", "Ceasefire agreed"), 0)]])
    sink = ListSink(failures=[RetriableDeliveryError("broker away"), RetriableDeliveryError("x")])
    _runner(source, sink, tagger, CollectorRegistry()).run_once()
    assert sink.attempts == 3
    assert [out.key for out in sink.delivered] == [b"x"]
    assert sink.commits == [{("raw", 0): 1}]


def test_non_retriable_delivery_failure_stops_the_loop_and_commits_nothing(
    tagger: ArticleClassifier,
) -> None:
    source = ListSource([[inbound(article("x", "Ceasefire agreed"), 0)]])
    sink = ListSink(failures=[DeliveryError("record too large")])
    runner = _runner(source, sink, tagger, CollectorRegistry())
    with pytest.raises(DeliveryError):
        runner.run(threading.Event())
    assert sink.commits == []
    assert sink.closed
    assert source.closed


def test_run_stops_when_asked_and_closes_both_ends(tagger: ArticleClassifier) -> None:
    source, sink = ListSource([]), ListSink()
    stop = threading.Event()
    stop.set()
    _runner(source, sink, tagger, CollectorRegistry()).run(stop)
    assert source.closed
    assert sink.closed


def test_an_aborted_batch_is_not_counted_as_delivered(tagger: ArticleClassifier) -> None:
    source = ListSource([[inbound(article("x", "Ceasefire agreed"), 0)]])
    sink = ListSink(failures=[BatchAbortedError("transaction aborted")])
    registry = CollectorRegistry()
    assert _runner(source, sink, tagger, registry).run_once() == 1
    assert sink.attempts == 1  # no retry of the same outputs: the records come back from poll
    assert sink.delivered == []
    assert registry.get_sample_value("detente_messages_consumed_total") == 1
    assert registry.get_sample_value("detente_messages_tagged_total") == 0


def test_a_record_the_broker_refuses_is_replaced_and_the_batch_delivered_once(
    tagger: ArticleClassifier,
) -> None:
    records = [inbound(article(f"id-{i}", f"Envoys meet again, round {i}"), i) for i in range(3)]
    refusal = OutputsRefusedError(
        refused={1: "MessageSizeTooLargeError()"}, too_large=frozenset({1})
    )
    source, sink, registry = ListSource([records]), ListSink([refusal]), CollectorRegistry()
    limits = FixedLimits()
    runner = _runner(source, sink, tagger, registry, limits)

    assert runner.run_once() == 3
    assert limits.refreshes == 1, "a size refusal re-reads the topics' limits"
    assert [out.source.offset for out in sink.delivered] == [0, 1, 2]
    assert [out.reason for out in sink.delivered] == [None, "output_too_large", None]
    assert sink.commits == [{("raw", 0): 3}]
    value = registry.get_sample_value
    assert value("detente_messages_dead_lettered_total", {"reason": "output_too_large"}) == 1
    assert value("detente_messages_tagged_total") == 2


def test_records_already_delivered_are_not_sent_again(tagger: ArticleClassifier) -> None:
    records = [inbound(article(f"id-{i}", f"Envoys meet again, round {i}"), i) for i in range(3)]
    refusal = OutputsRefusedError(
        refused={0: "InvalidRecordError()"}, too_large=frozenset(), delivered=frozenset({1, 2})
    )
    source, sink, registry = ListSource([records]), ListSink([refusal]), CollectorRegistry()
    runner = _runner(source, sink, tagger, registry)

    runner.run_once()
    assert [(out.source.offset, out.reason) for out in sink.delivered] == [(0, "output_rejected")]
    assert registry.get_sample_value("detente_messages_tagged_total") == 2


def test_a_dead_letter_topic_that_refuses_even_a_minimal_letter_stops_the_service(
    tagger: ArticleClassifier,
) -> None:
    refusals = [
        OutputsRefusedError(refused={0: "InvalidRecordError()"}, too_large=frozenset())
        for _ in range(2)
    ]
    source = ListSource([[inbound(b"not json", 0)]])
    runner = _runner(source, ListSink(refusals), tagger, CollectorRegistry())
    with pytest.raises(DeliveryError, match="refuses even a minimal dead letter"):
        runner.run_once()


def test_articles_are_counted_by_detected_language(tagger: ArticleClassifier) -> None:
    records = [
        inbound(article("en", "Troops shell border villages overnight"), 0),
        inbound(article("fr", "Grève nationale dans les transports ce jeudi"), 1),
        inbound(b"not json", 2),
    ]
    source, sink, registry = ListSource([records]), ListSink(), CollectorRegistry()
    _runner(source, sink, tagger, registry).run_once()
    value = registry.get_sample_value
    assert value("detente_language_articles_total", {"language": "en"}) == 1
    assert value("detente_language_articles_total", {"language": "fr"}) == 1
    reason = {"reason": "unsupported_language"}
    assert value("detente_messages_dead_lettered_total", reason) == 1
    assert value("detente_messages_tagged_total") == 1
