"""Score any `ArticleClassifier` against a labelled JSON-lines file.

Each line is an object with either `"text"` or `"title"` and `"body"` (a whole article: headline
and body kept apart), plus the expected `"tone"` (one of the tone labels) and `"topics"` (a list of
topic ids, best first). Lines missing `tone` or `topics` count only for the other head; an
optional `"tone_confidence"` (`high` / `low`, as in the shared labelled set) adds a slice of the
rows labelled with confidence. Other fields are ignored, so the shared labelled set is read as it
is. Reported: tone macro-F1, per class, confusion; the model's confidence cut (coverage and
precision at or above it); calibration error; topic micro-F1, per class and the primary topic
within the gold topics. The result is plain JSON-able data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.prediction import ArticleClassifier, ArticleText, Prediction
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.metrics import calibration_error, polarity_f1, tone_metrics, topic_metrics

__all__ = ["EvaluationInputError", "LabelledArticle", "evaluate", "evaluate_file", "read_labelled"]

_BATCH = 256


class EvaluationInputError(ValueError):
    """A line of the evaluation file is not a usable labelled article."""


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    article: ArticleText
    tone: str | None
    topics: tuple[str, ...] | None
    confident: bool | None = None  # the labeller's tone confidence, when the line gives it


def _parse(line_no: int, raw: Any) -> LabelledArticle:
    if not isinstance(raw, dict):
        raise EvaluationInputError(f"line {line_no}: expected a JSON object")
    if "text" in raw:
        article = ArticleText(title="", body=str(raw["text"]))
    elif "body" in raw:
        article = ArticleText(title=str(raw.get("title", "")), body=str(raw["body"]))
    else:
        raise EvaluationInputError(f'line {line_no}: needs "text" or "title"/"body"')
    tone = raw.get("tone")
    if tone is not None and tone not in TONE_LABELS:
        raise EvaluationInputError(f"line {line_no}: unknown tone {tone!r}")
    topics = raw.get("topics")
    if topics is not None:
        if not isinstance(topics, list) or any(t not in TOPIC_LABELS for t in topics):
            raise EvaluationInputError(f"line {line_no}: topics must be a list of {TOPIC_LABELS}")
        topics = tuple(topics)
    confidence = raw.get("tone_confidence")
    if confidence not in (None, "high", "low"):
        raise EvaluationInputError(f'line {line_no}: tone_confidence must be "high" or "low"')
    return LabelledArticle(
        article, tone, topics, None if confidence is None else confidence == "high"
    )


def read_labelled(lines: Iterable[str]) -> list[LabelledArticle]:
    out = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationInputError(f"line {number}: invalid JSON: {exc}") from exc
            out.append(_parse(number, raw))
    return out


def _confidence(
    truth: Sequence[str], pred: Sequence[str], confidence: Sequence[float], cut: float
) -> dict[str, Any]:
    """Coverage of the model's `confidence >= cut` filter and the precision of what it keeps."""
    kept = [t == p for t, p, c in zip(truth, pred, confidence, strict=True) if c >= cut]
    dropped = [t == p for t, p, c in zip(truth, pred, confidence, strict=True) if c < cut]
    return {
        "cut": cut,
        "coverage": len(kept) / len(truth) if truth else None,
        "precision": sum(kept) / len(kept) if kept else None,
        "precision_below_cut": sum(dropped) / len(dropped) if dropped else None,
    }


def _tone_slice(pairs: Sequence[tuple[LabelledArticle, Prediction]], cut: float) -> dict[str, Any]:
    truth = [str(r.tone) for r, _ in pairs]
    pred = [p.tone.label for _, p in pairs]
    block = tone_metrics(truth, pred)
    block["polarity_macro_f1"] = polarity_f1(truth, pred)
    block["model_confidence"] = _confidence(truth, pred, [p.tone.confidence for _, p in pairs], cut)
    return block


def evaluate(
    rows: Sequence[LabelledArticle], classifier: ArticleClassifier, cut: float = 0.7
) -> dict[str, Any]:
    """Tone macro-F1, per class, confusion, polarity F1, precision and coverage at the model's
    confidence `cut`, calibration error; topic micro/per-class F1 and primary within gold."""
    predictions: list[Prediction] = []
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        predictions.extend(classifier.classify([r.article for r in chunk]))
    pairs = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.tone]
    tone = _tone_slice(pairs, cut)
    if pairs:
        proba = np.array([[p.tone.probabilities[k] for k in TONE_LABELS] for _, p in pairs])
        tone["calibration_ece"] = calibration_error(
            proba, [TONE_LABELS.index(str(r.tone)) for r, _ in pairs]
        )
    confident = [(r, p) for r, p in pairs if r.confident]
    if confident:
        tone["gold_high"] = _tone_slice(confident, cut)
    topical = [
        (r.topics, p) for r, p in zip(rows, predictions, strict=True) if r.topics is not None
    ]
    topics = topic_metrics(
        [list(t or ()) for t, _ in topical], [[s.label for s in p.topics] for _, p in topical]
    )
    info = classifier.info
    return {
        "model": {"name": info.name, "version": info.version},
        "n_articles": len(rows),
        "tone": tone,
        "topics": topics,
    }


def evaluate_file(
    data_path: Path, classifier: ArticleClassifier, cut: float = 0.7
) -> dict[str, Any]:
    """Read a JSON-lines file of labelled articles and score `classifier` on it."""
    with data_path.open(encoding="utf-8") as handle:
        rows = read_labelled(handle)
    return {"data_path": str(data_path), **evaluate(rows, classifier, cut)}
