"""End-to-end pipeline benchmark: detente against its limit and its naive peer, side by side.

    python -m bench.pipeline_speed [--articles N] [--profile]      (make bench-pipeline)

Starts a private Kafka broker, publishes N generated articles (bench/articles.py, ~3.5 KB each) to
a 4-partition input topic once, then measures on that same data, one after the other:

  a   the classifier alone, in memory, in batches of DETENTE_MAX_POLL_RECORDS (the limit); also
      the pure pipeline in memory (validate + classify + serialise, no Kafka)
  b   `python -m consumer serve`, raw -> tagged, exactly-once and at-least-once
  c   the naive per-message consumer (bench/naive_consumer.py), for a fixed time
  d   two detente instances in one consumer group (exactly-once)
  lat end-to-end latency of one instance under a paced load of half of b's exactly-once rate
  prof (with --profile) one more exactly-once run sampled by py-spy: CPU share of each stage

Each scenario uses its own consumer group and output topic. A rate is counted from the moment
every instance answered /readyz and the instances own all partitions between them to the last
output record's timestamp, over the records produced in that window; startup is reported apart.
Prints articles/s, ratios, latency percentiles, peak RSS (VmHWM) and startup-to-ready per
instance, CPU per article of the service and of the broker, the load average around each scenario
and how many cores other processes kept busy meanwhile, and writes everything to
bench/results/pipeline-<time>.json. Measure on a quiet machine: only ratios taken in one run mean
anything.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bench import profile_report
from bench.articles import encode, generate, sizes
from bench.kafka_bench import (
    PROJECT_ROOT,
    Broker,
    Child,
    await_group,
    cpu_seconds,
    create_topics,
    end_offsets,
    local_broker,
    publish,
    read_topic,
    start_child,
    wait_until_consumed,
)
from classifier.artifact import load_classifier
from classifier.prediction import ArticleClassifier, ArticleText
from consumer.pipeline import PipelineConfig, article_text, process_batch
from consumer.records import InboundRecord
from consumer.schemas import ArticleIn
from consumer.service import assumed_output_limits, pipeline_config
from consumer.settings import Settings

PARTITIONS = 4
RAW = "bench.raw"
LATENCY_RUNS = {"exactly-once": "lat-eos", "at-least-once": "lat-alo"}
WARM_UP = 3_000  # articles of the broker's warm-up run
RESULTS = PROJECT_ROOT / "bench" / "results"
TARGETS = {
    "b_over_a": (">=", 0.85),
    "b_over_c": (">=", 10.0),
    "d_over_b": (">=", 1.5),
    "latency_p99_ms": ("<=", 100.0),
    "latency_p50_ms": ("<=", 25.0),
    "peak_rss_mb": ("<=", 300.0),
    "startup_s": ("<=", 3.0),
}


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds(broker_pid: int) -> float:
    """CPU seconds of this benchmark: this process, the children it reaped, and its broker."""
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return own + cpu_seconds(broker_pid)


def timed(
    name: str, report: dict[str, Any], step: Callable[[], dict[str, Any]], broker_pid: int
) -> dict[str, Any]:
    """Run one scenario; keep its result with the load average before and after it and the cores
    that processes other than the benchmark's kept busy meanwhile (the noise it ran in)."""
    before = loadavg()
    print(f"-- {name} (load {before[0]:.2f})", file=sys.stderr, flush=True)
    started, busy, own = time.monotonic(), busy_cpu_seconds(), own_cpu_seconds(broker_pid)
    result = step()
    elapsed = time.monotonic() - started
    others = (busy_cpu_seconds() - busy) - (own_cpu_seconds(broker_pid) - own)
    result["loadavg_before"] = before
    result["loadavg_after"] = loadavg()
    result["other_processes_cores"] = round(max(others, 0.0) / elapsed, 2)
    report["scenarios"][name] = result
    return result


def in_memory_rate(
    run_batch: Callable[[int, int], object], total: int, batch: int
) -> tuple[float, float]:
    """(articles per second of wall time, CPU milliseconds per article)."""
    run_batch(0, min(batch, total))  # warm-up: first-call costs are not throughput
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, total, batch):
        run_batch(first, min(first + batch, total))
    cpu = time.process_time() - cpu
    return total / (time.perf_counter() - started), cpu / total * 1000


def classifier_alone(
    model: ArticleClassifier, texts: Sequence[ArticleText], batch: int
) -> tuple[float, float]:
    return in_memory_rate(lambda lo, hi: model.classify(texts[lo:hi]), len(texts), batch)


# The model the pool's forked workers inherit (set before the pool starts).
_POOL_MODEL: ArticleClassifier | None = None


def _classify_in_worker(texts: Sequence[ArticleText]) -> int:
    assert _POOL_MODEL is not None
    return len(_POOL_MODEL.classify(texts))


def classifier_pool(
    model: ArticleClassifier, texts: Sequence[ArticleText], batch: int, workers: int = 2
) -> float:
    """Articles/s when every batch is split over `workers` forked processes: the best a process
    pool inside one instance could do (its Kafka work would still share the same cores)."""
    global _POOL_MODEL  # noqa: PLW0603 - fork hands the loaded model to the workers
    _POOL_MODEL = model
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_classify_in_worker, [texts[:8]] * workers)  # warm-up
        started = time.perf_counter()
        for first in range(0, len(texts), batch):
            chunk = texts[first : first + batch]
            step = -(-len(chunk) // workers)
            pool.map(_classify_in_worker, [chunk[i : i + step] for i in range(0, len(chunk), step)])
        return len(texts) / (time.perf_counter() - started)


LIMITS = assumed_output_limits(Settings())


def pure_pipeline(
    model: ArticleClassifier,
    records: Sequence[InboundRecord],
    config: PipelineConfig,
    batch: int,
) -> tuple[float, float]:
    return in_memory_rate(
        lambda lo, hi: process_batch(records[lo:hi], model, config, LIMITS), len(records), batch
    )


def window_rate(stamps_ms: Sequence[int], window_start: float) -> tuple[float, int, float]:
    """(records per second, records counted, seconds) from window_start to the last stamp."""
    last = max(stamps_ms) / 1000
    counted = sum(1 for s in stamps_ms if s / 1000 >= window_start)
    seconds = last - window_start
    return (counted / seconds if seconds > 0 else 0.0), counted, seconds


def first_stamps(records: Sequence[Any]) -> list[int]:
    """Timestamp of each distinct key's first output (at-least-once may repeat a record)."""
    seen: dict[bytes | None, int] = {}
    for record in records:
        seen.setdefault(record.key, record.timestamp_ms)
    return list(seen.values())


class Bench:
    def __init__(self, broker: Broker, args: argparse.Namespace, log_dir: Path) -> None:
        self.broker = broker
        self.bootstrap = broker.address
        self.args = args
        self.log_dir = log_dir
        self.ends: dict[int, int] = {}
        self.count = 0

    def prepare(self, values: Sequence[tuple[bytes, bytes]]) -> None:
        """Create every input topic up front (a service started right after its topic was created
        can be given no partitions until its metadata next refreshes) and publish the articles.
        A fresh JVM compiles its fetch, produce and transaction paths during its first load, so a
        short warm-up topic is run first and b, which comes first, does not pay for it."""
        latency_topics = [f"{name}.raw" for name in LATENCY_RUNS.values()]
        create_topics(self.bootstrap, [RAW, "warm.raw", *latency_topics], PARTITIONS)
        publish(self.bootstrap, RAW, values, PARTITIONS)
        publish(self.bootstrap, "warm.raw", values[:WARM_UP], PARTITIONS)
        self.ends = end_offsets(self.bootstrap, RAW, PARTITIONS)
        self.count = sum(self.ends.values())

    def env(self, name: str, guarantee: str, input_topic: str = RAW) -> dict[str, str]:
        env = {
            "DETENTE_BOOTSTRAP_SERVERS": self.bootstrap,
            "DETENTE_INPUT_TOPIC": input_topic,
            "DETENTE_OUTPUT_TOPIC": f"{name}.tagged",
            "DETENTE_DLQ_TOPIC": f"{name}.dlq",
            "DETENTE_CONSUMER_GROUP": f"bench-{name}",
            "DETENTE_TOPIC_PARTITIONS": str(PARTITIONS),
            "DETENTE_PROCESSING_GUARANTEE": guarantee,
        }
        for knob in ("max_poll_records", "poll_timeout_ms"):
            value = getattr(self.args, knob)
            if value is not None:
                env[f"DETENTE_{knob.upper()}"] = str(value)
        return env

    def start_services(
        self,
        name: str,
        instances: int,
        guarantee: str,
        input_topic: str = RAW,
        extra_env: dict[str, str] | None = None,
    ) -> list[Child]:
        env = {**self.env(name, guarantee, input_topic), **(extra_env or {})}
        return [
            start_child(
                f"{name}-{i}",
                ["consumer", "serve"],
                {**env, "DETENTE_INSTANCE_ID": f"{name}-{i}"},
                self.log_dir,
            )
            for i in range(instances)
        ]

    def service_run(
        self,
        name: str,
        instances: int,
        guarantee: str,
        input_topic: str = RAW,
        extra_env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        ends = (
            self.ends
            if input_topic == RAW
            else end_offsets(self.bootstrap, input_topic, PARTITIONS)
        )
        count = sum(ends.values())
        children = self.start_services(name, instances, guarantee, input_topic, extra_env)
        try:
            window_start = await_group(children, PARTITIONS)
            startup = [(child.ready_at or 0.0) - child.started_at for child in children]
            broker_cpu = cpu_seconds(self.broker.pid)
            done = wait_until_consumed(
                self.bootstrap, f"bench-{name}", input_topic, ends, 600, children
            )
            if not done:
                raise RuntimeError(f"{name}: input not consumed within 600 s")
            broker_cpu = cpu_seconds(self.broker.pid) - broker_cpu
            rss = [child.peak_rss_mb() for child in children]
            cpu = sum(child.cpu_seconds() - child.cpu_at_ready for child in children)
        finally:
            exits = [child.stop() for child in children]
        stamps = first_stamps(read_topic(self.bootstrap, f"{name}.tagged", count))
        if len(stamps) != count:
            raise RuntimeError(f"{name}: {len(stamps)} tagged records for {count} inputs")
        rate, counted, seconds = window_rate(stamps, window_start)
        return {
            "instances": instances,
            "guarantee": guarantee,
            "articles_per_s": round(rate, 1),
            "records_in_window": counted,
            "window_s": round(seconds, 3),
            # CPU per article after readiness (all instances; includes the last idle polls),
            # and the broker's over the same stretch: both barely move with outside noise.
            "service_cpu_ms_per_article": round(cpu / count * 1000, 3),
            "broker_cpu_ms_per_article": round(broker_cpu / count * 1000, 3),
            "startup_to_ready_s": [round(s, 3) for s in startup],
            "peak_rss_mb": [round(r, 1) for r in rss],
            "exit_codes": exits,
        }

    def naive_run(self, seconds: float) -> dict[str, Any]:
        env = self.env("naive", "at-least-once")
        create_topics(self.bootstrap, ["naive.tagged", "naive.dlq"], PARTITIONS)
        child = start_child("naive", ["bench.naive_consumer"], env, self.log_dir)
        try:
            deadline = time.monotonic() + 90
            while "polling" not in child.log_tail() and time.monotonic() < deadline:
                if child.process.poll() is not None:
                    raise RuntimeError(f"naive consumer exited:\n{child.log_tail()}")
                time.sleep(0.05)
            time.sleep(seconds)
            rss = child.peak_rss_mb()
        finally:
            exit_code = child.stop()
        produced = sum(end_offsets(self.bootstrap, "naive.tagged", PARTITIONS).values())
        records = read_topic(self.bootstrap, "naive.tagged", produced)
        stamps = sorted(first_stamps(records))
        # The first record pays for fetching metadata and the first fetch; count from it on.
        _, counted, window = window_rate(stamps, stamps[0] / 1000)
        return {
            "articles_per_s": round((counted - 1) / window if window > 0 else 0.0, 1),
            "records": counted,
            "window_s": round(window, 3),
            "peak_rss_mb": [round(rss, 1)],
            "exit_codes": [exit_code],
        }

    def latency_run(self, guarantee: str, rate: float, seconds: float) -> dict[str, Any]:
        """One instance under `rate` articles/s from a paced producer; latency of each article
        from its input record's timestamp to the moment a read_committed reader here got it."""
        name = LATENCY_RUNS[guarantee]
        raw = f"{name}.raw"
        rate = round(rate, 1)  # the producer is told this rounded rate: both count alike
        (child,) = self.start_services(name, 1, guarantee, input_topic=raw)
        try:
            startup = child.wait_ready()
            reader = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                isolation_level="read_committed",
                enable_auto_commit=False,
                group_id=None,
                max_poll_records=5000,
            )
            tps = [TopicPartition(f"{name}.tagged", p) for p in range(PARTITIONS)]
            reader.assign(tps)
            reader.seek_to_beginning(*tps)
            reader.poll(timeout_ms=200)
            producer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.paced_producer",
                    self.bootstrap,
                    raw,
                    f"{rate:.1f}",
                    f"{seconds:.1f}",
                ],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
            )
            expected = int(rate * seconds)
            read_at: dict[bytes | None, float] = {}
            out_stamp: dict[bytes | None, int] = {}
            deadline = time.monotonic() + seconds + 120
            while len(read_at) < expected and time.monotonic() < deadline:
                for batch in reader.poll(timeout_ms=100).values():
                    now = time.time() * 1000
                    for message in batch:
                        read_at.setdefault(message.key, now)
                        out_stamp.setdefault(message.key, message.timestamp)
            reader.close()
            sent = json.loads(producer.communicate(timeout=120)[0] or b"{}")
            rss = child.peak_rss_mb()
            batches = child.metric("detente_batch_size_messages_count") or 0.0
            in_batches = child.metric("detente_batch_size_messages_sum") or 0.0
        finally:
            exit_code = child.stop()
        inputs = {r.key: r.timestamp_ms for r in read_topic(self.bootstrap, raw, expected)}
        read_ms = sorted(read_at[k] - inputs[k] for k in read_at if k in inputs)
        stamp_ms = sorted(out_stamp[k] - inputs[k] for k in out_stamp if k in inputs)
        return {
            "guarantee": guarantee,
            "offered_per_s": round(rate, 1),
            "producer": sent,
            "records": len(read_ms),
            "expected": expected,
            # Input record timestamp -> read by a downstream read_committed consumer: the figure.
            "read_latency_ms": percentiles(read_ms),
            # Input record timestamp -> output record timestamp (set when detente sends it).
            "timestamp_latency_ms": percentiles(stamp_ms),
            "mean_batch_size": round(in_batches / batches, 1) if batches else None,
            "startup_to_ready_s": [round(startup, 3)],
            "peak_rss_mb": [round(rss, 1)],
            "exit_codes": [exit_code],
        }

    def profile_run(self) -> dict[str, Any]:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
            "py-spy"
        )
        if spy is None:
            return {"skipped": "py-spy is not installed (pip install py-spy)"}
        (child,) = self.start_services("prof", 1, "exactly-once")
        raw_path = RESULTS / f"profile-{datetime.now(UTC):%Y%m%dT%H%M%S}.pyspy.txt"
        raw_path.parent.mkdir(parents=True, exist_ok=True)
        sampler: subprocess.Popen[bytes] | None = None
        try:
            child.wait_ready()
            sampler = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(child.process.pid),
                    "--format",
                    "raw",
                    "--threads",
                    "--rate",
                    "200",
                    "--output",
                    str(raw_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_until_consumed(self.bootstrap, "bench-prof", RAW, self.ends, 600, [child])
        finally:
            child.stop()
            if sampler is not None:
                sampler.wait(timeout=60)
        lines = profile_report.read_lines(raw_path)
        return {
            "stage_shares": profile_report.stage_shares(lines),
            "top_frames": profile_report.top_frames(lines),
            "samples_file": str(raw_path),
        }


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}

    def at(q: float) -> float:
        return round(values[min(int(q * len(values)), len(values) - 1)], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(values[-1], 1)}


@dataclass(frozen=True)
class Workload:
    """The generated articles as bytes to publish, as model input, and as inbound records."""

    values: list[tuple[bytes, bytes]]
    texts: list[ArticleText]
    records: list[InboundRecord]
    model: ArticleClassifier
    config: PipelineConfig
    batch: int

    @classmethod
    def generate(cls, count: int, settings: Settings, batch: int) -> Workload:
        articles = generate(count, seed=7)
        values = [(a["id"].encode(), encode(a)) for a in articles]
        config = pipeline_config(settings)
        limit = config.max_text_chars
        now_ms = int(time.time() * 1000)
        return cls(
            values=values,
            texts=[article_text(ArticleIn.model_validate(a), limit)[0] for a in articles],
            records=[
                InboundRecord(RAW, i % PARTITIONS, i // PARTITIONS, key, value, now_ms)
                for i, (key, value) in enumerate(values)
            ],
            model=load_classifier(settings.model_dir),
            config=config,
            batch=batch,
        )

    def limit(self) -> dict[str, Any]:
        """Scenario a: the classifier alone, the pure pipeline and a 2-process pool, in memory."""
        rate, cpu = classifier_alone(self.model, self.texts, self.batch)
        core_rate, core_cpu = pure_pipeline(self.model, self.records, self.config, self.batch)
        return {
            "articles_per_s": round(rate, 1),
            "cpu_ms_per_article": round(cpu, 3),
            "pure_pipeline_per_s": round(core_rate, 1),
            "pure_pipeline_cpu_ms_per_article": round(core_cpu, 3),
            "pool_of_2_per_s": round(classifier_pool(self.model, self.texts, self.batch), 1),
        }


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    settings = Settings()
    batch = args.max_poll_records or settings.max_poll_records
    report: dict[str, Any] = {
        "benchmark": "pipeline",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "loadavg_start": loadavg()},
        "settings": {
            "max_poll_records": batch,
            "poll_timeout_ms": args.poll_timeout_ms or settings.poll_timeout_ms,
            "partitions": PARTITIONS,
        },
        "scenarios": {},
    }
    work = Workload.generate(args.articles, settings, batch)
    smallest, mean, largest = sizes([v for _, v in work.values])
    report["articles"] = {
        "count": len(work.values),
        "bytes_min": smallest,
        "bytes_mean": mean,
        "bytes_max": largest,
    }
    with local_broker() as broker:
        bench = Bench(broker, args, log_dir)
        bench.prepare(work.values)

        def scenario(name: str, step: Callable[[], dict[str, Any]]) -> None:
            timed(name, report, step, broker.pid)

        run_scenarios(args, bench, work, report, scenario)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"]["loadavg_end"] = loadavg()
    summarise(report)
    return report


def run_scenarios(
    args: argparse.Namespace,
    bench: Bench,
    work: Workload,
    report: dict[str, Any],
    scenario: Callable[[str, Callable[[], dict[str, Any]]], None],
) -> None:
    only = set(args.only.split(",")) if args.only else None

    def wanted(name: str) -> bool:
        return only is None or name in only

    scenario("warm_up", lambda: bench.service_run("warm", 1, "exactly-once", "warm.raw"))
    scenario("a_classifier", work.limit)
    for index, size in enumerate(args.sweep):

        def sweep_step(size: int = size, index: int = index) -> dict[str, Any]:
            rate, cpu = classifier_alone(work.model, work.texts, size)
            extra = {"DETENTE_MAX_POLL_RECORDS": str(size)}
            result = bench.service_run(f"sweep{index}", 1, "exactly-once", extra_env=extra)
            return {
                "classifier_per_s": round(rate, 1),
                "classifier_cpu_ms_per_article": round(cpu, 3),
                **result,
            }

        scenario(f"sweep{index}_max_poll_records_{size}", sweep_step)
    if wanted("b"):
        scenario("b_exactly_once", lambda: bench.service_run("eos", 1, "exactly-once"))
        scenario("b_at_least_once", lambda: bench.service_run("alo", 1, "at-least-once"))
    if wanted("c"):
        scenario("c_naive", lambda: bench.naive_run(args.naive_seconds))
    if wanted("d"):
        scenario("d_two_instances", lambda: bench.service_run("two", 2, "exactly-once"))
    scenario("a_classifier_again", work.limit)
    for guarantee, key in (("exactly-once", "latency"), ("at-least-once", "latency_alo")):
        b_key = "b_exactly_once" if guarantee == "exactly-once" else "b_at_least_once"
        b_rate = report["scenarios"].get(b_key, {}).get("articles_per_s")
        offered = args.latency_rate or (b_rate / 2 if b_rate else None)
        if wanted("lat") and offered:

            def latency(guarantee: str = guarantee, offered: float = offered) -> dict[str, Any]:
                return bench.latency_run(guarantee, offered, args.latency_seconds)

            scenario(key, latency)
    if args.profile:
        scenario("profile", bench.profile_run)


def summarise(report: dict[str, Any]) -> None:
    s = report["scenarios"]
    a = max(s["a_classifier"]["articles_per_s"], s["a_classifier_again"]["articles_per_s"])
    b = s.get("b_exactly_once", {}).get("articles_per_s")
    b_alo = s.get("b_at_least_once", {}).get("articles_per_s")
    c = s.get("c_naive", {}).get("articles_per_s")
    d = s.get("d_two_instances", {}).get("articles_per_s")
    ratios: dict[str, float | None] = {
        "b_over_a": b / a if b else None,
        "b_at_least_once_over_a": b_alo / a if b_alo else None,
        "b_over_c": b / c if b and c else None,
        "d_over_b": d / b if b and d else None,
    }
    report["ratios"] = {k: round(v, 3) if v is not None else None for k, v in ratios.items()}
    latency = s.get("latency", {}).get("read_latency_ms", {})
    detente = [v for k, v in s.items() if k.startswith(("b_", "d_", "latency"))]
    rss = [r for scenario in detente for r in scenario.get("peak_rss_mb", [])]
    # Startup is judged on instances started alone; d starts two at once on the same cores.
    alone = [v for k, v in s.items() if k.startswith(("b_", "latency"))]
    startup = [t for scenario in alone for t in scenario.get("startup_to_ready_s", [])]
    values = {
        **report["ratios"],
        "latency_p99_ms": latency.get("p99"),
        "latency_p50_ms": latency.get("p50"),
        "peak_rss_mb": max(rss) if rss else None,
        "startup_s": max(startup) if startup else None,
    }
    report["targets"] = {}
    for name, (op, target) in TARGETS.items():
        value = values.get(name)
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        report["targets"][name] = {"value": value, "target": f"{op} {target}", "met": met}


def print_summary(report: dict[str, Any]) -> None:
    s = report["scenarios"]
    lines = [f"articles: {report['articles']}", f"settings: {report['settings']}"]
    for name, result in s.items():
        shown = {k: v for k, v in result.items() if k not in {"stage_shares", "top_frames"}}
        lines.append(f"{name}: {json.dumps(shown)}")
    if "profile" in s and "stage_shares" in s["profile"]:
        lines.append("profile (share of CPU samples in the service process):")
        shares = s["profile"]["stage_shares"].items()
        lines += [f"  {share:6.1%}  {stage}" for stage, share in shares]
    lines.append(f"ratios: {json.dumps(report['ratios'])}")
    for name, target in report["targets"].items():
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[target["met"]]
        value, wanted = target["value"], target["target"]
        lines.append(f"  {name:16} {value!s:>10}  target {wanted:>8}  {verdict}")
    lines.append(
        f"load average: start {report['machine']['loadavg_start']}, "
        f"end {report['machine']['loadavg_end']}"
    )
    print("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=20_000, help="articles published")
    parser.add_argument("--naive-seconds", type=float, default=20.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument(
        "--latency-rate", type=float, help="offered load (default: half of b exactly-once)"
    )
    parser.add_argument("--max-poll-records", type=int, help="DETENTE_MAX_POLL_RECORDS to test")
    parser.add_argument("--poll-timeout-ms", type=int, help="DETENTE_POLL_TIMEOUT_MS to test")
    parser.add_argument("--only", help="comma-separated subset of b,c,d,lat (a always runs)")
    parser.add_argument(
        "--sweep",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[],
        help="also run exactly-once b at each of these DETENTE_MAX_POLL_RECORDS (e.g. 100,500)",
    )
    parser.add_argument("--profile", action="store_true", help="also sample a run with py-spy")
    parser.add_argument("--out", type=Path, help="report path (default bench/results/...)")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="detente-bench-logs-"))
    try:
        report = run(args, log_dir)
    except BaseException:
        print(f"benchmark failed; the processes' logs are in {log_dir}", file=sys.stderr)
        raise
    shutil.rmtree(log_dir, ignore_errors=True)
    print_summary(report)
    out = args.out or RESULTS / f"pipeline-{report['started_at'].replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
