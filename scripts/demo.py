"""`make demo`: local broker and service, sample articles in, tagged results printed, all stopped.

Uses the committed model and a private broker instance under .cache/, so it touches nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer
from publish_samples import publish_samples

ROOT = Path(__file__).resolve().parent.parent
KAFKA_LOCAL = ROOT / "scripts" / "kafka-local"
BROKER_ENV = {**os.environ, "KAFKA_LOCAL_DIR": str(ROOT / ".cache" / "kafka" / "run" / "demo")}
TOPICS = {"raw": "articles.raw", "tagged": "articles.tagged", "dlq": "articles.dlq"}


def say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def start_broker() -> str:
    say("starting the local Kafka broker (the first run downloads Apache Kafka with Maven)")
    started = subprocess.run(
        [str(KAFKA_LOCAL), "start"], env=BROKER_ENV, stdout=subprocess.PIPE, text=True, check=True
    )
    return started.stdout.strip().splitlines()[-1]


def start_service(bootstrap: str, metrics_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DETENTE_BOOTSTRAP_SERVERS": bootstrap,
        "DETENTE_CONSUMER_GROUP": "detente-demo",
        "DETENTE_METRICS_PORT": str(metrics_port),
        "DETENTE_LOG_LEVEL": "WARNING",
    }
    say("starting detente serve")
    return subprocess.Popen([sys.executable, "-m", "consumer", "serve"], cwd=ROOT, env=env)


def print_results(bootstrap: str, ids: list[str], timeout_s: float = 120) -> bool:
    consumer = KafkaConsumer(
        TOPICS["tagged"],
        TOPICS["dlq"],
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        isolation_level="read_committed",
    )
    pending = set(ids)
    deadline = time.monotonic() + timeout_s
    try:
        while pending and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for message in batch:
                    key = (message.key or b"").decode()
                    pending.discard(key)
                    show(message.topic, json.loads(message.value))
    finally:
        consumer.close()
    return not pending


def show(topic: str, record: dict[str, Any]) -> None:
    if topic == TOPICS["dlq"]:
        print(f"\n[{topic}] reason={record['reason']}: {record['detail']}")
        return
    tone = record["tone"]
    topics = ", ".join(f"{t['label']} {t['score']:.2f}" for t in record["topics"])
    print(f"\n[{topic}] {record['title']}")
    print(f"  tone   {tone['label']} (score {tone['score']:+.1f}, p={tone['confidence']:.2f})")
    print(f"  topics {topics}")
    places = ", ".join(
        f"{c['name']} ({c['code']}) x{c['mentions']}" for c in record.get("countries", [])
    )
    print(f"  where  {places or '-'}")
    for evidence in record.get("evidence", []):
        print(f"  why    {evidence['tone']:>13} {evidence['score']:+.1f}  {evidence['text'][:90]}")


def main() -> int:
    bootstrap = start_broker()
    service = start_service(bootstrap, metrics_port=9464)
    try:
        ids = publish_samples(bootstrap, TOPICS["raw"])
        say(f"published {len(ids)} records (one of them malformed) to {TOPICS['raw']}")
        complete = print_results(bootstrap, ids)
        print()
        say("all results arrived" if complete else "timed out before every result arrived")
        return 0 if complete else 1
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        # Every demo starts from empty topics: the broker instance is removed, the jars stay cached.
        subprocess.run([str(KAFKA_LOCAL), "clean"], env=BROKER_ENV, check=False)
        say("stopped the service and the broker")


if __name__ == "__main__":
    sys.exit(main())
