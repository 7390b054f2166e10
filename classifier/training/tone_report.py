"""Article-level tone figures from probabilities: the slices and the confidence the issue names.

Slices: all rows, the rows whose labellers were confident (`gold_high`), the random draw (the
natural mix of news). Per slice: macro-F1, per-class F1, confusion, and for the model's own
confidence cut the coverage (share of rows at or above it) and the precision there. Calibration:
expected calibration error and a 10-bin reliability table of the top-class probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from classifier.taxonomy import TONE_LABELS
from classifier.training.labelled_articles import LabelledArticles
from classifier.training.metrics import calibration_error, tone_metrics

__all__ = ["article_tone_report", "confidence_block", "reliability_bins"]

FloatArray = npt.NDArray[np.float64]


def confidence_block(
    y: npt.NDArray[np.int64], proba: FloatArray, cut: float
) -> dict[str, float | None]:
    """Coverage at `cut` (share of rows whose top probability reaches it) and precision there."""
    if len(y) == 0:
        return {"cut": cut, "coverage": None, "precision": None}
    confident = proba.max(axis=1) >= cut
    correct = proba.argmax(axis=1) == y
    return {
        "cut": cut,
        "coverage": float(confident.mean()),
        "precision": float(correct[confident].mean()) if confident.any() else None,
        "precision_below_cut": float(correct[~confident].mean()) if (~confident).any() else None,
    }


def reliability_bins(
    y: npt.NDArray[np.int64], proba: FloatArray, bins: int = 10
) -> list[dict[str, float]]:
    """Per confidence bin with rows: mean confidence, accuracy and row count."""
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    which = np.clip((conf * bins).astype(np.int64), 0, bins - 1)
    return [
        {
            "low": b / bins,
            "high": (b + 1) / bins,
            "confidence": float(conf[which == b].mean()),
            "accuracy": float(correct[which == b].mean()),
            "n": int((which == b).sum()),
        }
        for b in range(bins)
        if (which == b).any()
    ]


def _slice(y: npt.NDArray[np.int64], proba: FloatArray, cut: float) -> dict[str, Any]:
    truth = [TONE_LABELS[i] for i in y.tolist()]
    pred = [TONE_LABELS[i] for i in proba.argmax(axis=1).tolist()] if len(y) else []
    block = tone_metrics(truth, pred)
    block["confidence"] = confidence_block(y, proba, cut)
    return block


def article_tone_report(proba: FloatArray, data: LabelledArticles, cut: float) -> dict[str, Any]:
    toned = data.tone >= 0
    y = data.tone
    out: dict[str, Any] = {}
    for name, mask in (("all", toned), ("gold_high", toned & data.high),
                       ("random_draw", toned & data.random)):  # fmt: skip
        out[name] = _slice(y[mask], proba[mask], cut)
    out["calibration"] = {
        "ece": calibration_error(proba[toned], y[toned].tolist()),
        "reliability": reliability_bins(y[toned], proba[toned]),
    }
    return out
