"""Observability end to end: a real Prometheus scrapes a running detente fed from the real broker.

The service tags `samples/articles.jsonl` plus one malformed record; Prometheus (Debian's package,
on a free loopback port) scrapes it every second with the project's scrape job and alert rules.
Then every PromQL expression of the Grafana dashboard must return data, every rule must evaluate,
and the numbers must match what was sent. The same module runs promtool on the config and rules
and checks the dashboard against Grafana's dashboard model (Grafana Foundation SDK, strict).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SAMPLES
from tests.integration.fault_helpers import PrivateBroker
from tests.integration.kafka_helpers import ServiceProcess, Topics, produce, start_service
from tests.integration.prometheus_helpers import (
    DASHBOARD,
    JOB,
    PROMETHEUS_CONFIG,
    RULES,
    PrometheusServer,
    dashboard_queries,
    dashboard_variable_queries,
    grafana_regex,
    rule_queries,
    start_prometheus,
    tool,
    wait_for,
)
from tests.metric_naming import documented_families, families_from_exposition, violations

RULE_TESTS = PROJECT_ROOT / "deploy" / "prometheus" / "tests"
DASHBOARD_CHECK = PROJECT_ROOT / "tests" / "tools" / "dashboardcheck"
METRICS_DOC = PROJECT_ROOT / "docs" / "metrics.md"
MALFORMED = (b"not-an-article", b"<html>oops</html>")


@dataclass(frozen=True)
class Fed:
    """What the service was given, and how Prometheus names its instance."""

    instance: str
    articles: int
    records: int

    @property
    def selector(self) -> str:
        return f'{{job="{JOB}", instance="{self.instance}"}}'


@pytest.fixture(scope="module")
def topics() -> Topics:
    return Topics.unique("obs")


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str, topics: Topics, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    running = start_service(kafka_bootstrap, topics, tmp_path_factory.mktemp("obs-logs"))
    try:
        running.wait_ready()
        yield running
    finally:
        code = running.terminate()
    assert code == 0, running.log()


@pytest.fixture(scope="module")
def prometheus(
    service: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    server = start_prometheus(tmp_path_factory.mktemp("prometheus"), service.metrics_port)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fed(
    kafka_bootstrap: str, topics: Topics, service: ServiceProcess, prometheus: PrometheusServer
) -> Fed:
    articles = [
        (json.loads(line)["id"].encode(), line) for line in SAMPLES.read_bytes().splitlines()
    ]
    fed = Fed(f"127.0.0.1:{service.metrics_port}", len(articles), len(articles) + 1)
    sel = fed.selector
    # A scrape before any input, so that rates see the counters move from 0.
    wait_for(
        lambda: prometheus.query(f"detente_messages_consumed_total{sel}"),
        "the first scrape of detente",
        60,
        prometheus,
    )
    produce(kafka_bootstrap, topics.raw, [*articles, MALFORMED])
    done = (
        f"sum(detente_messages_tagged_total{sel}) + sum(detente_messages_dead_lettered_total{sel})"
    )
    wait_for(
        lambda: prometheus.value(done) == fed.records,
        "all records scraped as done",
        120,
        prometheus,
    )
    # The lag of every partition that received records, reported after the loop's next poll,
    # scraped twice (a derivative needs two points).
    wait_for(
        lambda: prometheus.query(f"deriv(detente_consumer_lag_messages{sel}[1m])"),
        "the lag to be scraped twice",
        60,
        prometheus,
    )
    # The per-country series are born with the articles that name a country (created on first
    # use), possibly in the last scrape before "done": a rate needs them scraped twice too.
    wait_for(
        lambda: prometheus.query(f"rate(detente_country_articles_total{sel}[1m])"),
        "the per-country counter to be scraped twice",
        60,
        prometheus,
    )
    return fed


@pytest.fixture(scope="module")
def variables(topics: Topics, prometheus: PrometheusServer, fed: Fed) -> dict[str, str]:
    """The dashboard's variables as Grafana would fill them with "All" selected."""
    news_topics = prometheus.api(
        "label/topic/values", **{"match[]": f"detente_topic_predictions_total{fed.selector}"}
    )["data"]
    assert news_topics
    countries = prometheus.api(
        "label/country/values", **{"match[]": f"detente_country_articles_total{fed.selector}"}
    )["data"]
    assert countries
    return {
        "job": grafana_regex(JOB),
        "instance": grafana_regex(fed.instance),
        "kafka_topic": grafana_regex(topics.raw),
        "topic": grafana_regex(*news_topics),
        "country": grafana_regex(*countries),
        # Grafana's own: wide enough that the counters' moves are still in the window.
        "__rate_interval": "5m",
        "__range": "1h",
        "__interval": "15s",
    }


def test_every_dashboard_query_returns_data(
    prometheus: PrometheusServer, variables: dict[str, str]
) -> None:
    queries = dashboard_queries(variables)
    assert len(queries) >= 40
    empty = [
        f"{query.where}: {query.expr}" for query in queries if not prometheus.query(query.expr)
    ]
    assert empty == [], "queries without data:\n" + "\n".join(empty)


def test_every_dashboard_variable_finds_its_values(
    prometheus: PrometheusServer, variables: dict[str, str]
) -> None:
    for name, selector, label in dashboard_variable_queries(variables):
        series = prometheus.api("series", **{"match[]": selector})
        assert series["status"] == "success", series
        assert any(label in labels for labels in series["data"]), f"${name}: {selector}"


def test_every_rule_evaluates_and_prometheus_reports_them_healthy(
    prometheus: PrometheusServer, fed: Fed
) -> None:
    queries = rule_queries()
    for query in queries:
        prometheus.query(query.expr)  # raises on a PromQL error

    def evaluated() -> list[dict[str, object]] | None:
        groups = prometheus.api("rules")["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        done = all(rule["lastEvaluation"] > "2000" for rule in rules)
        return rules if rules and done else None

    rules = wait_for(evaluated, "every rule to be evaluated", 60, prometheus)
    assert len(rules) == len(queries)
    unhealthy = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
    assert unhealthy == []


def test_one_bad_record_in_nine_makes_the_dead_letter_alert_pending(
    prometheus: PrometheusServer, fed: Fed
) -> None:
    # 1 of 9 records dead-lettered is above the 5% threshold; `for: 10m` keeps it pending.
    def pending() -> list[dict[str, object]]:
        alerts = prometheus.api("alerts")["data"]["alerts"]
        return [
            alert
            for alert in alerts
            if alert["labels"]["alertname"] == "DetenteDeadLetterRateHigh"
            and alert["labels"]["instance"] == fed.instance
        ]

    (alert,) = wait_for(pending, "DetenteDeadLetterRateHigh to become pending", 60, prometheus)
    assert alert["state"] == "pending"


def test_prometheus_sees_the_numbers_that_were_sent(prometheus: PrometheusServer, fed: Fed) -> None:
    sel = fed.selector
    value = prometheus.value
    assert value(f"sum(detente_messages_consumed_total{sel})") == fed.records
    assert value(f"sum(detente_messages_tagged_total{sel})") == fed.articles
    assert value(f'detente_messages_dead_lettered_total{{{sel[1:-1]}, reason="not_json"}}') == 1
    assert value(f"sum(detente_tone_predictions_total{sel})") == fed.articles
    assert (value(f"sum(detente_topic_predictions_total{sel})") or 0) >= fed.articles
    assert value(f"detente_tone_score_count{sel}") == fed.articles
    assert value(f"detente_end_to_end_latency_seconds_count{sel}") == fed.records
    assert (value(f"detente_transactions_committed_total{sel}") or 0) >= 1
    assert value(f"detente_transactions_aborted_total{sel}") == 0
    assert value(f"sum(detente_consumer_lag_messages{sel})") == 0
    assert value(f"detente_consumer_lag_seconds{sel}") == 0
    assert value(f"detente_ready{sel}") == 1
    assert value(f"detente_assigned_partitions{sel}") == 3
    model = json.loads((PROJECT_ROOT / "models" / "metadata.json").read_text(encoding="utf-8"))
    (info,) = prometheus.query(f"detente_model_info{sel}")
    assert (info["metric"]["name"], info["metric"]["version"]) == (model["name"], model["version"])
    share = value(
        f'sum(increase(detente_tone_predictions_total{{{sel[1:-1]}, tone="escalation"}}[1h]))'
        f" / sum(increase(detente_tone_predictions_total{sel}[1h]))"
    )
    assert share is not None
    assert 0 < share < 1  # the samples hold escalation and de-escalation articles


def _expected_country_counts() -> dict[tuple[str, str], int]:
    """(country, tone) -> articles, from the samples run through the same model and extractor."""
    from classifier.artifact import load_classifier
    from classifier.countries import default_extractor
    from classifier.prediction import ArticleText

    rows = [json.loads(line) for line in SAMPLES.read_bytes().splitlines()]
    texts = [ArticleText(row.get("title") or "", row.get("body") or "") for row in rows]
    predictions = load_classifier(PROJECT_ROOT / "models").classify(texts)
    counts: dict[tuple[str, str], int] = {}
    for text, prediction in zip(texts, predictions, strict=True):
        for country in default_extractor().extract(text)[:2]:
            key = (country.code, prediction.tone.label)
            counts[key] = counts.get(key, 0) + 1
    return counts


def test_a_live_scrape_shows_the_per_country_counter(
    service: ServiceProcess, prometheus: PrometheusServer, fed: Fed
) -> None:
    expected = _expected_country_counts()
    # The samples name countries, and at least one of those articles reads as escalation.
    assert any(tone == "escalation" for _, tone in expected)
    scraped = {
        key: service.metric("detente_country_articles_total", {"country": key[0], "tone": key[1]})
        for key in expected
    }
    assert scraped == {key: float(n) for key, n in expected.items()}
    # Created on first use: no series for a country that no sample names.
    assert (
        service.metric("detente_country_articles_total", {"country": "FR", "tone": "neutral"})
        is None
    )
    assert prometheus.value(f"sum(detente_country_articles_total{fed.selector})") == sum(
        expected.values()
    )


def test_live_metric_families_follow_the_naming_practice(service: ServiceProcess, fed: Fed) -> None:
    status, text = service.http_get("/metrics")
    assert status == 200
    families = families_from_exposition(text)
    problems = {family.name: violations(family) for family in families if violations(family)}
    assert problems == {}
    assert {family.name for family in families} == set(documented_families(METRICS_DOC))
    assert "_created" not in text  # switched off: one more series per counter for nothing


def test_readyz_names_each_check(service: ServiceProcess, fed: Fed) -> None:
    status, body = service.http_get("/readyz")
    assert status == 200, body
    assert body.splitlines() == [
        "ready",
        "ok broker_reachable",
        "ok model_loaded",
        "ok partitions_assigned",
        "ok polling",
    ]
    assert service.http_get("/healthz") == (200, "ok\n")


def test_readyz_fails_while_the_broker_is_away_and_recovers_with_it(
    tmp_path_factory: pytest.TempPathFactory, service_logs: Path
) -> None:
    broker = PrivateBroker(tmp_path_factory.mktemp("readyz-kafka"))
    try:
        bootstrap = broker.start()
        service = start_service(bootstrap, Topics.unique("readyz"), service_logs, instance_id="rz")
        try:
            service.wait_ready()
            broker.stop()

            def not_ready() -> str | None:
                status, body = service.http_get("/readyz")
                return body if status == 503 else None

            body = wait_for(not_ready, "/readyz to fail without a broker", 90)
            assert "FAIL broker_reachable" in body.splitlines(), body
            assert service.metric("detente_ready") == 0
            broker.start()
            service.wait_ready(timeout_s=180)
            assert service.metric("detente_ready") == 1
        finally:
            service.process.kill()
            service.process.wait(timeout=30)
    finally:
        broker.clean()


# Tools that check the files without a running stack


def _run(*command: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_promtool_checks_the_config_and_the_rules() -> None:
    promtool = tool("promtool")
    config = _run(promtool, "check", "config", str(PROMETHEUS_CONFIG))
    assert config.returncode == 0, config.stdout + config.stderr
    assert "SUCCESS: 1 rule files found" in config.stdout
    rules = _run(promtool, "check", "rules", str(RULES))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 11 rules found" in rules.stdout


def test_promtool_unit_tests_of_the_alert_rules_pass() -> None:
    tests = sorted(str(path) for path in RULE_TESTS.glob("*.yml"))
    assert tests
    result = _run(tool("promtool"), "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def dashboard_check(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build tests/tools/dashboardcheck (Go; the SDK comes from the Go module proxy, pinned)."""
    binary = tmp_path_factory.mktemp("dashboardcheck") / "dashboardcheck"
    go = tool("go")
    env = {**os.environ, "GOFLAGS": "-mod=readonly -buildvcs=false"}
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=DASHBOARD_CHECK,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return str(binary)


def test_dashboard_is_a_valid_grafana_dashboard_model(dashboard_check: str) -> None:
    result = _run(dashboard_check, str(DASHBOARD))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{DASHBOARD}: valid"


def test_the_dashboard_model_check_rejects_what_grafana_would(
    dashboard_check: str, tmp_path: Path
) -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    board["panels"][1]["options"]["colourMode"] = "value"  # misspelt option
    board["panels"][2]["fieldConfig"]["defaults"]["unit"] = 5  # wrong type
    board["panels"][5]["targets"][0]["query"] = board["panels"][5]["targets"][0].pop("expr")
    del board["templating"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(board), encoding="utf-8")
    result = _run(dashboard_check, str(broken))
    assert result.returncode == 1
    for problem in ("colourMode", "unit", "'query'", "templating"):
        assert problem in result.stdout, result.stdout
