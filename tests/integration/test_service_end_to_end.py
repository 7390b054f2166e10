"""`detente serve` against the real broker: articles in, tagged results and dead letters out."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.html_text import clean_text
from consumer.schemas import DeadLetter, RejectReason, TaggedArticle
from tests.conftest import SAMPLES
from tests.integration.kafka_helpers import (
    ServiceProcess,
    Topics,
    produce,
    read_topic,
    start_service,
)
from tests.seed_articles import seed_articles


@pytest.fixture(scope="module")
def topics() -> Topics:
    return Topics.unique("e2e")


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str, topics: Topics, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    running = start_service(kafka_bootstrap, topics, tmp_path_factory.mktemp("e2e-logs"))
    running.wait_ready()
    yield running
    assert running.terminate() == 0, running.log()


def _by_key(records: list[tuple[bytes | None, bytes]]) -> dict[bytes | None, bytes]:
    return dict(records)


def _wait_for_keys(
    bootstrap: str, topic: str, keys: set[bytes], timeout_s: float = 60
) -> dict[bytes | None, bytes]:
    deadline = time.monotonic() + timeout_s
    found: dict[bytes | None, bytes] = {}
    while time.monotonic() < deadline and not keys <= found.keys():
        found = _by_key(read_topic(bootstrap, topic, expected=10**9, timeout_s=2))
    return found


def test_sample_articles_are_tagged_with_the_output_schema(
    kafka_bootstrap: str, topics: Topics, service: ServiceProcess
) -> None:
    lines = SAMPLES.read_bytes().splitlines()
    ids = [json.loads(line)["id"].encode() for line in lines]
    produce(kafka_bootstrap, topics.raw, zip(ids, lines, strict=True))

    tagged = _wait_for_keys(kafka_bootstrap, topics.tagged, set(ids))
    assert set(ids) <= tagged.keys()
    for key in ids:
        article = TaggedArticle.model_validate_json(tagged[key])
        assert article.id.encode() == key
        assert article.schema_version == "1.1"
        assert 1 <= len(article.topics) <= 3
        assert article.tone.label in {"escalation", "de-escalation", "neutral"}
        assert abs(sum(article.tone.probabilities.values()) - 1) < 1e-6
        assert len(article.evidence) <= 3
    assert (service.metric("detente_messages_tagged_total") or 0) >= len(ids)
    assert service.http_get("/healthz")[0] == 200


def test_seed_articles_split_into_two_messages_are_tagged(
    kafka_bootstrap: str, topics: Topics, service: ServiceProcess
) -> None:
    articles = seed_articles()
    records = [
        (f"seed-{n}".encode(), json.dumps({"id": f"seed-{n}", "title": a.title, "body": a.body}))
        for n, a in enumerate(articles, start=1)
    ]
    produce(kafka_bootstrap, topics.raw, ((k, v.encode()) for k, v in records))
    tagged = _wait_for_keys(kafka_bootstrap, topics.tagged, {b"seed-1", b"seed-2"})
    for key, article in zip((b"seed-1", b"seed-2"), articles, strict=True):
        result = TaggedArticle.model_validate_json(tagged[key])
        assert result.title == clean_text(article.title)  # echoed as cleaned: ’ became '
        assert result.language == "en"  # detected: the input declares none
        assert result.topics
        assert result.evidence, "an article of several paragraphs has sentences that drove its tone"


def test_malformed_json_and_missing_id_are_dead_lettered_and_service_keeps_running(
    kafka_bootstrap: str, topics: Topics, service: ServiceProcess
) -> None:
    malformed = b'{"id": "broken-1", "title": "unterminated'
    no_id = b'{"title": "An article without an id", "body": "Text."}'
    after = json.dumps({"id": "after-bad", "title": "Talks resume next week"}).encode()
    produce(
        kafka_bootstrap,
        topics.raw,
        [(b"bad-json", malformed), (b"bad-no-id", no_id), (b"after-bad", after)],
    )

    letters = _wait_for_keys(kafka_bootstrap, topics.dlq, {b"bad-json", b"bad-no-id"})
    bad_json = DeadLetter.model_validate_json(letters[b"bad-json"])
    bad_id = DeadLetter.model_validate_json(letters[b"bad-no-id"])
    assert bad_json.reason is RejectReason.NOT_JSON
    assert bad_id.reason is RejectReason.MISSING_ID
    assert bad_json.source_topic == topics.raw
    assert base64.b64decode(bad_json.value_base64 or "") == malformed
    assert base64.b64decode(bad_id.value_base64 or "") == no_id

    # The service did not stop on them: the article behind them is tagged.
    assert b"after-bad" in _wait_for_keys(kafka_bootstrap, topics.tagged, {b"after-bad"})
    assert service.process.poll() is None
    assert service.metric("detente_messages_dead_lettered_total", {"reason": "not_json"}) == 1
    assert service.metric("detente_messages_dead_lettered_total", {"reason": "missing_id"}) == 1
    failures = [line for line in service.log_lines() if line.get("msg") == "dead-lettered"]
    assert {(line["reason"], line["topic"]) for line in failures} >= {
        ("not_json", topics.raw),
        ("missing_id", topics.raw),
    }
    assert all("partition" in line and "offset" in line for line in failures)


def test_kcat_as_an_independent_client_agrees(
    kafka_bootstrap: str, topics: Topics, service: ServiceProcess
) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is installed by `make test` (scripts/ensure-debian-tools kcat)"
    article = json.dumps({"id": "via-kcat", "title": "Foreign ministers meet to restore ties"})
    subprocess.run(
        [kcat, "-P", "-b", kafka_bootstrap, "-t", topics.raw, "-K", "\t"],
        input=f"via-kcat\t{article}\n".encode(),
        check=True,
        timeout=30,
    )
    deadline = time.monotonic() + 60
    seen: dict[str, str] = {}
    while time.monotonic() < deadline and "via-kcat" not in seen:
        consumed = subprocess.run(
            [
                *(kcat, "-C", "-b", kafka_bootstrap, "-t", topics.tagged, "-o", "beginning", "-e"),
                *("-X", "isolation.level=read_committed", "-f", "%k\t%s\n"),
            ],
            capture_output=True,
            check=True,
            timeout=30,
        )
        for line in consumed.stdout.decode().splitlines():
            key, _, value = line.partition("\t")
            seen[key] = value
        time.sleep(0.5)
    result = TaggedArticle.model_validate_json(seen["via-kcat"])
    assert result.id == "via-kcat"
    assert result.title == "Foreign ministers meet to restore ties"


def test_sigterm_finishes_and_commits_so_a_restart_reprocesses_nothing(
    kafka_bootstrap: str, service_logs: Path
) -> None:
    topics = Topics.unique("sigterm")
    first = start_service(kafka_bootstrap, topics, service_logs, max_poll_records="50")
    first.wait_ready()
    total = 400
    body = "Delegations met again on Tuesday to discuss the border. " * 40
    produce(
        kafka_bootstrap,
        topics.raw,
        (
            (
                f"n-{i}".encode(),
                json.dumps({"id": f"n-{i}", "title": f"T{i}", "body": body}).encode(),
            )
            for i in range(total)
        ),
    )
    deadline = time.monotonic() + 60
    while (first.metric("detente_messages_consumed_total") or 0) == 0:
        assert time.monotonic() < deadline, first.log()
        time.sleep(0.05)
    assert first.terminate(timeout_s=30) == 0, first.log()
    assert any(line.get("msg") == "detente stopped cleanly" for line in first.log_lines())

    second = start_service(kafka_bootstrap, topics, service_logs)
    second.wait_ready()
    try:
        results = read_topic(kafka_bootstrap, topics.tagged, expected=total, timeout_s=90)
        time.sleep(2)  # a duplicate would arrive now, after the expected count
        results = read_topic(kafka_bootstrap, topics.tagged, expected=total + 1, timeout_s=3)
    finally:
        assert second.terminate() == 0
    keys = [key for key, _ in results]
    assert len(keys) == total, f"{len(keys)} results for {total} inputs"
    assert len(set(keys)) == total, "a graceful stop must not cause reprocessing"


def test_missing_topics_without_permission_to_create_fail_fast(
    kafka_bootstrap: str, service_logs: Path
) -> None:
    topics = Topics.unique("nocreate")
    service = start_service(kafka_bootstrap, topics, service_logs, create_topics="false")
    assert service.process.wait(timeout=60) == 2
    assert "DETENTE_CREATE_TOPICS is false" in service.log()
