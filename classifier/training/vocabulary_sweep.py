"""Choose the weight of the built-in vocabulary articles by repeated grouped CV.

    python -m classifier.training.vocabulary_sweep --model-dir models --weights 0 0.5 1 2 3 \\
        --probe tests/data/vocabulary_probe_test.jsonl --out vocabulary_sweep.json

The corpus-trained parts of the model in `--model-dir` read the shared labelled articles and the
vocabulary articles once. For each weight and each repeat, the shipped article-level design
(`classifier.article_level`: tone with the cross-fitted temperature, primary topic) is fitted on
grouped 5-fold splits of the 1,251 shared articles, the same folds as
`classifier.training.article_cv` (the vocabulary rows join every training fold and are never
scored), and scored on the shared articles only. Optionally, per weight, the article level is
refitted on all rows (as `detente train` does) and scored with `detente evaluate`'s figures on a
held-out probe file: reported, not used for the choice.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from classifier.article_level import tone_design, topic_design
from classifier.artifact import load_classifier
from classifier.model import DetenteTagger
from classifier.prediction import ModelInfo
from classifier.training.article_cv import _fold_sd, _slices, _summary, primary_within_gold
from classifier.training.article_fit import (
    ArticleLevelConfig,
    centering,
    cross_fitted_temperature,
    fit_article_level,
    fit_primary,
    fit_tone,
    grouped_folds,
    read_inputs,
    tone_proba,
    topic_proba,
)
from classifier.training.evaluation import evaluate_file
from classifier.training.labelled_articles import (
    LabelledArticles,
    read_labelled_articles,
    read_vocabulary_articles,
)
from classifier.training.saving import serving_parts

__all__ = ["main", "sweep"]


def _with_weight(data: LabelledArticles, weight: float) -> LabelledArticles:
    return dataclasses.replace(data, weight=np.where(data.train_only, weight, data.weight))


def sweep(
    model_dir: Path,
    data_dir: Path,
    weights: Sequence[float],
    tone_cs: Sequence[float],
    repeats: int,
    probe: Path | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    shared = read_labelled_articles(data_dir)
    everything = shared.plus(read_vocabulary_articles(1.0))
    n = len(shared)
    base = ArticleLevelConfig()
    tagger = load_classifier(model_dir, source="skops")
    inputs = read_inputs(tagger, everything)
    folds_by_repeat = [grouped_folds(everything, base.folds, base.seed + r) for r in range(repeats)]
    out: dict[str, Any] = {
        "run": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_dir": str(model_dir),
        "shared_rows": n,
        "vocabulary_rows": len(everything) - n,
        "repeats": repeats,
        "results": [],
    }
    for weight in weights:
        data = _with_weight(everything, weight)
        # Weight 0 is the shipped 1.2.0 design: no vocabulary rows at all (also not in centering).
        used = np.arange(len(data)) if weight > 0 else np.arange(n)
        sub_inputs = dataclasses.replace(
            inputs,
            agg=inputs.agg[used],
            lead=inputs.lead[used],
            doc=inputs.doc[used],
            topic_logits=inputs.topic_logits[used],
        )
        sub = data.take(used.astype(np.int64))
        x_tone = tone_design(sub_inputs, centering(sub_inputs.agg))
        x_topic = topic_design(sub_inputs, centering(sub_inputs.topic_logits))
        folds = [[(tr[tr < len(sub)], te) for tr, te in f] for f in folds_by_repeat]
        scored = shared
        for c in tone_cs:
            oofs, hits = [], []
            for fold_set in folds:
                oof = np.zeros((len(sub), 3))
                primary = np.zeros(len(sub), dtype=np.int64)
                for train, test in fold_set:
                    model = fit_tone(x_tone[train], sub.tone[train], sub.weight[train], c)
                    oof[test] = tone_proba(model, x_tone[test])
                    topic = fit_primary(
                        x_topic[train], sub.primary[train], sub.weight[train], base.topic_c
                    )
                    primary[test] = topic_proba(topic, x_topic[test]).argmax(axis=1)
                oof = cross_fitted_temperature(oof, sub, fold_set)[:n]
                oofs.append(oof)
                hits.append(primary_within_gold(primary[:n].tolist(), scored.topics))
            entry: dict[str, Any] = {
                "vocabulary_weight": weight,
                "tone_c": c,
                **_summary([_slices(scored, oof) for oof in oofs]),
                "per_fold": _fold_sd(scored, [[(tr, te) for tr, te in f] for f in folds], oofs),
                "primary_topic_within_gold": {
                    "mean": float(np.mean(hits)),
                    "sd": float(np.std(hits)),
                },
            }
            if probe is not None:
                cfg = dataclasses.replace(base, tone_c=c, vocabulary_weight=weight)
                parts, _ = fit_article_level(tagger.parts, sub, cfg)
                probe_tagger = DetenteTagger(
                    serving_parts(parts), ModelInfo("vocabulary-sweep", f"w{weight}-c{c}")
                )
                result = evaluate_file(probe, probe_tagger)
                entry["probe"] = {"tone": result["tone"], "topics": result["topics"]}
            out["results"].append(entry)
            all_ = entry["all"]
            progress(
                f"weight {weight} C {c}: macro-F1 {all_['macro_f1']['mean']:.3f} "
                f"± {all_['macro_f1']['sd']:.3f}"
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifier.training.vocabulary_sweep")
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 3.0])
    parser.add_argument("--tone-c", type=float, nargs="+", default=[ArticleLevelConfig().tone_c])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--probe", type=Path, help="a held-out labelled file, reported only")
    parser.add_argument("--out", type=Path, default=Path("vocabulary_sweep.json"))
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        report = sweep(
            args.model_dir,
            args.data_dir,
            args.weights,
            args.tone_c,
            args.repeats,
            args.probe,
            print,
        )
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
