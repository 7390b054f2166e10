"""Classifier-only speed benchmark: articles/s on one core, model load time, artifact size.

    python -m bench.classify_speed [--model-dir models] [--articles 1000] [--out PATH]

Generates N articles of about 3.5 KB from the sentence templates below (written for this
project, not taken from any corpus), pins the process to one CPU with BLAS limited to one thread,
loads the model, and times `classify` on the whole batch and in service-sized batches of 100.
Also times a cold start (imports + load) in a fresh interpreter. Prints a summary and writes a
JSON report (default bench/results/classify_speed.json). Wall-clock figures depend on the machine
and its load: compare numbers taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

# One core: BLAS threads must be limited before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from bench.measure import ROOT, commit_of, pin_one_core  # noqa: E402
from classifier.artifact import ARTIFACT_NAME, WEIGHTS_NAME, load_classifier  # noqa: E402
from classifier.prediction import ArticleText  # noqa: E402

_PLACES: Final = (
    "Arlen", "Borova", "Castellan", "Dravia", "Estmark", "Fenlow", "Galdor", "Hestia",
)  # fmt: skip
_PEOPLE: Final = ("Mara Quint", "Tomas Relk", "Ines Valdor", "Olu Bamgose", "Sana Idris")
_TEMPLATES: Final = {
    "conflict": (
        "Forces loyal to {p} shelled positions near the border town of {q} on {d}, officials said.",
        "At least {n} people were killed and dozens wounded, according to local hospital staff.",
        "The defence ministry in {p} said its troops had responded to rocket fire from {q}.",
        "Residents described hours of heavy artillery and said many families had fled overnight.",
        "{who}, a regional analyst, said the clashes were the worst in the area for {n} months.",
    ),
    "diplomacy": (
        "The foreign ministers of {p} and {q} met on {d} and agreed to restore diplomatic ties.",
        "Both governments said ambassadors would return to their posts within {n} days.",
        "{who}, the spokesperson for the ministry, called the talks frank and constructive.",
        "A joint statement said the two sides would cooperate on trade and border security.",
        "The next round of talks is scheduled to take place in {q} early next month.",
    ),
    "economy": (
        "Shares in {p} Holdings rose {n}% on {d} after the company reported higher profits.",
        "Revenue grew strongly in its retail division, while costs were broadly unchanged.",
        "{who}, the chief executive, said the firm expected demand to stay firm into next year.",
        "Analysts at several banks raised their forecasts following the results.",
        "The central bank of {q} is expected to keep interest rates on hold at its next meeting.",
    ),
    "sport": (
        "{p} United beat {q} City {n}-1 on {d} to move second in the league table.",
        "{who} scored twice in the second half after a goalless opening period.",
        "The manager praised the squad's fitness and said the title race was wide open.",
        "Supporters filled the stadium despite heavy rain throughout the afternoon.",
        "The two sides meet again in the cup quarter-final later this month.",
    ),
}
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TARGET_BYTES: Final = 3_500


def _fill(template: str, rng: random.Random) -> str:
    p, q = rng.sample(_PLACES, 2)
    return template.format(
        p=p, q=q, d=rng.choice(_DAYS), n=rng.randint(2, 60), who=rng.choice(_PEOPLE)
    )


def generate_articles(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(title, body) pairs of about TARGET_BYTES each, mostly one theme with some mixing."""
    rng = random.Random(seed)
    themes = list(_TEMPLATES)
    out = []
    for i in range(n):
        theme = themes[i % len(themes)]
        title = _fill(rng.choice(_TEMPLATES[theme]), rng).rstrip(".")
        paragraphs: list[str] = []
        size = len(title)
        while size < TARGET_BYTES:
            pool = _TEMPLATES[theme if rng.random() < 0.8 else rng.choice(themes)]
            paragraph = " ".join(_fill(rng.choice(pool), rng) for _ in range(rng.randint(2, 3)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        out.append((title, "\n\n".join(paragraphs)))
    return out


def _cold_start(model_dir: Path) -> float:
    code = (
        "import time; t = time.perf_counter(); from pathlib import Path; "
        "from classifier.artifact import load_classifier; "
        f"load_classifier(Path({str(model_dir)!r})); print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(done.stdout.strip().splitlines()[-1])


def run(model_dir: Path, n_articles: int, repeats: int) -> dict[str, Any]:
    cpu = pin_one_core()
    threadpool_limits(1)
    started = time.perf_counter()
    tagger = load_classifier(model_dir)
    load_seconds = time.perf_counter() - started
    articles = [ArticleText(t, b) for t, b in generate_articles(n_articles)]
    mean_bytes = statistics.fmean(len(a.title) + len(a.body) + 1 for a in articles)
    tagger.classify(articles[:50])  # warm-up: first-call allocations
    whole, cpu_seconds = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        tagger.classify(articles)
        whole.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
    batched = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for start in range(0, len(articles), 100):
            tagger.classify(articles[start : start + 100])
        batched.append(time.perf_counter() - t0)
    artifact = model_dir / ARTIFACT_NAME
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"name": tagger.info.name, "version": tagger.info.version},
        "model_commit": commit_of(model_dir),
        "python": platform.python_version(),
        "pinned_cpu": cpu,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "articles": n_articles,
        "mean_article_bytes": round(mean_bytes),
        "repeats": repeats,
        "articles_per_s_one_batch": {
            "median": round(n_articles / statistics.median(whole)),
            "best": round(n_articles / min(whole)),
        },
        # CPU time of this process only: what one uncontended core would do, whatever the
        # machine's load (wall-clock rates above drop when other processes share the core).
        "articles_per_cpu_s_one_batch": round(n_articles / statistics.median(cpu_seconds)),
        "articles_per_s_batches_of_100": {
            "median": round(n_articles / statistics.median(batched)),
            "best": round(n_articles / min(batched)),
        },
        "load_seconds_in_process": round(load_seconds, 3),
        "cold_start_seconds_imports_and_load": round(_cold_start(model_dir), 3),
        "artifact_bytes": artifact.stat().st_size,
        "artifact_mb": round(artifact.stat().st_size / 1e6, 2),
        "serving_weights_mb": round((model_dir / WEIGHTS_NAME).stat().st_size / 1e6, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classify_speed", description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "classify_speed.json"
    )
    args = parser.parse_args(argv)
    report = run(args.model_dir, args.articles, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    one, hundred = report["articles_per_s_one_batch"], report["articles_per_s_batches_of_100"]
    print(
        f"{report['articles']} articles of ~{report['mean_article_bytes']} B on CPU "
        f"{report['pinned_cpu']}: {one['median']} articles/s (best {one['best']}) in one batch, "
        f"{hundred['median']} articles/s (best {hundred['best']}) in batches of 100; "
        f"{report['articles_per_cpu_s_one_batch']} articles per CPU-second\n"
        f"model load {report['load_seconds_in_process']:.2f} s in process, cold start "
        f"(imports + load) {report['cold_start_seconds_imports_and_load']:.2f} s; artifact "
        f"{report['artifact_mb']} MB; load average {report['load_average']}\n"
        f"report: {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
