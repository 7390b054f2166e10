"""What the article level costs per article, on real articles, in one process on one core.

    python -m bench.article_level_cost [--model-dir models] [--articles 2000] [--repeats 5]

Reads real whole articles (`news_articles_unlabelled`, read in place), pins the process to one
CPU with BLAS on one thread, and measures in the same process, alternating repeats:

  classify      `detente classify`'s core (`consumer.batch_mode.classify_lines`: parse, validate,
                classify, serialise) on the raw JSON lines, batches of 256: articles per
                CPU-second
  article level the steps the article level adds to `classify` (its inputs, the tone model and
                temperature, the primary-topic model) on the same batches, everything before
                them computed outside the timer: CPU milliseconds per article

The corpus-fitted stacker that the article level replaced cost a 16-column product per batch, so
the second figure is what the article level adds. Writes bench/results/article_level_cost.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from bench.measure import ROOT, commit_of, pin_one_core  # noqa: E402
from classifier.aggregation import article_features  # noqa: E402
from classifier.article_features import featurise  # noqa: E402
from classifier.article_level import (  # noqa: E402
    article_inputs,
    tempered,
    tone_design,
    topic_design,
)
from classifier.artifact import load_classifier  # noqa: E402
from classifier.model import (  # noqa: E402
    DetenteTagger,
    magnitudes,
    proba_in_tone_order,
    signed_score,
    topic_probabilities,
)
from classifier.prediction import ArticleText  # noqa: E402
from consumer.batch_mode import classify_lines  # noqa: E402
from consumer.service import pipeline_config  # noqa: E402
from consumer.settings import Settings  # noqa: E402

DATA: Final = ROOT.parent / "shared" / "datasets" / "news_articles_unlabelled"
BATCH: Final = 256


def _article_level_seconds(tagger: DetenteTagger, articles: list[ArticleText]) -> float:
    """CPU seconds of the article level's own steps over all batches."""
    parts = tagger.parts
    total = 0.0
    for start in range(0, len(articles), BATCH):
        batch = featurise(articles[start : start + BATCH], parts.vocab, parts.idf)
        p_sent = proba_in_tone_order(parts.sentence_tone, batch.sentence_x)
        mag_esc, mag_de = magnitudes(parts, batch.sentence_x)
        sent_score = signed_score(p_sent, mag_esc, mag_de)
        p_doc = proba_in_tone_order(parts.doc_tone, batch.doc_x)
        feats = article_features(p_sent, sent_score, batch.position, batch.starts, p_doc)
        coef = parts.topic_coef.astype("float64")
        topic_proba, topic_cover = topic_probabilities(batch, coef, parts.topic_intercept)
        c0 = time.process_time()
        inputs = article_inputs(batch, p_sent, feats, topic_proba, topic_cover)
        tempered(
            proba_in_tone_order(parts.article_tone, tone_design(inputs, parts.article_agg_center)),
            float(parts.article_temperature[0]),
        )
        parts.article_topic.predict_proba(topic_design(inputs, parts.article_topic_center))
        total += time.process_time() - c0
    return total


def run(model_dir: Path, n_articles: int, repeats: int) -> dict[str, Any]:
    pin_one_core()
    threadpool_limits(1)
    tagger = load_classifier(model_dir)
    with (DATA / "articles.jsonl").open("rb") as handle:
        lines = [line for _, line in zip(range(n_articles), handle, strict=False)]
    rows = [json.loads(line) for line in lines]
    articles = [ArticleText(r.get("title") or "", r.get("body") or "") for r in rows]
    config = pipeline_config(Settings())
    tagger.classify(articles[:50])  # warm-up
    classify_cpu, level_cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        classify_lines(lines, tagger, config, io.StringIO(), io.StringIO(), BATCH)
        classify_cpu.append(time.process_time() - c0)
        level_cpu.append(_article_level_seconds(tagger, articles))
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"name": tagger.info.name, "version": tagger.info.version},
        "model_commit": commit_of(model_dir),
        "articles": len(lines),
        "mean_article_bytes": round(statistics.fmean(len(line) for line in lines)),
        "repeats": repeats,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "classify_articles_per_cpu_s": round(len(lines) / statistics.median(classify_cpu)),
        "article_level_ms_per_article": round(1000 * statistics.median(level_cpu) / len(lines), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.article_level_cost", description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "article_level_cost.json"
    )
    args = parser.parse_args(argv)
    report = run(args.model_dir, args.articles, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
