"""Metric functions over plain label lists, shared by training reports and `evaluate_file`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS

__all__ = ["calibration_error", "polarity_f1", "tone_metrics", "topic_metrics"]


def tone_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 over the classes present in y_true, per-class F1 and the confusion matrix."""
    if not y_true:
        return {"n": 0, "macro_f1": None, "accuracy": None, "classes_present": [],
                "per_class_f1": {}, "confusion_matrix": {"labels": list(TONE_LABELS),
                                                         "rows_true_cols_pred": []}}  # fmt: skip
    present = [label for label in TONE_LABELS if label in set(y_true)]
    per_class = f1_score(y_true, y_pred, labels=list(TONE_LABELS), average=None, zero_division=0)
    return {
        "n": len(y_true),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        )
        if present
        else None,
        "accuracy": float(np.mean([a == b for a, b in zip(y_true, y_pred, strict=True)]))
        if y_true
        else None,
        "classes_present": present,
        "per_class_f1": {k: float(v) for k, v in zip(TONE_LABELS, per_class, strict=True)},
        "confusion_matrix": {
            "labels": list(TONE_LABELS),
            "rows_true_cols_pred": confusion_matrix(
                y_true, y_pred, labels=list(TONE_LABELS)
            ).tolist()
            if y_true
            else [],
        },
    }


def polarity_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float | None:
    """Escalation vs de-escalation macro-F1 on rows whose truth is one of the two."""
    pairs = [(t, p) for t, p in zip(y_true, y_pred, strict=True) if t != "neutral"]
    if not pairs:
        return None
    t, p = zip(*pairs, strict=True)
    labels = ["escalation", "de-escalation"]
    return float(f1_score(t, p, labels=labels, average="macro", zero_division=0))


def topic_metrics(
    y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Micro-F1 over (article, topic) pairs and per-topic F1/support."""
    labels = list(TOPIC_LABELS)
    t = np.array([[label in row for label in labels] for row in y_true], dtype=bool)
    p = np.array([[label in row for label in labels] for row in y_pred], dtype=bool)
    if len(t) == 0:
        return {"n": 0, "micro_f1": None, "per_class_f1": {}, "support": {}}
    per = f1_score(t, p, average=None, zero_division=0)
    return {
        "n": len(t),
        "micro_f1": float(f1_score(t, p, average="micro", zero_division=0)),
        "macro_f1_present": float(np.mean([per[j] for j in range(len(labels)) if t[:, j].any()])),
        "primary_accuracy": float(
            np.mean([bool(pr) and pr[0] in tr for tr, pr in zip(y_true, y_pred, strict=True)])
        ),
        "per_class_f1": {k: float(v) for k, v in zip(labels, per, strict=True)},
        "support": {k: int(v) for k, v in zip(labels, t.sum(axis=0), strict=True)},
    }


def calibration_error(proba: np.ndarray, y_true: Sequence[int], bins: int = 10) -> float:
    """Expected calibration error of the top-class probability."""
    if len(y_true) == 0:
        return float("nan")
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(conf[mask].mean() - correct[mask].mean())
    return float(total)
