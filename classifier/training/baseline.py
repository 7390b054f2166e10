"""The floor to beat: plain TF-IDF + LogisticRegression on the same train corpus.

Tone: one multinomial model on whole texts (headline + body), default settings, no sentence
view, no class weights, no stacking. Topics: one-vs-rest LogisticRegression at 0.5 with the same
1..3 / `other`-alone selection rule as the tagger. Used only for the dev report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifier.model import pick_topics
from classifier.prediction import ArticleText
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.sources import Example

__all__ = ["Baseline", "fit_baseline"]


def _text(article: ArticleText) -> str:
    return f"{article.title}\n{article.body}" if article.title else article.body


@dataclass(frozen=True)
class Baseline:
    vectoriser: TfidfVectorizer
    tone: LogisticRegression
    topics: tuple[LogisticRegression | None, ...]

    def tone_proba(self, articles: Sequence[ArticleText]) -> npt.NDArray[np.float64]:
        if not articles:
            return np.zeros((0, len(TONE_LABELS)))
        raw = self.tone.predict_proba(self.vectoriser.transform([_text(a) for a in articles]))
        out = np.zeros((raw.shape[0], len(TONE_LABELS)))
        out[:, np.asarray(self.tone.classes_, dtype=np.int64)] = raw
        return out

    def tone_labels(self, articles: Sequence[ArticleText]) -> list[str]:
        if not articles:
            return []
        pred = self.tone.predict(self.vectoriser.transform([_text(a) for a in articles]))
        return [TONE_LABELS[int(i)] for i in pred]

    def topic_labels(self, articles: Sequence[ArticleText]) -> list[list[str]]:
        if not articles:
            return []
        x = self.vectoriser.transform([_text(a) for a in articles])
        proba = np.zeros((x.shape[0], len(TOPIC_LABELS)))
        for j, model in enumerate(self.topics):
            if model is not None:
                proba[:, j] = model.predict_proba(x)[:, 1]
        thresholds = np.full(len(TOPIC_LABELS), 0.5)
        return [[TOPIC_LABELS[j] for j in pick_topics(row, thresholds)] for row in proba]


def fit_baseline(train: Sequence[Example]) -> Baseline:
    vectoriser = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=200_000
    )
    texts = [_text(ArticleText(e.title, e.text)) for e in train]
    x = vectoriser.fit_transform(texts)
    tone_rows = np.array([e.tone is not None for e in train])
    y = np.array([TONE_LABELS.index(e.tone) for e in train if e.tone is not None])
    tone = LogisticRegression(max_iter=1000).fit(x[tone_rows], y)
    topic_rows = np.array([e.topics is not None for e in train])
    ty: npt.NDArray[np.bool_] = np.array(
        [[t in (e.topics or ()) for t in TOPIC_LABELS] for e in train if e.topics is not None]
    )
    topics = tuple(
        LogisticRegression(max_iter=1000).fit(x[topic_rows], ty[:, j])
        if 0 < ty[:, j].sum() < len(ty)
        else None
        for j in range(len(TOPIC_LABELS))
    )
    return Baseline(vectoriser, tone, topics)
