"""Choose and report the article level by repeated grouped cross-validation on labelled articles.

    python -m classifier.training.article_cv --model-dir models \\
        --reference ref110_labelled.jsonl --out models/article_cv.json --png models/reliability.png

The corpus-trained parts of the model in `--model-dir` read every labelled article once (they never
saw these articles); then, for each repeat, grouped 5-fold splits (by the dataset's `group`,
stratified by tone, a new shuffle per repeat) fit and score each design on the same folds:

* `article_level`: the shipped design (`classifier.article_level`), temperature cross-fitted;
* `text_only`: the same logistic regression on the lead and document tf-idf rows alone;
* `corpus_readings_only`: on the corpus models' readings (`agg`) alone;
* `without_lead`: readings and document row, no lead row;
* `floor`: the issue's floor exactly: TfidfVectorizer(ngram_range=(1, 2), min_df=2,
  sublinear_tf=True) + LogisticRegression(C=8, class_weight="balanced", max_iter=3000) on the
  title twice and the body;
* `reference`: a previous model's `detente classify` output on the same articles (no fitting).

The built-in vocabulary articles (`classifier/training/data/vocabulary_articles.jsonl`, weight
`--vocabulary-weight`, default the shipped one) join every training fold of every design but the
floor and are never scored: the figures are those of the shared labelled articles, on the same
folds as without them.

Figures per design: mean and SD over repeats of the pooled out-of-fold metrics, and the SD over
all folds of the per-fold macro-F1 and de-escalation F1. Primary topic within the gold topics for
the shipped design (combined with the corpus topic model's probabilities), the article level alone
(`_unrestricted`), and the reference.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from classifier.article_level import ArticleInputs, agreed_primary, tone_design, topic_design
from classifier.artifact import load_classifier
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.article_fit import (
    CONFIDENCE_CUT,
    VOCABULARY_WEIGHT,
    ArticleLevelConfig,
    centering,
    cross_fitted_temperature,
    fit_primary,
    fit_tone,
    grouped_folds,
    read_inputs,
    tone_proba,
    topic_proba,
)
from classifier.training.labelled_articles import (
    LabelledArticles,
    read_labelled_articles,
    read_vocabulary_articles,
)
from classifier.training.reliability_plot import plot_reliability
from classifier.training.tone_report import confidence_block, reliability_bins

__all__ = ["main", "primary_within_gold", "run_cv"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Folds = list[tuple[IntArray, IntArray]]
_SLICES: Final = ("all", "gold_high", "random_draw")


def _design_matrices(inputs: ArticleInputs) -> dict[str, sp.csr_matrix]:
    center = centering(inputs.agg)
    shipped = tone_design(inputs, center)
    agg = shipped[:, : inputs.agg.shape[1]]
    return {
        "article_level": shipped,
        "text_only": sp.hstack([inputs.lead, inputs.doc], format="csr"),
        "corpus_readings_only": sp.csr_matrix(agg),
        "without_lead": sp.hstack([agg, inputs.doc], format="csr"),
    }


def _metrics(y: IntArray, proba: FloatArray) -> dict[str, float | None]:
    pred = proba.argmax(axis=1)
    per = f1_score(y, pred, labels=[0, 1, 2], average=None, zero_division=0)
    conf = confidence_block(y, proba, CONFIDENCE_CUT)
    return {
        "macro_f1": float(np.mean(per)),
        **{f"f1_{label}": float(v) for label, v in zip(TONE_LABELS, per, strict=True)},
        "coverage_at_cut": conf["coverage"],
        "precision_at_cut": conf["precision"],
    }


def _slices(data: LabelledArticles, proba: FloatArray) -> dict[str, dict[str, float | None]]:
    masks = {"all": data.tone >= 0, "gold_high": data.high, "random_draw": data.random}
    return {name: _metrics(data.tone[m], proba[m]) for name, m in masks.items()}


def _summary(per_repeat: Sequence[dict[str, dict[str, float | None]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _SLICES:
        out[name] = {}
        for key in per_repeat[0][name]:
            values = np.array([r[name][key] for r in per_repeat], dtype=np.float64)
            out[name][key] = {"mean": float(np.nanmean(values)), "sd": float(np.nanstd(values))}
    return out


def _fold_sd(
    data: LabelledArticles, folds_by_repeat: Sequence[Folds], oofs: Sequence[FloatArray]
) -> dict[str, dict[str, float]]:
    macro, de = [], []
    for folds, oof in zip(folds_by_repeat, oofs, strict=True):
        for _, test in folds:
            pred = oof[test].argmax(axis=1)
            per = f1_score(data.tone[test], pred, labels=[0, 1, 2], average=None, zero_division=0)
            macro.append(float(np.mean(per)))
            de.append(float(per[1]))
    return {
        "macro_f1": {"mean": float(np.mean(macro)), "sd": float(np.std(macro))},
        "f1_de-escalation": {"mean": float(np.mean(de)), "sd": float(np.std(de))},
    }


def _fitted_oof(x: sp.csr_matrix, data: LabelledArticles, folds: Folds, c: float) -> FloatArray:
    oof = np.zeros((len(data), 3))
    for train, test in folds:
        model = fit_tone(x[train], data.tone[train], data.weight[train], c)
        oof[test] = tone_proba(model, x[test])
    return oof


def _floor_oof(data: LabelledArticles, folds: Folds) -> FloatArray:
    texts = [f"{a.title} {a.title} {a.body}" for a in data.articles]
    oof = np.zeros((len(data), 3))
    for all_train, test in folds:
        train = all_train[~data.train_only[all_train]]  # the floor is the issue's, as it was
        vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x_train = vectoriser.fit_transform([texts[i] for i in train])
        model = LogisticRegression(C=8, class_weight="balanced", max_iter=3000)
        model.fit(x_train, data.tone[train])
        oof[test] = tone_proba(model, vectoriser.transform([texts[i] for i in test]))
    return oof


def primary_within_gold(
    primary: Sequence[int] | IntArray, topics: Sequence[tuple[str, ...] | None]
) -> float:
    """Share of rows whose predicted primary topic (a TOPIC_LABELS index) is a gold topic."""
    hits = [bool(t) and TOPIC_LABELS[p] in (t or ()) for p, t in zip(primary, topics, strict=True)]
    return float(np.mean(hits))


def _topic_oof(
    inputs: ArticleInputs, data: LabelledArticles, folds: Folds, c: float
) -> tuple[IntArray, IntArray]:
    """Out-of-fold primary topics as shipped (combined with the corpus topic model's) and
    from the article level alone."""
    x = topic_design(inputs, centering(inputs.topic_logits))
    corpus = expit(inputs.topic_logits[:, : len(TOPIC_LABELS)])  # the document model's
    shipped = np.zeros(len(data), dtype=np.int64)
    free = np.zeros(len(data), dtype=np.int64)
    for train, test in folds:
        model = fit_primary(x[train], data.primary[train], data.weight[train], c)
        proba = topic_proba(model, x[test])
        shipped[test] = agreed_primary(proba, corpus[test]).argmax(axis=1)
        free[test] = proba.argmax(axis=1)
    return shipped, free


def _reference(path: Path, data_ids: Sequence[str]) -> tuple[FloatArray, list[int], str]:
    """Tone probabilities and primary topics from `detente classify` output, in data order."""
    by_id: dict[str, Any] = {}
    version = "?"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                by_id[row["id"]] = row
                version = str(row.get("model", {}).get("version", version))
    rows = [by_id[i] for i in data_ids]
    proba = np.array([[r["tone"]["probabilities"][k] for k in TONE_LABELS] for r in rows])
    primary = [TOPIC_LABELS.index(r["topics"][0]["label"]) for r in rows]
    return proba, primary, version


def run_cv(
    model_dir: Path,
    data_dir: Path,
    repeats: int,
    reference: Path | None,
    progress: Callable[[str], None],
    vocabulary_weight: float = VOCABULARY_WEIGHT,
) -> dict[str, Any]:
    """The comparison report (JSON-able)."""
    shared = read_labelled_articles(data_dir)
    data = shared
    if vocabulary_weight > 0:
        data = shared.plus(read_vocabulary_articles(vocabulary_weight))
    cfg = ArticleLevelConfig(vocabulary_weight=vocabulary_weight)
    inputs = read_inputs(load_classifier(model_dir), data)
    designs = _design_matrices(inputs)
    folds_by_repeat = [grouped_folds(data, cfg.folds, cfg.seed + r) for r in range(repeats)]
    oofs: dict[str, list[FloatArray]] = {name: [] for name in [*designs, "floor"]}
    primary_hits: list[float] = []
    primary_free_hits: list[float] = []
    for r, folds in enumerate(folds_by_repeat):
        for name, x in designs.items():
            oof = _fitted_oof(x, data, folds, cfg.tone_c)
            if name == "article_level":
                oof = cross_fitted_temperature(oof, data, folds)
            oofs[name].append(oof)
        oofs["floor"].append(_floor_oof(data, folds))
        shipped_primary, free_primary = _topic_oof(inputs, data, folds, cfg.topic_c)
        n_shared = len(shared)
        primary_hits.append(primary_within_gold(shipped_primary[:n_shared], shared.topics))
        primary_free_hits.append(primary_within_gold(free_primary[:n_shared], shared.topics))
        progress(f"repeat {r + 1}/{repeats} done")
    # Scored: the shared articles only; they are the first rows, so fold indices still hold.
    n = len(shared)
    oofs = {name: [oof[:n] for oof in values] for name, values in oofs.items()}
    data = shared
    report: dict[str, Any] = {
        "run": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_dir": str(model_dir),
        "rows": len(data),
        "vocabulary_rows_training_only": len(inputs.agg) - n,
        "vocabulary_weight": vocabulary_weight,
        "repeats": repeats,
        "folds": f"{cfg.folds}-fold StratifiedGroupKFold by group, seeds {cfg.seed}..",
        "confidence_cut": CONFIDENCE_CUT,
        "designs": {},
    }
    for name, values in oofs.items():
        report["designs"][name] = {
            **_summary([_slices(data, oof) for oof in values]),
            "per_fold": _fold_sd(data, folds_by_repeat, values),
        }
    report["designs"]["article_level"]["primary_topic_within_gold"] = {
        "mean": float(np.mean(primary_hits)),
        "sd": float(np.std(primary_hits)),
    }
    report["designs"]["article_level"]["primary_topic_within_gold_unrestricted"] = {
        "mean": float(np.mean(primary_free_hits)),
        "sd": float(np.std(primary_free_hits)),
    }
    shipped = oofs["article_level"][0]
    report["designs"]["article_level"]["reliability_repeat_0"] = reliability_bins(
        data.tone, shipped
    )
    if reference is not None:
        proba, primary, version = _reference(reference, data.ids)
        report["designs"]["reference"] = {
            "model_version": version,
            **_summary([_slices(data, proba)]),
            "per_fold": _fold_sd(data, folds_by_repeat, [proba] * repeats),
            "primary_topic_within_gold": {
                "mean": primary_within_gold(primary, data.topics),
                "sd": 0.0,
            },
            "reliability": reliability_bins(data.tone, proba),
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifier.training.article_cv")
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference", type=Path, help="a previous model's classify output")
    parser.add_argument("--out", type=Path, default=Path("models/article_cv.json"))
    parser.add_argument("--png", type=Path, default=Path("models/reliability.png"))
    parser.add_argument("--vocabulary-weight", type=float, default=VOCABULARY_WEIGHT)
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        report = run_cv(
            args.model_dir,
            args.data_dir,
            args.repeats,
            args.reference,
            print,
            args.vocabulary_weight,
        )
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    reference = report["designs"].get("reference", {}).get("reliability")
    plot_reliability(
        report["designs"]["article_level"]["reliability_repeat_0"], reference, args.png
    )
    print(f"wrote {args.out} and {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
