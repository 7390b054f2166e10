"""Secured vs plain broker, side by side in one run: one instance's startup and throughput.

    python -m bench.secured_speed [--articles N] [--rounds R]      (make bench-secured)

Starts a plain `kafka-local` broker and a secured one (`--secure`: SASL_SSL with SCRAM-SHA-512,
the StandardAuthorizer and User:detente's ACLs), publishes the same N generated articles
(bench/articles.py) to a 4-partition input topic on each, warms each broker up with a short run,
then runs one instance against each, plain then secured, for every guarantee and R rounds, so that
drift in the machine's load falls on both alike. The secured instance runs as User:detente with
its prefixed grants, as deployed; the benchmark's own clients are User:admin.

Per run: startup-to-ready (spawn to the first 200 from /readyz; on the secured broker that
includes the TLS + SCRAM handshake check and the ACL checks), articles/s from the moment the
instance was ready and owned every partition to its last output record (counted as
bench.pipeline_speed counts it), and CPU per article of the service and of the broker. Prints the
medians and the secured/plain ratios and writes bench/results/secured-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from bench.articles import encode, generate
from bench.kafka_bench import (
    await_group,
    cpu_seconds,
    create_topics,
    end_offsets,
    local_broker,
    publish,
    read_topic,
    secured_local_broker,
    start_child,
    wait_until_consumed,
)
from bench.pipeline_speed import PARTITIONS, RESULTS, WARM_UP, first_stamps, loadavg, window_rate
from consumer.kafka_io import max_record_bytes
from consumer.settings import Settings

RAW = "bench.raw"
WARM = "warm.raw"
GUARANTEES = ("exactly-once", "at-least-once")


@dataclass
class Target:
    """One broker under test and how the service and the benchmark reach it."""

    name: str
    address: str
    pid: int
    service_env: Mapping[str, str] = field(default_factory=dict)
    client: Mapping[str, Any] | None = None
    ends: dict[int, int] = field(default_factory=dict)

    def admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(bootstrap_servers=self.address, **(self.client or {}))


def prepare(target: Target, values: Sequence[tuple[bytes, bytes]]) -> None:
    create_topics(target.address, [RAW, WARM], PARTITIONS, target.client)
    publish(target.address, RAW, values, PARTITIONS, target.client)
    publish(target.address, WARM, values[:WARM_UP], PARTITIONS, target.client)
    target.ends = end_offsets(target.address, RAW, PARTITIONS, target.client)
    if target.client is not None:
        grant_bench_acls(target)


def grant_bench_acls(target: Target) -> None:
    """User:detente's grants for the benchmark's names: the README's, by prefix."""

    def allow(kind: ResourceType, name: str, op: ACLOperation, prefixed: bool = False) -> ACL:
        pattern = ACLResourcePatternType.PREFIXED if prefixed else ACLResourcePatternType.LITERAL
        return ACL(
            "User:detente",
            "*",
            op,
            ACLPermissionType.ALLOW,
            ResourcePattern(kind, name, pattern),
        )

    grants = [
        allow(ResourceType.TOPIC, RAW, ACLOperation.READ),
        allow(ResourceType.TOPIC, WARM, ACLOperation.READ),
        allow(ResourceType.TOPIC, "out-", ACLOperation.WRITE, prefixed=True),
        allow(ResourceType.TOPIC, "out-", ACLOperation.DESCRIBE_CONFIGS, prefixed=True),
        allow(ResourceType.GROUP, "bench-", ACLOperation.READ, prefixed=True),
        allow(ResourceType.TRANSACTIONAL_ID, "detente-bench-", ACLOperation.WRITE, prefixed=True),
    ]
    admin = target.admin()
    try:
        result = admin.create_acls(grants)
        if result["failed"]:
            raise RuntimeError(f"granting the benchmark's ACLs failed: {result['failed']}")
    finally:
        admin.close()


def make_outputs(target: Target, name: str) -> None:
    """The output topics, made as detente makes them: User:detente may not create topics."""
    limit = str(max_record_bytes(Settings()))
    admin = target.admin()
    try:
        admin.create_topics(
            {
                f"out-{name}.{kind}": {
                    "num_partitions": PARTITIONS,
                    "replication_factor": 1,
                    "configs": {"max.message.bytes": limit},
                }
                for kind in ("tagged", "dlq")
            },
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def service_run(
    target: Target, name: str, guarantee: str, input_topic: str, log_dir: Path
) -> dict[str, Any]:
    ends = (
        target.ends
        if input_topic == RAW
        else end_offsets(target.address, input_topic, PARTITIONS, target.client)
    )
    count = sum(ends.values())
    make_outputs(target, name)
    env = {
        **target.service_env,
        "DETENTE_BOOTSTRAP_SERVERS": target.address,
        "DETENTE_INPUT_TOPIC": input_topic,
        "DETENTE_OUTPUT_TOPIC": f"out-{name}.tagged",
        "DETENTE_DLQ_TOPIC": f"out-{name}.dlq",
        "DETENTE_CONSUMER_GROUP": f"bench-{name}",
        "DETENTE_PROCESSING_GUARANTEE": guarantee,
        "DETENTE_INSTANCE_ID": name,
    }
    before = loadavg()
    child = start_child(name, ["consumer", "serve"], env, log_dir)
    try:
        window_start = await_group([child], PARTITIONS)
        startup = (child.ready_at or 0.0) - child.started_at
        broker_cpu = cpu_seconds(target.pid)
        if not wait_until_consumed(
            target.address, f"bench-{name}", input_topic, ends, 600, [child], target.client
        ):
            raise RuntimeError(f"{name}: input not consumed within 600 s")
        broker_cpu = cpu_seconds(target.pid) - broker_cpu
        service_cpu = child.cpu_seconds() - child.cpu_at_ready
    finally:
        exit_code = child.stop()
    tagged = read_topic(target.address, f"out-{name}.tagged", count, client=target.client)
    stamps = first_stamps(tagged)
    if len(stamps) != count:
        raise RuntimeError(f"{name}: {len(stamps)} tagged records for {count} inputs")
    rate, counted, seconds = window_rate(stamps, window_start)
    return {
        "broker": target.name,
        "guarantee": guarantee,
        "articles_per_s": round(rate, 1),
        "records_in_window": counted,
        "window_s": round(seconds, 3),
        "startup_to_ready_s": round(startup, 3),
        "service_cpu_ms_per_article": round(service_cpu / count * 1000, 3),
        "broker_cpu_ms_per_article": round(broker_cpu / count * 1000, 3),
        "loadavg_before": before,
        "exit_code": exit_code,
    }


def summarise(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for guarantee in GUARANTEES:
        medians: dict[str, dict[str, float]] = {}
        for broker in ("plain", "secured"):
            mine = [r for r in runs if r["guarantee"] == guarantee and r["broker"] == broker]
            if not mine:
                continue
            medians[broker] = {
                key: round(statistics.median(r[key] for r in mine), 3)
                for key in (
                    "articles_per_s",
                    "startup_to_ready_s",
                    "service_cpu_ms_per_article",
                    "broker_cpu_ms_per_article",
                )
            }
        if len(medians) == 2:
            plain, secured = medians["plain"], medians["secured"]
            medians["secured_over_plain"] = {
                key: round(secured[key] / plain[key], 3) for key in plain if plain[key]
            }
            medians["startup_extra_s"] = {
                "secured_minus_plain": round(
                    secured["startup_to_ready_s"] - plain["startup_to_ready_s"], 3
                )
            }
        summary[guarantee] = medians
    return summary


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    # The articles bench.pipeline_speed uses (same seed), keyed by id.
    values = [(a["id"].encode(), encode(a)) for a in generate(args.articles, seed=7)]
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "articles": args.articles,
        "partitions": PARTITIONS,
        "rounds": args.rounds,
        "runs": [],
    }
    print("-- starting a plain and a secured broker", file=sys.stderr, flush=True)
    with local_broker() as plain_broker, secured_local_broker() as secured_broker:
        targets = [
            Target("plain", plain_broker.address, plain_broker.pid),
            Target(
                "secured",
                secured_broker.address,
                secured_broker.pid,
                {k: v for k, v in secured_broker.service_env.items() if "BOOTSTRAP" not in k},
                secured_broker.admin,
            ),
        ]
        for target in targets:
            prepare(target, values)
            # A fresh JVM compiles its fetch, produce and transaction paths on its first load.
            service_run(target, f"warm-{target.name}", "exactly-once", WARM, log_dir)
        for round_ in range(args.rounds):
            for guarantee in GUARANTEES:
                for target in targets:
                    name = f"{target.name}-{guarantee}-{round_}"
                    print(f"-- {name} (load {loadavg()[0]:.2f})", file=sys.stderr, flush=True)
                    report["runs"].append(service_run(target, name, guarantee, RAW, log_dir))
    report["summary"] = summarise(report["runs"])
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=20_000, help="articles published")
    parser.add_argument("--rounds", type=int, default=2, help="runs per broker and guarantee")
    parser.add_argument("--out", type=Path, help="report path (default bench/results/...)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="detente-bench-secured-") as logs:
        started = time.monotonic()
        report = run(args, Path(logs))
        report["duration_s"] = round(time.monotonic() - started, 1)
    out = args.out or RESULTS / f"secured-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["summary"], indent=2))
    print(f"report: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
