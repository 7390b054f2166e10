"""Small real-Kafka helpers for the integration tests: produce, read back, run the service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DETENTE = [sys.executable, "-m", "consumer"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def produce(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    max_request_size: int = 1_048_576,
    client: Mapping[str, Any] | None = None,
) -> int:
    """`client` holds kafka-python security options, for a secured broker."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        max_request_size=max_request_size,
        **(client or {}),
    )
    count = 0
    for key, value in records:
        producer.send(topic, key=key, value=value)
        count += 1
    producer.flush(timeout=30)
    producer.close()
    return count


def read_topic(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 60.0
) -> list[tuple[bytes | None, bytes]]:
    """Read from the start until `expected` records arrived or the time is up (then fewer)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
    )
    records: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend((message.key, message.value) for message in batch)
    finally:
        consumer.close()
    return records


@dataclass
class Topics:
    raw: str
    tagged: str
    dlq: str
    group: str

    @classmethod
    def unique(cls, name: str) -> Topics:
        suffix = f"{name}-{os.getpid()}-{time.monotonic_ns()}"
        return cls(f"raw-{suffix}", f"tagged-{suffix}", f"dlq-{suffix}", f"group-{suffix}")


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    metrics_port: int
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def http_get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"service exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                if self.http_get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"service not ready after {timeout_s} s:\n{self.log()}")

    def metric(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        wanted = name
        if labels:
            wanted += "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
        for line in self.http_get("/metrics")[1].splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def terminate(self, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-8000:]

    def log_lines(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def start_service(bootstrap: str, topics: Topics, log_dir: Path, **settings: str) -> ServiceProcess:
    port = free_port()
    env = {
        **os.environ,
        "DETENTE_BOOTSTRAP_SERVERS": bootstrap,
        "DETENTE_INPUT_TOPIC": topics.raw,
        "DETENTE_OUTPUT_TOPIC": topics.tagged,
        "DETENTE_DLQ_TOPIC": topics.dlq,
        "DETENTE_CONSUMER_GROUP": topics.group,
        "DETENTE_METRICS_HOST": "127.0.0.1",
        "DETENTE_METRICS_PORT": str(port),
        **{f"DETENTE_{key.upper()}": value for key, value in settings.items()},
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"detente-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*DETENTE, "serve"], cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=log_file
        )
    return ServiceProcess(process=process, metrics_port=port, log_path=log_path, env=env)
