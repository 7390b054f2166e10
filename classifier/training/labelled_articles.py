"""Labelled whole articles for the article level: the shared labelled set and users' own files.

`news_articles_labelled/articles.jsonl` (read in place, never copied) carries tone, the labellers'
tone confidence, 1-3 topics, a same-event `group` for grouped folds and how the row was drawn.
Titles and bodies go through `classifier.html_text.clean_text`, as the service's input does.
A user's file (`detente train --extra`) uses the `detente evaluate` line format; each of its lines
is its own group and counts as a confident label. The built-in vocabulary articles
(`classifier/training/data/vocabulary_articles.jsonl`, same format) are training-only rows: they
are added to every training fold and never sit in a test fold, so the cross-validated figures stay
those of the shared labelled set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from classifier.html_text import clean_text
from classifier.prediction import ArticleText
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.evaluation import read_labelled

__all__ = [
    "LABELLED_PATH",
    "VOCABULARY_PATH",
    "LabelledArticles",
    "MissingLabelledSetError",
    "read_extra_articles",
    "read_labelled_articles",
    "read_vocabulary_articles",
]

LABELLED_PATH: Final = Path("news_articles_labelled") / "articles.jsonl"
VOCABULARY_PATH: Final = Path(__file__).resolve().parent / "data" / "vocabulary_articles.jsonl"


class MissingLabelledSetError(FileNotFoundError):
    """The labelled article set is not in the data directory."""


@dataclass(frozen=True)
class LabelledArticles:
    ids: tuple[str, ...]
    articles: tuple[ArticleText, ...]
    tone: npt.NDArray[np.int64]  # TONE_LABELS index, -1 when the row has no tone
    topics: tuple[tuple[str, ...] | None, ...]  # best first; None when the row has none
    groups: tuple[str, ...]  # rows of one group never sit on both sides of a fold
    high: npt.NDArray[np.bool_]  # the labellers were confident of the tone
    random: npt.NDArray[np.bool_]  # drawn at random (the natural mix), not by keywords
    weight: npt.NDArray[np.float64]  # sample weight in fitting
    train_only: npt.NDArray[np.bool_]  # in every training fold, never in a test fold

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def evaluated(self) -> npt.NDArray[np.int64]:
        """Indices of the rows that cross-validation scores (all but the training-only ones)."""
        return np.flatnonzero(~self.train_only).astype(np.int64)

    def take(self, rows: npt.NDArray[np.int64]) -> LabelledArticles:
        """The rows at `rows`, in that order."""
        idx = rows.tolist()
        return LabelledArticles(
            tuple(self.ids[i] for i in idx),
            tuple(self.articles[i] for i in idx),
            self.tone[rows],
            tuple(self.topics[i] for i in idx),
            tuple(self.groups[i] for i in idx),
            self.high[rows],
            self.random[rows],
            self.weight[rows],
            self.train_only[rows],
        )

    @property
    def primary(self) -> npt.NDArray[np.int64]:
        """TOPIC_LABELS index of each row's first topic, -1 when it has none."""
        return np.array([TOPIC_LABELS.index(t[0]) if t else -1 for t in self.topics], np.int64)

    def plus(self, other: LabelledArticles) -> LabelledArticles:
        return LabelledArticles(
            self.ids + other.ids,
            self.articles + other.articles,
            np.concatenate([self.tone, other.tone]),
            self.topics + other.topics,
            self.groups + other.groups,
            np.concatenate([self.high, other.high]),
            np.concatenate([self.random, other.random]),
            np.concatenate([self.weight, other.weight]),
            np.concatenate([self.train_only, other.train_only]),
        )


def _article(title: str, body: str) -> ArticleText:
    """The article as the service would see it: cleaned like every title and body it reads."""
    return ArticleText(clean_text(title), clean_text(body))


def read_labelled_articles(data_dir: Path) -> LabelledArticles:
    path = data_dir / LABELLED_PATH
    if not path.is_file():
        raise MissingLabelledSetError(f"labelled article set not found: {path}")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return LabelledArticles(
        ids=tuple(str(r["id"]) for r in rows),
        articles=tuple(_article(r.get("title") or "", r.get("body") or "") for r in rows),
        tone=np.array([TONE_LABELS.index(r["tone"]) for r in rows], dtype=np.int64),
        topics=tuple(tuple(r["topics"]) for r in rows),
        groups=tuple(f"shared:{r['group']}" for r in rows),
        high=np.array([r.get("tone_confidence") == "high" for r in rows], dtype=bool),
        random=np.array([r.get("selection") == "random" for r in rows], dtype=bool),
        weight=np.ones(len(rows)),
        train_only=np.zeros(len(rows), dtype=bool),
    )


def read_extra_articles(path: Path, weight: float, *, train_only: bool = False) -> LabelledArticles:
    """A user's labelled articles (the `detente evaluate` line format), each its own group."""
    with path.open(encoding="utf-8") as handle:
        rows = read_labelled(handle)
    groups = tuple(f"extra:{path.name}:{i}" for i in range(len(rows)))
    return LabelledArticles(
        ids=groups,
        articles=tuple(_article(r.article.title, r.article.body) for r in rows),
        tone=np.array([TONE_LABELS.index(r.tone) if r.tone else -1 for r in rows], np.int64),
        topics=tuple(r.topics or None for r in rows),
        groups=groups,
        high=np.ones(len(rows), dtype=bool),
        random=np.zeros(len(rows), dtype=bool),
        weight=np.full(len(rows), float(weight)),
        train_only=np.full(len(rows), train_only, dtype=bool),
    )


def read_vocabulary_articles(weight: float) -> LabelledArticles:
    """The built-in vocabulary articles (issue #11 item 2): training-only rows, weight `weight`."""
    return read_extra_articles(VOCABULARY_PATH, weight, train_only=True)
