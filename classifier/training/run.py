"""Train the tagger from the shared datasets and write `models/`.

    python -m classifier.training --data-dir ../shared/datasets --out models/

Stages: corpus (read, map, de-duplicate, cap, split; `classifier.training.corpus`) -> fit
every part on train (`classifier.training.fitting`) -> dev evaluation and the baseline
(`classifier.training.dev_report`) -> artifact and metadata.json (`classifier.artifact`). Runs
on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from classifier.artifact import sha256_file
from classifier.model import DetenteTagger
from classifier.prediction import ModelInfo
from classifier.training.article_fit import ArticleLevelConfig, fit_article_level
from classifier.training.corpus import build_corpus
from classifier.training.dev_report import dev_report
from classifier.training.fitting import Progress, TrainConfig, fit_tagger
from classifier.training.labelled_articles import (
    LABELLED_PATH,
    VOCABULARY_PATH,
    read_extra_articles,
    read_labelled_articles,
    read_vocabulary_articles,
)
from classifier.training.saving import save_tagger, serving_parts
from classifier.training.sources import HEADLINES_PATH, files_read

__all__ = ["MODEL_NAME", "MODEL_VERSION", "TrainConfig", "fit_tagger", "main", "train"]

MODEL_NAME: Final = "detente-tagger"
MODEL_VERSION: Final = "1.4.0"
_PROJECT: Final = Path(__file__).resolve().parents[2]


def _provenance(data_dir: Path, extra: Path | None, vocabulary: bool) -> dict[str, Any]:
    paths = [*files_read(data_dir), data_dir / LABELLED_PATH]
    if HEADLINES_PATH.is_file():
        paths.append(HEADLINES_PATH)
    if vocabulary:
        paths.append(VOCABULARY_PATH)
    if extra is not None:
        paths.append(extra)
    hashes = [sha256_file(p) for p in paths]
    files = [
        {"path": _relative(p, data_dir), "sha256": h, "bytes": p.stat().st_size}
        for p, h in zip(paths, hashes, strict=True)
    ]
    combined = hashlib.sha256("".join(hashes).encode()).hexdigest()
    return {"data_dir": str(data_dir), "files": files, "combined_sha256": combined}


def _relative(path: Path, root: Path) -> str:
    """`path` relative to the data directory, else to the project (its own data files)."""
    for base in (root, _PROJECT):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def train(
    data_dir: Path,
    out_dir: Path,
    progress: Progress = lambda _: None,
    config: TrainConfig | None = None,
    *,
    with_baseline: bool = True,
    extra: Path | None = None,
    extra_weight: float = 1.0,
) -> dict[str, Any]:
    """Train on data_dir, write the artifact and metadata.json to out_dir, return the metadata.

    `extra`: a user's labelled articles (the `detente evaluate` line format) added to the
    article level's training rows with sample weight `extra_weight`."""

    cfg = config or TrainConfig()
    started = time.perf_counter()
    with threadpool_limits(limits=1):  # the machine is shared: one core, as the brief asks
        return _train(data_dir, out_dir, progress, cfg, started, with_baseline, extra, extra_weight)


def _train(
    data_dir: Path,
    out_dir: Path,
    progress: Progress,
    cfg: TrainConfig,
    started: float,
    with_baseline: bool,
    extra: Path | None,
    extra_weight: float,
) -> dict[str, Any]:
    progress(f"reading corpora from {data_dir}")
    corpus = build_corpus(data_dir, seed=cfg.seed, require_all=cfg.require_all_sets)
    labelled = read_labelled_articles(data_dir)  # fails before the long fit when absent
    if extra is not None:
        labelled = labelled.plus(read_extra_articles(extra, extra_weight))
        progress(f"article level: {extra} adds rows with weight {extra_weight}")
    article_cfg = ArticleLevelConfig(seed=cfg.seed)
    if article_cfg.vocabulary_weight > 0:
        labelled = labelled.plus(read_vocabulary_articles(article_cfg.vocabulary_weight))
        progress(
            f"article level: {len(labelled)} rows with the built-in vocabulary articles "
            f"(training-only, weight {article_cfg.vocabulary_weight})"
        )
    if corpus.missing:
        progress(f"WARNING: sets absent and skipped: {', '.join(corpus.missing)}")
    progress(f"corpus: {len(corpus.train)} train / {len(corpus.dev)} dev examples after de-dup")
    parts = fit_tagger(corpus, cfg, progress)
    progress(f"fitting the article level on {len(labelled)} labelled articles")
    parts, article_report = fit_article_level(parts, labelled, article_cfg)
    # Evaluated as served: through the array twins of the estimators (classifier/linear.py).
    tagger = DetenteTagger(serving_parts(parts), ModelInfo(MODEL_NAME, MODEL_VERSION))
    progress("evaluating on dev")
    seed_dir = data_dir.parent / "seed"
    report = dev_report(
        tagger, corpus, progress, with_baseline=with_baseline, seed_dir=seed_dir, seed=cfg.seed
    )
    metadata = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "training": {
            "config": _config_dict(cfg),
            "seed": cfg.seed,
            "seconds": round(time.perf_counter() - started, 1),
            "corpus_counts": corpus.counts(),
            "sets_missing": list(corpus.missing),
            "label_mapping": "classifier/training/label_mapping.py",
            "provenance": _provenance(data_dir, extra, article_cfg.vocabulary_weight > 0),
            "extra": None if extra is None else {"path": str(extra), "weight": extra_weight},
            "vocabulary_articles": {
                "path": _relative(VOCABULARY_PATH, data_dir),
                "weight": article_cfg.vocabulary_weight,
                "training_only": True,
            },
        },
        "article_level": article_report,
        "dev_metrics": report,
    }
    meta_path = save_tagger(parts, metadata, out_dir)
    progress(f"wrote {meta_path.parent} in {time.perf_counter() - started:.0f}s")
    return metadata


def _config_dict(cfg: TrainConfig) -> dict[str, Any]:
    return {name: getattr(cfg, name) for name in cfg.__slots__}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifier.training", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    parser.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF+LR baseline")
    parser.add_argument("--extra", type=Path, help="your labelled articles (evaluate's JSONL)")
    parser.add_argument("--extra-weight", type=float, default=1.0)
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a directory")
    if args.extra is not None and not args.extra.is_file():
        parser.error(f"--extra {args.extra} is not a file")

    def progress(line: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)

    train(
        args.data_dir,
        args.out,
        progress,
        TrainConfig(seed=args.seed),
        with_baseline=not args.no_baseline,
        extra=args.extra,
        extra_weight=args.extra_weight,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
