"""Per-topic decision thresholds, chosen to maximise each topic's F1 on held-out scores."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["GRID", "choose_thresholds"]

GRID: Final = np.round(np.arange(0.10, 0.951, 0.025), 3)
# Topics with too few positives keep a conservative default rather than an over-fitted one.
_MIN_POSITIVES: Final = 20
_DEFAULT: Final = 0.5


def _f1(pred: npt.NDArray[np.bool_], truth: npt.NDArray[np.bool_]) -> float:
    tp = float(np.sum(pred & truth))
    denom = float(np.sum(pred) + np.sum(truth))
    return 0.0 if denom == 0 else 2.0 * tp / denom


def choose_thresholds(
    proba: npt.NDArray[np.float64],
    truth: npt.NDArray[np.bool_],
    known: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:
    """One threshold per column, scored only on rows whose label for that column is known
    (all rows by default); ties go to the higher threshold (fewer false positives)."""
    known = np.ones_like(truth, dtype=bool) if known is None else known
    out = np.full(proba.shape[1], _DEFAULT)
    for j in range(proba.shape[1]):
        rows = known[:, j]
        p, t_j = proba[rows, j], truth[rows, j]
        if t_j.sum() < _MIN_POSITIVES:
            continue
        scores = [_f1(p >= t, t_j) for t in GRID]
        best = max(scores)
        out[j] = float(max(t for t, s in zip(GRID, scores, strict=True) if s == best))
    return out
