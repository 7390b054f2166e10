"""Prometheus naming practice for detente's metric families, as one checkable rule set.

Used on a live `CollectorRegistry` (unit tests) and on the `/metrics` text of a running service
(integration tests). See https://prometheus.io/docs/practices/naming/ and docs/metrics.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PREFIX = "detente_"
# Base units, plural, as the last word of a gauge or histogram name.
UNIT_SUFFIXES = ("_seconds", "_messages", "_bytes", "_ratio")
# Families without a unit, each for a stated reason.
UNITLESS = {
    "detente_tone_score": "a dimensionless score from -10 to +10",
    "detente_ready": "a 0/1 state",
    "detente_assigned_partitions": "a count of partitions, named by what it counts",
}
_TIME_WORDS = {"second", "seconds", "latency", "duration", "time", "elapsed", "age", "timestamp"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WITH_CREATED = ("counter", "histogram", "summary")


@dataclass(frozen=True)
class Family:
    """One metric family: its exposition name (as queried in PromQL), type and sample names."""

    name: str
    type: str
    samples: frozenset[str]


def violations(family: Family) -> list[str]:
    """Why `family` breaks the naming practice; empty when it follows it."""
    name = family.name
    problems: list[str] = []
    if not name.startswith(PREFIX) or not _NAME.match(name):
        problems.append("not a lower_snake_case detente_ name")
    problems += _suffix_problems(name, family.type)
    if family.type in ("gauge", "histogram", "summary"):
        problems += _unit_problems(name)
    if family.type == "histogram" and not {f"{name}_bucket", f"{name}_count"} <= family.samples:
        # `_sum` too, unless a bucket is negative: OpenMetrics then leaves it out.
        problems.append("a histogram must export _bucket and _count")
    for sample in family.samples:
        if not sample.startswith(name):
            problems.append(f"sample {sample} does not start with the family name")
        if sample.endswith(("_milliseconds", "_ms", "_percent")):
            problems.append(f"sample {sample} is not in a base unit")
    return problems


def _suffix_problems(name: str, kind: str) -> list[str]:
    timed = bool(_TIME_WORDS & set(name.split("_")))
    problems = []
    if kind == "counter" and not name.endswith("_total"):
        problems.append("a counter must end in _total")
    if kind == "counter" and timed and not name.endswith("_seconds_total"):
        problems.append("a counter of time must end in _seconds_total")
    if kind != "counter" and name.endswith("_total"):
        problems.append("only counters end in _total")
    if kind == "info" and not name.endswith("_info"):
        problems.append("an info family must end in _info")
    if name.endswith("_info") and kind not in ("info", "gauge"):
        problems.append("_info is for info gauges")
    return problems


def _unit_problems(name: str) -> list[str]:
    problems = []
    if _TIME_WORDS & set(name.split("_")) and not name.endswith("_seconds"):
        problems.append("a duration or timestamp must be in seconds and end in _seconds")
    if "timestamp" in name and not name.endswith("_timestamp_seconds"):
        problems.append("a timestamp must end in _timestamp_seconds")
    if not name.endswith(UNIT_SUFFIXES) and name not in UNITLESS:
        problems.append(f"no unit suffix ({', '.join(UNIT_SUFFIXES)}) and not a known unitless")
    return problems


def families_from_registry(collected: Iterable[object]) -> list[Family]:
    """Families of `registry.collect()`, named as they are exposed (counters with `_total`)."""
    found = []
    for metric in collected:
        name: str = metric.name  # type: ignore[attr-defined]
        kind: str = metric.type  # type: ignore[attr-defined]
        samples = frozenset(s.name for s in metric.samples)  # type: ignore[attr-defined]
        if kind == "counter":
            name += "_total"
        elif kind == "info":
            name += "_info"
        found.append(Family(name, kind, samples - {_created(name, kind)}))
    return [family for family in found if family.name.startswith(PREFIX)]


def families_from_exposition(text: str) -> list[Family]:
    """Families of a Prometheus text exposition, from its `# TYPE` lines and sample names."""
    types: dict[str, str] = {}
    samples: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            types[name] = kind
            samples[name] = set()
        elif line and not line.startswith("#"):
            sample = re.split(r"[{ ]", line, maxsplit=1)[0]
            owner = max((n for n in types if sample.startswith(n)), key=len, default=None)
            if owner is not None:
                samples[owner].add(sample)
    found = []
    for name, kind in types.items():
        base = name.removesuffix("_created")
        if name != base and types.get(base, types.get(f"{base}_total")) in _WITH_CREATED:
            continue  # the creation time that prometheus_client adds unless told not to
        # prometheus_client writes `# TYPE x counter` for the family whose samples are x_total,
        # and info families as gauges named x_info.
        exposed = name + "_total" if kind == "counter" and not name.endswith("_total") else name
        actual = "info" if kind == "gauge" and name.endswith("_info") else kind
        found.append(Family(exposed, actual, frozenset(samples[name] - {_created(name, kind)})))
    return [family for family in found if family.name.startswith(PREFIX)]


def documented_families(doc: Path) -> dict[str, str]:
    """Name -> type column of the families table in docs/metrics.md."""
    table = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith(f"`{PREFIX}"):
            table[cells[0].strip("`")] = cells[1]
    return table


def _created(name: str, kind: str) -> str:
    base = name.removesuffix("_total") if kind == "counter" else name
    return f"{base}_created"
