"""What a model says on the natural mix of news: tone shares and confidence, beside a reference.

    python -m classifier.training.natural_mix --model-dir models \\
        --reference ref110_unlabelled.jsonl --out models/natural_mix.json

Reads `news_articles_unlabelled` in place (6,000 whole articles, no labels), tags them with the
model and reports the share of each tone, of each primary topic, and the distribution of the tone
confidence (quantiles, share at or above the 0.7 cut); `--reference` is a previous model's
`detente classify` output on the same file, summarised the same way.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from classifier.artifact import load_classifier
from classifier.html_text import clean_text
from classifier.prediction import ArticleText
from classifier.taxonomy import TONE_LABELS

__all__ = ["main", "summarise"]

UNLABELLED: Final = Path("news_articles_unlabelled") / "articles.jsonl"
_BATCH: Final = 512


def _histogram(conf: np.ndarray) -> dict[str, float]:
    """Share of articles per 0.1-wide confidence bin from 1/3 (three classes) to 1."""
    edges = np.array([0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 + 1e-9])
    counts, _ = np.histogram(conf, bins=edges)
    names = ["<0.4", "0.4-0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8", "0.8-0.9", "0.9-1.0"]
    return {name: float(c) / max(len(conf), 1) for name, c in zip(names, counts, strict=True)}


def summarise(
    tones: Sequence[str], confidence: Sequence[float], primary: Sequence[str]
) -> dict[str, Any]:
    conf = np.asarray(confidence, dtype=np.float64)
    counts = Counter(tones)
    return {
        "n": len(tones),
        "tone_share": {t: counts[t] / len(tones) for t in TONE_LABELS},
        "primary_topic_share": {k: v / len(tones) for k, v in Counter(primary).most_common()},
        "confidence_quantiles": {
            f"q{int(q * 100):02d}": float(np.quantile(conf, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9)
        },
        "share_confidence_at_or_above_0.7": float(np.mean(conf >= 0.7)),
        "confidence_histogram": _histogram(conf),
    }


def _model_summary(model_dir: Path, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    tagger = load_classifier(model_dir)
    articles = [
        ArticleText(clean_text(r.get("title") or ""), clean_text(r.get("body") or "")) for r in rows
    ]
    preds = [
        p
        for i in range(0, len(articles), _BATCH)
        for p in tagger.classify(articles[i : i + _BATCH])
    ]
    return {
        "model_version": tagger.info.version,
        **summarise(
            [p.tone.label for p in preds],
            [p.tone.confidence for p in preds],
            [p.topics[0].label for p in preds],
        ),
    }


def _reference_summary(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {
        "model_version": rows[0]["model"]["version"] if rows else None,
        **summarise(
            [r["tone"]["label"] for r in rows],
            [r["tone"]["confidence"] for r in rows],
            [r["topics"][0]["label"] for r in rows],
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifier.training.natural_mix")
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--reference", type=Path, help="a previous model's classify output")
    parser.add_argument("--out", type=Path, default=Path("models/natural_mix.json"))
    args = parser.parse_args(argv)
    with (args.data_dir / UNLABELLED).open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    with threadpool_limits(limits=1):
        report = {"data": str(UNLABELLED), "model": _model_summary(args.model_dir, rows)}
    if args.reference is not None:
        report["reference"] = _reference_summary(args.reference)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
