from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry

from classifier.prediction import ModelInfo
from consumer.http_endpoints import OpsServer, all_ready
from consumer.logs import JsonFormatter
from consumer.metrics import ServiceMetrics


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def test_ops_endpoints_serve_metrics_health_and_readiness() -> None:
    registry = CollectorRegistry()
    ServiceMetrics(registry, ModelInfo("tagger", "1.2.3"), "0.1.0")
    checks = {"model_loaded": True, "partitions_assigned": False}
    server = OpsServer("127.0.0.1", 0, registry, lambda: checks)
    server.start()
    try:
        assert _get(server.port, "/healthz")[0] == 200
        assert _get(server.port, "/readyz") == (
            503,
            "not ready\nok model_loaded\nFAIL partitions_assigned\n",
        )
        checks["partitions_assigned"] = True
        assert _get(server.port, "/readyz")[0] == 200
        status, body = _get(server.port, "/metrics")
        assert status == 200
        assert 'detente_model_info{name="tagger",version="1.2.3"} 1.0' in body
        assert 'detente_messages_dead_lettered_total{reason="tombstone"} 0.0' in body
        assert _get(server.port, "/nope")[0] == 404
    finally:
        server.stop()


def test_readiness_is_false_when_a_check_raises_or_there_are_none() -> None:
    def broken() -> dict[str, bool]:
        raise RuntimeError("consumer gone")

    assert not all_ready(broken)
    assert not all_ready(dict)
    assert all_ready(lambda: {"a": True, "b": True})


@pytest.mark.parametrize("family_suffix", ["_total", "_seconds", "_info", "_messages", "_score"])
def test_metric_families_carry_a_unit_or_total(family_suffix: str) -> None:
    registry = CollectorRegistry()
    ServiceMetrics(registry, ModelInfo("m", "1"), "0")
    names = {
        sample.name
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.startswith(("process_", "python_"))  # the standard collectors
    }
    assert all(name.startswith("detente_") for name in names)
    assert any(family_suffix in name for name in names)


def test_log_lines_are_json_with_extra_fields() -> None:
    record = logging.LogRecord(
        "consumer.runner", logging.WARNING, "f.py", 1, "dead-lettered", (), None
    )
    record.partition = 3
    record.offset = 17
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "dead-lettered"
    assert line["level"] == "warning"
    assert (line["partition"], line["offset"]) == (3, 17)
