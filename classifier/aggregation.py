"""From sentence-level tone to article-level features, evidence and score, as array operations.

Sentences of one article are contiguous rows, delimited by `starts`; every reduction is a
`reduceat` over those segments (articles with no sentence get zeros), so a batch of 1,000
articles costs a few array passes rather than 30,000 Python iterations.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURE_NAMES",
    "LEAD_SENTENCES",
    "article_features",
    "position_weights",
    "segment_max",
    "segment_sum",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Headline, then the lead, carry the main development (inverted pyramid); later sentences are
# background that often recalls earlier violence.
_POSITION_WEIGHT: Final = (3.0, 2.0, 1.5, 1.2)
LEAD_SENTENCES: Final = 5

ESC, DE, NEU = 0, 1, 2  # column order of TONE_LABELS

FEATURE_NAMES: Final = (
    "doc_esc", "doc_de", "doc_neu",
    "wmean_esc", "wmean_de", "wmean_neu",
    "head_esc", "head_de", "head_neu",
    "lead_max_esc", "lead_max_de",
    "all_max_esc", "all_max_de",
    "frac_esc", "frac_de",
    "lead_wmean_score",
)  # fmt: skip


def position_weights(position: IntArray) -> FloatArray:
    table = np.asarray(_POSITION_WEIGHT)
    return np.where(position < len(table), table[np.minimum(position, len(table) - 1)], 1.0)


def _reduceat(
    ufunc: np.ufunc, values: FloatArray, starts: IntArray, empty: float = 0.0
) -> FloatArray:
    n = len(starts) - 1
    lengths = np.diff(starts)
    if len(values) == 0:
        return np.full((n, *values.shape[1:]), empty)
    idx = np.minimum(starts[:-1], len(values) - 1)
    out: FloatArray = ufunc.reduceat(values, idx, axis=0)
    out[lengths == 0] = empty
    return out


def segment_sum(values: FloatArray, starts: IntArray) -> FloatArray:
    return _reduceat(np.add, values, starts)


def segment_max(values: FloatArray, starts: IntArray) -> FloatArray:
    return _reduceat(np.maximum, values, starts)


def article_features(
    p_sent: FloatArray,
    score_sent: FloatArray,
    position: IntArray,
    starts: IntArray,
    p_doc: FloatArray,
) -> FloatArray:
    """The stacker's inputs, one row per article, columns as in FEATURE_NAMES."""
    w = position_weights(position)
    wsum = np.maximum(segment_sum(w, starts), 1e-9)
    wmean = segment_sum(p_sent * w[:, None], starts) / wsum[:, None]
    head_rows = np.minimum(starts[:-1], max(len(p_sent) - 1, 0))
    head = p_sent[head_rows] if len(p_sent) else np.zeros((len(starts) - 1, 3))
    head[np.diff(starts) == 0] = (0.0, 0.0, 1.0)
    lead = (position < LEAD_SENTENCES).astype(np.float64)
    lead_p = p_sent * lead[:, None]
    lead_max = segment_max(lead_p[:, :2], starts)
    all_max = segment_max(p_sent[:, :2], starts)
    winner = p_sent.argmax(axis=1) if len(p_sent) else np.zeros(0, np.int64)
    onehot = np.stack([winner == ESC, winner == DE], axis=1).astype(np.float64)
    n_sent = np.maximum(np.diff(starts), 1).astype(np.float64)
    frac = segment_sum(onehot, starts) / n_sent[:, None]
    lw = w * lead
    lead_score = segment_sum(score_sent * lw, starts) / np.maximum(segment_sum(lw, starts), 1e-9)
    return np.column_stack([p_doc, wmean, head, lead_max, all_max, frac, lead_score / 10.0]).astype(
        np.float64
    )
