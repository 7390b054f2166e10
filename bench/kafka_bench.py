"""Kafka plumbing of the pipeline benchmark: a private broker, topics, publishing, reading back,
and `detente serve` (or any consumer command) as a child process that can be watched.

Every process started here is stopped by the caller's `with` block; the broker runs in its own
`KAFKA_LOCAL_DIR`, so it never touches a broker that tests or a developer started. The helpers
that talk to a broker take `client`, kafka-python's security options, for a secured one
(`secured_local_broker`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

__all__ = [
    "PROJECT_ROOT",
    "Broker",
    "Child",
    "OutputRecord",
    "SecuredBroker",
    "await_group",
    "cpu_seconds",
    "create_topics",
    "end_offsets",
    "local_broker",
    "publish",
    "read_topic",
    "secured_local_broker",
    "start_child",
    "wait_until_consumed",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KAFKA_LOCAL = PROJECT_ROOT / "scripts" / "kafka-local"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (noise from other processes aside)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Broker:
    address: str
    pid: int


@contextmanager
def local_broker() -> Iterator[Broker]:
    """A broker of its own in a temporary KAFKA_LOCAL_DIR, stopped and deleted on exit."""
    directory = Path(tempfile.mkdtemp(prefix="detente-bench-kafka-"))
    env = {**os.environ, "KAFKA_LOCAL_DIR": str(directory)}
    try:
        started = subprocess.run(
            [str(KAFKA_LOCAL), "start"], env=env, capture_output=True, text=True, check=False
        )
        if started.returncode != 0:
            raise RuntimeError(f"the local Kafka broker did not start:\n{started.stderr[-4000:]}")
        pid = int((directory / "kafka.pid").read_text())
        yield Broker(started.stdout.strip().splitlines()[-1], pid)
    finally:
        subprocess.run([str(KAFKA_LOCAL), "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class SecuredBroker:
    """A `kafka-local --secure` broker: the service's `DETENTE_*` credentials (User:detente) and
    kafka-python options of User:admin, a super user, for the benchmark's own clients."""

    address: str
    pid: int
    service_env: Mapping[str, str]
    admin: Mapping[str, Any]


@contextmanager
def secured_local_broker() -> Iterator[SecuredBroker]:
    """`kafka-local start --secure` in a temporary KAFKA_LOCAL_DIR, stopped and deleted on exit."""
    directory = Path(tempfile.mkdtemp(prefix="detente-bench-kafka-secure-"))
    env = {**os.environ, "KAFKA_LOCAL_DIR": str(directory)}
    try:
        started = subprocess.run(
            [str(KAFKA_LOCAL), "start", "--secure"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode != 0:
            raise RuntimeError(f"the secured broker did not start:\n{started.stderr[-4000:]}")
        lines = started.stdout.strip().splitlines()
        info = dict(line.split(": ", 1) for line in lines[:-1])
        service_env = dict(
            line.split("=", 1)
            for line in Path(info["credentials"]).read_text().splitlines()
            if "=" in line
        )
        admin_password = re.search(r'password="([^"]+)"', Path(info["admin-config"]).read_text())
        if admin_password is None:
            raise RuntimeError("the admin config holds no password")
        admin = {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "admin",
            "sasl_plain_password": admin_password.group(1),
            "ssl_cafile": info["ca-file"],
        }
        pid = int((directory / "kafka.pid").read_text())
        yield SecuredBroker(lines[-1], pid, service_env, admin)
    finally:
        subprocess.run([str(KAFKA_LOCAL), "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def create_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int,
    client: Mapping[str, Any] | None = None,
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **(client or {}))
    try:
        admin.create_topics(
            {name: {"num_partitions": partitions, "replication_factor": 1} for name in names},
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def publish(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes, bytes]],
    partitions: int,
    client: Mapping[str, Any] | None = None,
) -> None:
    """Send every (key, value), record i to partition i % partitions, so partitions hold equal
    shares and two instances finish together."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        **(client or {}),
    )
    for i, (key, value) in enumerate(records):
        producer.send(topic, key=key, value=value, partition=i % partitions)
    producer.flush(timeout=120)
    producer.close()


def end_offsets(
    bootstrap: str, topic: str, partitions: int, client: Mapping[str, Any] | None = None
) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, **(client or {}))
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: int(offset) for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def wait_until_consumed(
    bootstrap: str,
    group: str,
    topic: str,
    ends: Mapping[int, int],
    timeout_s: float,
    alive: Sequence[Child] = (),
    client: Mapping[str, Any] | None = None,
) -> bool:
    """Until the group's committed offsets reach `ends` (every input processed and committed).

    Asks the broker twice a second, so it costs the processes under test next to nothing."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **(client or {}))
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            committed = admin.list_group_offsets(group).get(group, {})
            done = {tp.partition: m.offset for tp, m in committed.items() if tp.topic == topic}
            if all(done.get(p, -1) >= end for p, end in ends.items()):
                return True
            for child in alive:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
            time.sleep(0.5)
        return False
    finally:
        admin.close()


@dataclass(frozen=True, slots=True)
class OutputRecord:
    key: bytes | None
    timestamp_ms: int
    read_at_ms: float
    size: int


def read_topic(
    bootstrap: str,
    topic: str,
    expected: int,
    timeout_s: float = 120.0,
    client: Mapping[str, Any] | None = None,
) -> list[OutputRecord]:
    """Every committed record from the start until `expected` distinct keys were seen."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        **(client or {}),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
        max_poll_records=5000,
    )
    records: list[OutputRecord] = []
    keys: set[bytes | None] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while len(keys) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                now = time.time() * 1000
                for message in batch:
                    keys.add(message.key)
                    size = len(message.value) if message.value is not None else 0
                    records.append(OutputRecord(message.key, message.timestamp, now, size))
    finally:
        consumer.close()
    return records


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Child:
    """A service (or peer consumer) process, its ops port, and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    started_at: float  # time.time() just before the process was spawned
    metrics_port: int
    log_path: Path
    ready_at: float | None = None
    cpu_at_ready: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def http_get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def check_ready(self) -> bool:
        """Ask `/readyz` once; the first 200 records when (and the CPU used until then)."""
        if self.ready_at is not None:
            return True
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )
        try:
            if self.http_get("/readyz")[0] != 200:
                return False
        except OSError:
            return False
        self.ready_at = time.time()
        self.cpu_at_ready = self.cpu_seconds()
        return True

    def wait_ready(self, timeout_s: float = 90.0) -> float:
        """Poll `/readyz` every 10 ms; returns seconds from spawn to the first 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.check_ready():
                return (self.ready_at or 0.0) - self.started_at
            time.sleep(0.01)
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def metric(self, name: str) -> float | None:
        for line in self.http_get("/metrics")[1].splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory the process ever had."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def stop(self, timeout_s: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


def await_group(children: Sequence[Child], partitions: int, timeout_s: float = 120.0) -> float:
    """Poll every instance until each answered `/readyz` and, between them, they own all
    `partitions`, each some; returns that moment (time.time()): from then on all are working."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = [child.check_ready() for child in children]
        if all(ready):
            owned = [child.metric("detente_assigned_partitions") or 0.0 for child in children]
            if sum(owned) == partitions and min(owned) > 0:
                return time.time()
        time.sleep(0.02)
    names = ", ".join(child.name for child in children)
    raise RuntimeError(f"{names}: not all ready with all partitions after {timeout_s} s")


def start_child(
    name: str, module_args: Sequence[str], env: Mapping[str, str], log_dir: Path
) -> Child:
    """`python -m <module_args>` with `DETENTE_*` settings from `env` and a free ops port."""
    port = free_port()
    full_env = {
        **os.environ,
        "DETENTE_METRICS_HOST": "127.0.0.1",
        "DETENTE_METRICS_PORT": str(port),
        **env,
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        started_at = time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            cwd=PROJECT_ROOT,
            env=full_env,
            stdout=log_file,
            stderr=log_file,
        )
    return Child(name, process, started_at, port, log_path)
