"""Issue 10's must-show tests: no single record can stop the stream, on the real broker.

Each input must come out exactly once (counted by key, `read_committed`, read to the end after the
service stopped), the service must keep running, and a valid article published after the
troublemakers must be tagged, in both processing guarantees. A dead letter whose input key was too
large is keyed by that key's SHA-256, so the counts map each input key to its output key.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from consumer.output_fit import fits
from consumer.schemas import DeadLetter, RejectReason, TaggedArticle
from tests.integration.fault_helpers import (
    Launched,
    ResultReader,
    article,
    assert_exactly_once,
    create_topic,
    delivery_count,
    launch_ready,
    wait_until,
)
from tests.integration.kafka_helpers import ServiceProcess, Topics, produce

RESULTS_TIMEOUT_S = 300.0
GUARANTEES = ["exactly-once", "at-least-once"]
# The raw topic takes records as large as the reproductions (a 1.5 MB record).
BIG_RECORDS = {"max.message.bytes": str(3 * 1024 * 1024)}


def _sha(key: bytes) -> bytes:
    return hashlib.sha256(key).hexdigest().encode()


def _valid(key: str, **fields: object) -> tuple[bytes, bytes]:
    document = json.loads(article(key, random.Random(key)))
    document.update(fields)
    return key.encode(), json.dumps(document).encode()


def _results(
    bootstrap: str, topics: Topics, expected_keys: list[bytes], service: ServiceProcess
) -> ResultReader:
    """Wait for every expected output key, stop the service cleanly, read to the end."""
    reader = ResultReader(bootstrap, [topics.tagged, topics.dlq])
    reader.wait_for_keys(expected_keys, RESULTS_TIMEOUT_S, running=[service])
    assert service.process.poll() is None, f"the service stopped:\n{service.log()}"
    assert service.terminate() == 0, service.log()
    reader.drain()
    return reader


def _letter(reader: ResultReader, topics: Topics, key: bytes) -> DeadLetter:
    (value,) = reader.values[(topics.dlq, key)]
    return DeadLetter.model_validate_json(value)


def _tagged(reader: ResultReader, topics: Topics, key: bytes) -> TaggedArticle:
    (value,) = reader.values[(topics.tagged, key)]
    return TaggedArticle.model_validate_json(value)


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_the_two_records_that_stopped_the_service_for_good_get_one_output_each(
    kafka_bootstrap: str, launched: Launched, service_logs: Path, guarantee: str
) -> None:
    topics = Topics.unique(f"poison-{guarantee}")
    create_topic(kafka_bootstrap, topics.raw, 1, BIG_RECORDS)
    # 1: a 999,923-byte article whose id is 480,000 characters and title 519,900, keyed by its id.
    huge_id = "i" * 480_000
    first = json.dumps({"id": huge_id, "title": "t" * 519_900, "body": ""}).encode()
    first += b" " * (999_923 - len(first))
    # 2: a 100,000-byte key and a 945,000-byte value that is not UTF-8.
    second_key, second = b"k" * 100_000, b"\xff" * 945_000
    after = _valid("after-the-poison")
    records = [(huge_id.encode(), first), (second_key, second), after]
    produce(kafka_bootstrap, topics.raw, records, max_request_size=3 * 1024 * 1024)

    settings = {"processing_guarantee": guarantee, "instance_id": f"poison-{guarantee}"}
    service = launch_ready(launched, kafka_bootstrap, topics, service_logs, **settings)
    expected = [_sha(huge_id.encode()), _sha(second_key), after[0]]
    reader = _results(kafka_bootstrap, topics, expected, service)
    with reader:
        assert_exactly_once(f"poison records ({guarantee})", topics, expected, reader)
        one = _letter(reader, topics, expected[0])
        assert one.reason is RejectReason.KEY_TOO_LARGE
        assert one.key_size == 480_000
        two = _letter(reader, topics, expected[1])
        assert two.reason is RejectReason.KEY_TOO_LARGE
        assert (two.key_size, two.value_size) == (100_000, 945_000)
        assert _tagged(reader, topics, after[0]).id == "after-the-poison"

    # "Run detente serve twice": the second run starts, finds nothing left, and stays up.
    again = launch_ready(launched, kafka_bootstrap, topics, service_logs, **settings)
    time.sleep(3)
    assert again.process.poll() is None, again.log()
    assert (again.metric("detente_messages_consumed_total") or 0) == 0
    assert again.terminate() == 0, again.log()


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_an_output_topic_someone_created_with_100_kb_is_respected(
    kafka_bootstrap: str, launched: Launched, service_logs: Path, guarantee: str
) -> None:
    topics = Topics.unique(f"small-{guarantee}")
    create_topic(kafka_bootstrap, topics.raw, 3)
    create_topic(kafka_bootstrap, topics.tagged, 3, {"max.message.bytes": "100000"})
    long_title = _valid("long-title", title="Talks resume in Geneva " * 13_000)  # ~300 KB
    huge_url = _valid("huge-url", url="https://example.org/" + "p" * 150_000)
    after = _valid("after-the-big-ones")
    records = [long_title, huge_url, after]
    produce(kafka_bootstrap, topics.raw, records)
    settings = {"processing_guarantee": guarantee, "instance_id": f"small-{guarantee}"}
    service = launch_ready(launched, kafka_bootstrap, topics, service_logs, **settings)
    assert service.metric("detente_output_record_limit_bytes", {"topic": topics.tagged}) == 100_000

    keys = [key for key, _ in records]
    with _results(kafka_bootstrap, topics, keys, service) as reader:
        assert_exactly_once(f"100 KB output topic ({guarantee})", topics, keys, reader)
        shortened = _tagged(reader, topics, b"long-title")
        assert shortened.output_shortened
        assert (shortened.title or "").endswith("…")
        (value,) = reader.values[(topics.tagged, b"long-title")]
        assert fits(b"long-title", value, 100_000)
        assert _letter(reader, topics, b"huge-url").reason is RejectReason.OUTPUT_TOO_LARGE
        assert not _tagged(reader, topics, after[0]).output_shortened


def _lower_limit(bootstrap: str, topic: str, limit: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": limit})
        admin.alter_configs([resource])

        def applied() -> bool:
            check = ConfigResource(ConfigResourceType.TOPIC, topic, ["max.message.bytes"])
            described = admin.describe_configs([check], config_filter="all")
            return described["topic"][topic]["max.message.bytes"]["value"] == str(limit)

        wait_until(applied, 30, f"{topic}'s max.message.bytes to become {limit}")
    finally:
        admin.close()


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_a_limit_lowered_while_running_refuses_one_of_250_and_the_rest_is_tagged_once(
    kafka_bootstrap: str, launched: Launched, service_logs: Path, guarantee: str
) -> None:
    topics = Topics.unique(f"lowered-{guarantee}")
    create_topic(kafka_bootstrap, topics.raw, 1)
    settings = {"processing_guarantee": guarantee, "instance_id": f"lowered-{guarantee}"}
    service = launch_ready(launched, kafka_bootstrap, topics, service_logs, **settings)
    # The service read the limit detente created the topic with; now it is cut to 100 KB behind
    # its back, so the one oversized result is refused by the broker itself: the real path.
    _lower_limit(kafka_bootstrap, topics.tagged, 100_000)
    records = [_valid(f"batch-{n:03d}") for n in range(250)]
    records[137] = _valid("batch-137", url="https://example.org/" + "u" * 300_000)
    produce(kafka_bootstrap, topics.raw, records)

    keys = [key for key, _ in records]
    aborts = {"error": 0.0, "refused_record": 0.0}
    reader = ResultReader(kafka_bootstrap, [topics.tagged, topics.dlq])
    with reader:
        reader.wait_for_keys(keys, RESULTS_TIMEOUT_S, running=[service])
        for cause in aborts:
            value = service.metric("detente_transactions_aborted_total", {"cause": cause})
            aborts[cause] = value or 0.0
        retries = service.metric("detente_delivery_retries_total") or 0.0
        assert service.terminate() == 0, service.log()
        reader.drain()
        assert_exactly_once(f"limit lowered ({guarantee})", topics, keys, reader)
        count = delivery_count(keys, reader, topics.tagged, topics.dlq)
        assert (count.tagged, count.dead_lettered) == (249, 1)
        letter = _letter(reader, topics, b"batch-137")
        assert letter.reason is RejectReason.OUTPUT_TOO_LARGE
        assert "MessageSizeTooLarge" in letter.detail or "refreshed limit" in letter.detail
    logs = service.log_lines()
    assert not [line for line in logs if line.get("msg", "").startswith("batch aborted")]
    assert aborts["error"] == 0
    assert retries == 0
    if guarantee == "exactly-once":
        # The refusal aborted its transaction, and the probes that found the record: bounded,
        # about 2 x log2(batch) (a poll may also have split the 250 into smaller batches).
        assert 1 <= aborts["refused_record"] <= 2 * 8 + 2, aborts
    replaced = [
        line for line in logs if line.get("msg") == "output refused by the broker; replaced"
    ]
    assert replaced, "the broker's own refusal must have been met (not only the pre-check)"
    print(f"[poison] limit lowered ({guarantee}): aborts={aborts} replaced={len(replaced)}")
