"""Score any `ArticleClassifier` against a labelled JSON-lines file.

Each line is an object with either `"text"` or `"title"` and `"body"`, plus the expected
`"tone"` (one of the tone labels) and `"topics"` (a list of topic ids, best first). Lines
missing `tone` or `topics` count only for the other head. The result is plain JSON-able data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.prediction import ArticleClassifier, ArticleText
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.metrics import polarity_f1, tone_metrics, topic_metrics

__all__ = ["EvaluationInputError", "LabelledArticle", "evaluate", "evaluate_file", "read_labelled"]

_BATCH = 256


class EvaluationInputError(ValueError):
    """A line of the evaluation file is not a usable labelled article."""


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    article: ArticleText
    tone: str | None
    topics: tuple[str, ...] | None


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
    return LabelledArticle(article, tone, topics)


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


def evaluate(rows: Sequence[LabelledArticle], classifier: ArticleClassifier) -> dict[str, Any]:
    """Tone macro-F1, per-class F1, confusion matrix, polarity F1; topic micro/per-class F1."""
    predictions = []
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        predictions.extend(classifier.classify([r.article for r in chunk]))
    toned = [(r.tone, p.tone.label) for r, p in zip(rows, predictions, strict=True) if r.tone]
    truth = [str(t) for t, _ in toned]
    pred = [str(p) for _, p in toned]
    tone = tone_metrics(truth, pred)
    tone["polarity_macro_f1"] = polarity_f1(truth, pred)
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


def evaluate_file(data_path: Path, classifier: ArticleClassifier) -> dict[str, Any]:
    """Read a JSON-lines file of labelled articles and score `classifier` on it."""
    with data_path.open(encoding="utf-8") as handle:
        rows = read_labelled(handle)
    return {"data_path": str(data_path), **evaluate(rows, classifier)}
