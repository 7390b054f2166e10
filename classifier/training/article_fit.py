"""Fit the article level (`classifier.article_level`) on labelled real articles.

The corpus-trained parts read each labelled article exactly as serving does (through the array
twins); on those readings: the tone model (multinomial LogisticRegression, class-balanced), its
temperature (fitted on grouped out-of-fold probabilities, so the confidence is calibrated on
articles no model saw) and the primary-topic model. The out-of-fold probabilities are also the
training report: macro-F1, per class, precision and coverage at the confidence cut, calibration.
Training-only rows (the built-in vocabulary articles) join every training fold and are never
scored, so the report and the temperature are those of the shared labelled set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from classifier.article_level import ArticleInputs, tempered, tone_design, topic_design
from classifier.model import DetenteTagger, TaggerParts
from classifier.prediction import ModelInfo
from classifier.taxonomy import TOPIC_LABELS
from classifier.training.labelled_articles import LabelledArticles
from classifier.training.saving import serving_parts
from classifier.training.tone_report import article_tone_report

__all__ = [
    "CONFIDENCE_CUT",
    "VOCABULARY_WEIGHT",
    "ArticleLevelConfig",
    "centering",
    "fit_article_level",
    "fit_temperature",
    "grouped_folds",
    "read_inputs",
    "stack_inputs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CONFIDENCE_CUT: Final = 0.7
VOCABULARY_WEIGHT: Final = 1.0
_SCORE_BATCH: Final = 512


@dataclass(frozen=True, slots=True)
class ArticleLevelConfig:
    tone_c: float = 10.0
    topic_c: float = 10.0
    folds: int = 5
    seed: int = 13
    # Sample weight of the built-in vocabulary articles (0: not used); chosen by grouped CV.
    vocabulary_weight: float = VOCABULARY_WEIGHT


def read_inputs(tagger: DetenteTagger, data: LabelledArticles) -> ArticleInputs:
    """The article level's inputs for every labelled article, computed as serving computes them."""
    chunks = [
        tagger.score_batch(data.articles[i : i + _SCORE_BATCH]).inputs
        for i in range(0, len(data), _SCORE_BATCH)
    ]
    return stack_inputs(chunks)


def stack_inputs(chunks: Sequence[ArticleInputs]) -> ArticleInputs:
    """The article level's inputs of consecutive batches as one."""
    return ArticleInputs(
        agg=np.vstack([c.agg for c in chunks]),
        lead=sp.vstack([c.lead for c in chunks], format="csr"),
        doc=sp.vstack([c.doc for c in chunks], format="csr"),
        topic_logits=np.vstack([c.topic_logits for c in chunks]),
    )


def centering(x: FloatArray) -> FloatArray:
    """(2, n_columns): mean and scale (standard deviation, 1 for a constant column)."""
    scale = x.std(axis=0)
    return np.vstack([x.mean(axis=0), np.where(scale > 1e-9, scale, 1.0)])


def grouped_folds(data: LabelledArticles, k: int, seed: int) -> list[tuple[IntArray, IntArray]]:
    """Folds by group (no group on both sides), stratified by tone; training-only rows are in
    every training fold and in no test fold (the split of the others does not depend on them)."""
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    scored = data.evaluated
    always = np.flatnonzero(data.train_only).astype(np.int64)
    stratum = np.where(data.tone >= 0, data.tone, 3)[scored]
    groups = np.asarray(data.groups)[scored]
    return [
        (np.concatenate([scored[tr], always]), scored[te])
        for tr, te in splitter.split(np.zeros(len(scored)), stratum, groups)
    ]


def fit_tone(x: sp.csr_matrix, y: IntArray, weight: FloatArray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    return model.fit(x, y, sample_weight=weight)


def fit_primary(x: sp.csr_matrix, y: IntArray, weight: FloatArray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000).fit(x, y, sample_weight=weight)


def tone_proba(model: LogisticRegression, x: sp.csr_matrix) -> FloatArray:
    out = np.zeros((x.shape[0], 3))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(x)
    return out


def topic_proba(model: LogisticRegression, x: sp.csr_matrix) -> FloatArray:
    out = np.zeros((x.shape[0], len(TOPIC_LABELS)))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(x)
    return out


def fit_temperature(proba: FloatArray, y: IntArray) -> float:
    """The temperature that minimises the log-loss of `proba` on `y` (0.25 .. 4)."""

    def loss(t: float) -> float:
        p = tempered(proba, t)[np.arange(len(y)), y]
        return float(-np.mean(np.log(np.clip(p, 1e-12, 1.0))))

    return float(minimize_scalar(loss, bounds=(0.25, 4.0), method="bounded").x)


def out_of_fold(
    x: sp.csr_matrix,
    data: LabelledArticles,
    folds: Sequence[tuple[IntArray, IntArray]],
    cfg: ArticleLevelConfig,
) -> FloatArray:
    """Raw (untempered) out-of-fold tone probabilities of the toned rows (others stay 0)."""
    oof = np.zeros((len(data), 3))
    for train, test in folds:
        rows = train[data.tone[train] >= 0]
        model = fit_tone(x[rows], data.tone[rows], data.weight[rows], cfg.tone_c)
        oof[test] = tone_proba(model, x[test])
    return oof


def cross_fitted_temperature(
    oof: FloatArray, data: LabelledArticles, folds: Sequence[tuple[IntArray, IntArray]]
) -> FloatArray:
    """Each fold's out-of-fold probabilities tempered by a temperature fitted on the others."""
    out = np.zeros_like(oof)
    for train, test in folds:
        rows = train[(data.tone[train] >= 0) & ~data.train_only[train]]
        out[test] = tempered(oof[test], fit_temperature(oof[rows], data.tone[rows]))
    return out


def fit_article_level(
    parts: TaggerParts, data: LabelledArticles, cfg: ArticleLevelConfig
) -> tuple[TaggerParts, dict[str, Any]]:
    """`parts` with the article level fitted on `data`, and the out-of-fold report."""
    reader = DetenteTagger(serving_parts(parts), ModelInfo("article-level-fitting", "0"))
    inputs = read_inputs(reader, data)
    agg_center = centering(inputs.agg)
    topic_center = centering(inputs.topic_logits)
    x_tone = tone_design(inputs, agg_center)
    x_topic = topic_design(inputs, topic_center)
    toned = np.flatnonzero(data.tone >= 0)
    scored = data.evaluated
    scored_toned = scored[data.tone[scored] >= 0]
    topical = np.flatnonzero(data.primary >= 0)
    folds = grouped_folds(data, cfg.folds, cfg.seed)
    oof = out_of_fold(x_tone, data, folds, cfg)
    temperature = fit_temperature(oof[scored_toned], data.tone[scored_toned])
    tone = fit_tone(x_tone[toned], data.tone[toned], data.weight[toned], cfg.tone_c)
    primary = data.primary
    topic = fit_primary(x_topic[topical], primary[topical], data.weight[topical], cfg.topic_c)
    report = {
        "rows": len(data),
        "training_only_rows": int(data.train_only.sum()),
        "folds": f"{cfg.folds}-fold grouped (seed {cfg.seed})",
        "temperature": temperature,
        "out_of_fold_tone": article_tone_report(
            cross_fitted_temperature(oof, data, folds)[scored], data.take(scored), CONFIDENCE_CUT
        ),
    }
    fitted = dataclasses.replace(
        parts,
        article_tone=tone,
        article_topic=topic,
        article_agg_center=agg_center,
        article_topic_center=topic_center,
        article_temperature=np.array([temperature]),
    )
    return fitted, report
