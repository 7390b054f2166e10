"""CPU per article of the countries step beside the whole classify step, on the same real articles.

    python -m bench.countries_speed [--articles 2000] [--repeats 9] [--model-dir DIR] [--out PATH]

Reads the first N real articles of ../shared/datasets/news_articles_unlabelled (never copied into
the project), limits BLAS to one thread, loads the model and the extractor, then in one process and
alternating, repeat by repeat: times `CountryExtractor.extract` over all N articles and the
classifier's `classify` over the same articles in service-sized batches of 100, with
`time.process_time` (CPU, not wall clock). Reports the median and best CPU microseconds per article
of each, their ratio, and whether the countries step keeps its budget (30 us). Writes JSON (default
bench/results/countries_speed.json) with the load average at start and end and the commit the
countries code was measured at. Figures depend on the machine and its load (other jobs share its
cores and caches): run it when the load is low, and read the best and the ratio, taken side by
side, as the steadier figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from bench.measure import commit_of  # noqa: E402
from classifier.artifact import load_classifier  # noqa: E402
from classifier.countries import CountryExtractor  # noqa: E402
from classifier.prediction import ArticleText  # noqa: E402

ROOT: Final = Path(__file__).resolve().parent.parent
ARTICLES: Final = ROOT.parent / "shared/datasets/news_articles_unlabelled/articles.jsonl"
BUDGET_US: Final = 30.0
BATCH: Final = 100


def read_articles(path: Path, n: int) -> list[ArticleText]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.append(ArticleText(title=row["title"] or "", body=row["body"] or ""))
            if len(out) == n:
                break
    return out


def _cpu_us_per_article(work: Any, articles: list[ArticleText]) -> float:
    start = time.process_time()
    work(articles)
    return (time.process_time() - start) / len(articles) * 1e6


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def run(model_dir: Path, n: int, repeats: int) -> dict[str, Any]:
    threadpool_limits(1)
    load_at_start = _load()
    articles = read_articles(ARTICLES, n)
    extractor = CountryExtractor.load()
    classifier = load_classifier(model_dir)

    def countries(batch: list[ArticleText]) -> None:
        for article in batch:
            extractor.extract(article)

    def classify(batch: list[ArticleText]) -> None:
        for i in range(0, len(batch), BATCH):
            classifier.classify(batch[i : i + BATCH])

    countries(articles[:BATCH])  # warm both once (first-call allocations)
    classify(articles[:BATCH])
    country_us, classify_us = [], []
    for _ in range(repeats):
        country_us.append(_cpu_us_per_article(countries, articles))
        classify_us.append(_cpu_us_per_article(classify, articles))
    median_c, median_k = statistics.median(country_us), statistics.median(classify_us)
    return {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "countries_code_commit": commit_of(ROOT / "classifier" / "countries"),
        "load_average_at_start": load_at_start,
        "load_average_at_end": _load(),
        "articles": {
            "source": "news_articles_unlabelled (first N lines)",
            "n": len(articles),
            "mean_chars": round(sum(len(a.title) + len(a.body) for a in articles) / len(articles)),
        },
        "repeats": repeats,
        "countries_cpu_us_per_article": {
            "median": round(median_c, 2),
            "best": round(min(country_us), 2),
        },
        "classify_cpu_us_per_article": {
            "median": round(median_k, 2),
            "best": round(min(classify_us), 2),
            "batch": BATCH,
        },
        "countries_over_classify_median": round(median_c / median_k, 4),
        "budget_us": BUDGET_US,
        "within_budget_median": median_c <= BUDGET_US,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/countries_speed.json")
    args = parser.parse_args()
    report = run(args.model_dir, args.articles, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    c, k = report["countries_cpu_us_per_article"], report["classify_cpu_us_per_article"]
    print(f"countries: {c['median']} us/article (best {c['best']}), budget {BUDGET_US} us")
    print(f"classify:  {k['median']} us/article (best {k['best']})")
    print(f"ratio countries/classify: {report['countries_over_classify_median']}")
    print(f"load average: {report['load_average_at_start']} -> {report['load_average_at_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
