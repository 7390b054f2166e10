"""Where a running detente's CPU time goes, from py-spy's collapsed stacks (`--format raw`).

Each sample goes to the first stage in `STAGES` that any frame of its stack matches, so the more
specific stages come first: a JSON decode inside validation counts as `deserialise JSON`, the rest
of validation as `validate (pydantic)`; scipy inside featurisation is featurisation. Samples of the
Kafka client's own threads are reported per thread. A sample whose innermost frame is a wait
(select, a lock or condition wait, sleep) is idle and left out, so the shares are of busy time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Final

__all__ = ["STAGES", "stage_shares"]

# (stage, frame pattern): a sample belongs to the first stage that one of its frames matches.
STAGES: Final = (
    ("Kafka: CRC-32C (fetch check)", r"calc_crc32c|_crc32c\.py|validate_crc"),
    ("featurise (classifier)", r"^featurise |classifier/(article_features|features|text)\.py"),
    ("predict (classifier)", r"score_batch|classifier/aggregation\.py"),
    ("predictions to values (classifier)", r"classifier/model\.py|classifier/prediction\.py"),
    ("deserialise JSON", r"^(loads|JSONDecoder\.\w+) \(json/"),
    ("validate (pydantic)", r"consumer/validation\.py"),
    ("serialise output", r"to_json|model_dump_json"),
    ("build output (pipeline)", r"consumer/pipeline\.py"),
    ("produce: send()", r"KafkaProducer\.send "),
    (
        "commit: flush + transaction end",
        r"commit_transaction|send_offsets_to_transaction|"
        r"KafkaProducer\.flush|KafkaConsumer\.commit ",
    ),
    ("metrics + lag (runner)", r"prometheus_client/|_observe|_report_lag|consumer/metrics\.py"),
    ("Kafka fetch: record parsing", r"kafka/record/|kafka/consumer/fetcher\.py"),
    ("Kafka poll (network, other)", r"KafkaConsumer\.poll|KafkaSource\.poll|kafka/"),
)
_COMPILED: Final = tuple((stage, re.compile(pattern)) for stage, pattern in STAGES)
_IDLE: Final = re.compile(
    r"(select|poll|wait|sleep|acquire) \((selectors|threading|socketserver|time)\.py"
)
_THREAD: Final = re.compile(r"^thread \([0-9x]+\): ([^;]*)")


def _stage_of(frames: list[str], thread: str) -> str:
    if not frames:
        return "main thread, no Python frame (py-spy could not unwind)"
    if thread != "MainThread":
        if "ops-http" in thread:
            return "ops HTTP server thread"
        if any("producer/" in f for f in frames) or "network-thread" in thread:
            return "Kafka network thread (producer requests, responses)"
        return f"Kafka I/O thread ({thread})"
    for stage, pattern in _COMPILED:
        if any(pattern.search(frame) for frame in frames):
            return stage
    return "other"


def stage_shares(lines: Iterable[str]) -> dict[str, float]:
    """Share of samples per stage, largest first; `lines` are py-spy raw (collapsed) lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, number = line.rstrip().rpartition(" ")
        if not stack or not number.isdigit():
            continue
        match = _THREAD.match(stack)
        thread = match.group(1) if match else ""
        frames = stack.split(";")[1:] if match else stack.split(";")
        if frames and _IDLE.search(frames[-1]):
            continue
        counts[_stage_of(frames, thread)] += int(number)
    total = sum(counts.values()) or 1
    return {stage: round(n / total, 4) for stage, n in counts.most_common()}


def top_frames(lines: Iterable[str], limit: int = 15) -> list[tuple[str, float]]:
    """The innermost frames with the most samples (self time), as shares of all samples."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, number = line.rstrip().rpartition(" ")
        leaf = stack.split(";")[-1]
        if stack and number.isdigit() and not _IDLE.search(leaf):
            counts[leaf] += int(number)
    total = sum(counts.values()) or 1
    return [(frame, round(n / total, 4)) for frame, n in counts.most_common(limit)]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()
