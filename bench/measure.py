"""What every benchmark script here needs to measure honestly: CPU time, one core, provenance.

CPU seconds (`time.process_time`), not wall time, because the machine is shared: another
process's load slows a wall clock but not this process's CPU count (it still perturbs caches,
which is why each figure is a median of repeats and the load average is recorded beside it).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["ROOT", "commit_of", "cpu_seconds", "pin_one_core"]

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds(work: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of `repeats` runs of `work`."""
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        work()
        runs.append(time.process_time() - started)
    return statistics.median(runs)


def pin_one_core() -> int | None:
    """Run this process on one core (the first allowed), as the service's loop does."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    return None


def commit_of(path: Path) -> str:
    """The last commit that touched `path`, marked when the working copy differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args, "--", str(path)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    dirty = git("status", "--porcelain")
    return git("log", "-1", "--format=%H") + (" (modified since)" if dirty else "")
