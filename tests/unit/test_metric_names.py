"""Every `detente_*` family follows the naming practice, is documented and behaves as documented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from classifier.countries import Country
from classifier.prediction import ModelInfo, Tone, TopicScore
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS, ToneLabel
from consumer.metrics import ServiceMetrics
from consumer.schemas import RejectReason, TaggedArticle
from tests.conftest import PROJECT_ROOT
from tests.metric_naming import (
    Family,
    documented_families,
    families_from_exposition,
    families_from_registry,
    violations,
)

DOC = PROJECT_ROOT / "docs" / "metrics.md"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _tagged(tone: ToneLabel = "escalation", score: float = -6.5) -> TaggedArticle:
    return TaggedArticle(
        id="a-1",
        title="Shelling resumes",
        url=None,
        source=None,
        published_at=None,
        language="en",
        topics=(TopicScore("armed_conflict", 0.9), TopicScore("military", 0.4)),
        tone=Tone(tone, score, 0.8, {label: 1 / 3 for label in TONE_LABELS}),
        evidence=(),
        truncated=False,
        countries=(
            Country("IR", "Iran", 4, True),
            Country("IQ", "Iraq", 2, False),
            Country("SY", "Syria", 1, False),
        ),
        model=ModelInfo("tagger", "1"),
        processed_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


@pytest.fixture
def live() -> tuple[CollectorRegistry, ServiceMetrics]:
    """A registry whose every family has samples: events observed, a partition lagging."""
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry, ModelInfo("tagger", "1.2.3"), "0.1.0")
    metrics.consumed.inc(3)
    metrics.observe_tagged(_tagged())
    metrics.observe_language("en")
    metrics.observe_dead_letter("not_json")
    metrics.batch_seconds.observe(0.02)
    metrics.batch_size.observe(3)
    metrics.message_seconds.observe(0.007)
    metrics.end_to_end_seconds.observe(0.5)
    metrics.partitions_assigned([("articles.raw", 0), ("articles.raw", 1)])
    metrics.partition_lag("articles.raw", 0, 12)
    metrics.transactions_committed.inc()
    return registry, metrics


def test_every_family_follows_the_naming_practice(
    live: tuple[CollectorRegistry, ServiceMetrics],
) -> None:
    registry, _ = live
    families = families_from_registry(registry.collect())
    assert len(families) >= 20
    problems = {family.name: violations(family) for family in families if violations(family)}
    assert problems == {}


def test_the_text_exposition_names_the_same_families(
    live: tuple[CollectorRegistry, ServiceMetrics],
) -> None:
    registry, _ = live
    exposed = families_from_exposition(generate_latest(registry).decode())
    collected = families_from_registry(registry.collect())
    assert sorted((f.name, f.type) for f in exposed) == sorted((f.name, f.type) for f in collected)


@pytest.mark.parametrize(
    ("family", "problem"),
    [
        (Family("detente_messages", "counter", frozenset()), "end in _total"),
        (Family("detente_latency_ms", "gauge", frozenset()), "_seconds"),
        (Family("detente_queue_total", "gauge", frozenset()), "only counters"),
        (Family("detente_build", "info", frozenset()), "_info"),
        (Family("detente_inflight", "gauge", frozenset()), "unit suffix"),
        (Family("detente_last_timestamp", "gauge", frozenset()), "_timestamp_seconds"),
        (Family("detente_x_seconds", "histogram", frozenset({"detente_x_seconds_sum"})), "_count"),
        (Family("detenteErrors_total", "counter", frozenset()), "lower_snake_case"),
    ],
)
def test_the_naming_check_catches_what_it_should(family: Family, problem: str) -> None:
    assert any(problem in message for message in violations(family))


def test_docs_list_exactly_the_exported_families_with_their_types(
    live: tuple[CollectorRegistry, ServiceMetrics],
) -> None:
    registry, _ = live
    exported = {family.name: family.type for family in families_from_registry(registry.collect())}
    documented = documented_families(DOC)
    assert set(documented) == set(exported)
    for name, kind in exported.items():
        assert documented[name].split()[0] == ("gauge" if kind == "info" else kind), name


def test_label_values_exist_before_the_first_event() -> None:
    registry = CollectorRegistry()
    ServiceMetrics(registry, ModelInfo("m", "1"), "0")
    value = registry.get_sample_value
    for reason in RejectReason:
        assert value("detente_messages_dead_lettered_total", {"reason": reason.value}) == 0
    for tone in TONE_LABELS:
        assert value("detente_tone_predictions_total", {"tone": tone}) == 0
    for topic in TOPIC_LABELS:
        assert value("detente_topic_predictions_total", {"topic": topic}) == 0
    assert value("detente_model_info", {"name": "m", "version": "1"}) == 1


def test_tagged_articles_count_by_tone_topic_and_score(
    live: tuple[CollectorRegistry, ServiceMetrics],
) -> None:
    registry, _ = live
    value = registry.get_sample_value
    assert value("detente_messages_tagged_total") == 1
    assert value("detente_tone_predictions_total", {"tone": "escalation"}) == 1
    assert value("detente_topic_predictions_total", {"topic": "armed_conflict"}) == 1
    assert value("detente_topic_predictions_total", {"topic": "military"}) == 1
    assert value("detente_tone_score_bucket", {"le": "-5.0"}) == 1
    assert value("detente_tone_score_bucket", {"le": "-7.5"}) == 0


def test_lag_in_seconds_is_the_age_of_the_last_record_while_records_wait() -> None:
    registry, clock = CollectorRegistry(), Clock(1_000.0)
    metrics = ServiceMetrics(registry, ModelInfo("m", "1"), "0", clock=clock)

    def lag_seconds() -> float | None:
        return registry.get_sample_value("detente_consumer_lag_seconds")

    assert lag_seconds() == 0  # nothing assigned, nothing processed
    metrics.partitions_assigned([("raw", 0), ("raw", 1)])
    metrics.partition_lag("raw", 0, 40)
    assert lag_seconds() == 0  # waiting records, but no processed record to date them by
    metrics.last_record_timestamp.set(970.0)
    assert lag_seconds() == 30
    clock.now = 1_100.0  # the loop is stuck: computed at scrape time, the lag keeps growing
    assert lag_seconds() == 130
    metrics.partition_lag("raw", 0, 0)
    assert lag_seconds() == 0  # caught up


def test_partition_gauges_follow_assignments_and_revocations() -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry, ModelInfo("m", "1"), "0", clock=Clock(0.0))
    value = registry.get_sample_value
    metrics.partitions_assigned([("raw", 0), ("raw", 1), ("raw", 2)])
    metrics.partition_lag("raw", 2, 7)
    assert value("detente_assigned_partitions") == 3
    assert value("detente_consumer_lag_messages", {"topic": "raw", "partition": "2"}) == 7
    metrics.partitions_revoked([("raw", 1), ("raw", 2)])
    assert value("detente_assigned_partitions") == 1
    assert value("detente_consumer_lag_messages", {"topic": "raw", "partition": "2"}) is None
    metrics.partitions_assigned([("raw", 2)])  # cooperative: only the added partition
    assert value("detente_assigned_partitions") == 2
    assert value("detente_rebalances_total") == 2


def test_countries_count_the_first_two_by_tone_and_appear_on_first_use() -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry, ModelInfo("tagger", "1"), "0.1.0")
    name = "detente_country_articles_total"
    assert registry.get_sample_value(name, {"country": "IR", "tone": "escalation"}) is None
    metrics.observe_tagged(_tagged())
    metrics.observe_tagged(_tagged(tone="neutral", score=0.0))
    assert registry.get_sample_value(name, {"country": "IR", "tone": "escalation"}) == 1
    assert registry.get_sample_value(name, {"country": "IQ", "tone": "neutral"}) == 1
    # The third country is not central: it never gets a series.
    assert registry.get_sample_value(name, {"country": "SY", "tone": "escalation"}) is None
    assert registry.get_sample_value(name, {"country": "IQ", "tone": "de-escalation"}) is None


def test_languages_are_counted_as_detected_and_appear_on_first_use() -> None:
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry, ModelInfo("tagger", "1"), "0.1.0")
    name = "detente_language_articles_total"
    assert registry.get_sample_value(name, {"language": "fr"}) is None
    for language in ("en", "en", "fr", "und"):
        metrics.observe_language(language)
    assert registry.get_sample_value(name, {"language": "en"}) == 2
    assert registry.get_sample_value(name, {"language": "fr"}) == 1
    assert registry.get_sample_value(name, {"language": "und"}) == 1
    assert registry.get_sample_value(name, {"language": "de"}) is None


def test_the_documented_worst_case_of_the_language_series_holds() -> None:
    from classifier.language import UNDETERMINED, bundled_identifier

    codes = bundled_identifier().languages() | {UNDETERMINED}
    assert len(codes) == 177
    assert "**177 series per instance**" in DOC.read_text(encoding="utf-8")
