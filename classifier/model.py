"""The article tagger: sentence tone + document tone -> stacked article tone, topics, evidence.

`DetenteTagger` satisfies `ArticleClassifier`. All the learned state lives in `TaggerParts`
(plain scikit-learn estimators and arrays, which is what the artifact stores); inference is a
fixed sequence of batch array operations, then one small loop that builds the frozen values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression, Ridge

from classifier.aggregation import (
    DE,
    ESC,
    NEU,
    article_features,
    position_weights,
    segment_sum,
)
from classifier.article_features import ArticleBatch, featurise
from classifier.features import Vocabulary
from classifier.prediction import ArticleText, Evidence, ModelInfo, Prediction, Tone, TopicScore
from classifier.taxonomy import GOLDSTEIN_MAX, OTHER, TONE_LABELS, TOPIC_LABELS

__all__ = ["MAX_EVIDENCE", "MAX_TOPICS", "BatchScores", "DetenteTagger", "TaggerParts", "pick_topics"]

FloatArray = npt.NDArray[np.float64]

MAX_TOPICS: Final = 3
MAX_EVIDENCE: Final = 3
_OTHER_INDEX: Final = TOPIC_LABELS.index(OTHER)
# A sentence must lean this far towards the article's label to be shown as evidence for it.
_EVIDENCE_MIN_PROB: Final = 0.34


@dataclass(frozen=True)
class TaggerParts:
    vocab: Vocabulary
    idf: FloatArray
    sentence_tone: LogisticRegression
    sentence_score: Ridge
    doc_tone: LogisticRegression
    stacker: LogisticRegression
    topic_coef: npt.NDArray[np.float32]  # (n_features, n_topics)
    topic_intercept: FloatArray  # (n_topics,)
    topic_thresholds: FloatArray  # (n_topics,)


@dataclass(frozen=True)
class BatchScores:
    """Everything inference computes, before it is turned into `Prediction` values."""

    batch: ArticleBatch
    p_sent: FloatArray
    sent_score: FloatArray  # signed, Goldstein-like, per sentence
    tone_proba: FloatArray  # (n_articles, 3) in TONE_LABELS order
    score: FloatArray  # (n_articles,)
    topic_proba: FloatArray  # (n_articles, n_topics)


def _proba3(model: LogisticRegression, x: object) -> FloatArray:
    """Probabilities in TONE_LABELS column order whatever order the model learnt them in."""
    raw = model.predict_proba(x)
    out = np.zeros((raw.shape[0], 3))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = raw
    return out


def _signed(p: FloatArray, magnitude_esc: FloatArray, magnitude_de: FloatArray) -> FloatArray:
    """Expected Goldstein score: sign from the tone probabilities, size from the regressor."""
    return np.clip(p[:, DE] * magnitude_de - p[:, ESC] * magnitude_esc, -GOLDSTEIN_MAX, GOLDSTEIN_MAX)


def pick_topics(proba: FloatArray, thresholds: FloatArray) -> list[int]:
    """1..3 topic indices, best first; `other` only ever alone."""
    order = np.argsort(-proba, kind="stable")
    chosen = [int(j) for j in order if proba[j] >= thresholds[j]][:MAX_TOPICS]
    if not chosen:
        chosen = [int(order[0])]
    if chosen[0] == _OTHER_INDEX:
        return [_OTHER_INDEX]
    rest = [j for j in chosen if j != _OTHER_INDEX]
    return rest


@dataclass(frozen=True)
class DetenteTagger:
    parts: TaggerParts
    model_info: ModelInfo
    _topic_coef64: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_topic_coef64", self.parts.topic_coef.astype(np.float64))

    @property
    def info(self) -> ModelInfo:
        return self.model_info

    def score_batch(self, articles: Sequence[ArticleText]) -> BatchScores:
        parts = self.parts
        batch = featurise(articles, parts.vocab, parts.idf)
        p_sent = _proba3(parts.sentence_tone, batch.sentence_x)
        magnitude = np.clip(np.abs(parts.sentence_score.predict(batch.sentence_x)), 1.0, 10.0)
        sent_score = _signed(p_sent, magnitude, magnitude)
        p_doc = _proba3(parts.doc_tone, batch.doc_x)
        feats = article_features(p_sent, sent_score, batch.position, batch.starts, p_doc)
        tone_proba = _proba3(parts.stacker, feats)
        # Article magnitude: the regressor's size on the sentences that lean each way.
        w = position_weights(batch.position)
        mags = []
        for col in (ESC, DE):
            weight = w * p_sent[:, col]
            num = segment_sum(weight * magnitude, batch.starts)
            mags.append(np.where(num > 0, num / np.maximum(segment_sum(weight, batch.starts), 1e-9), 5.0))
        score = _signed(tone_proba, mags[0], mags[1])
        logits = np.asarray(batch.doc_x @ self._topic_coef64) + parts.topic_intercept
        topic_proba = 1.0 / (1.0 + np.exp(-logits))
        return BatchScores(batch, p_sent, sent_score, tone_proba, score, topic_proba)

    def classify(self, articles: Sequence[ArticleText]) -> list[Prediction]:
        if not articles:
            return []
        s = self.score_batch(articles)
        labels = s.tone_proba.argmax(axis=1)
        sent_labels = s.p_sent.argmax(axis=1)
        w = position_weights(s.batch.position)
        out = []
        for i in range(len(articles)):
            label = int(labels[i])
            probs = s.tone_proba[i]
            tone = Tone(
                label=TONE_LABELS[label],
                score=float(round(s.score[i], 3)),
                confidence=float(probs[label]),
                probabilities={name: float(p) for name, p in zip(TONE_LABELS, probs, strict=True)},
            )
            topics = tuple(
                TopicScore(TOPIC_LABELS[j], float(s.topic_proba[i, j]))
                for j in pick_topics(s.topic_proba[i], self.parts.topic_thresholds)
            )
            out.append(Prediction(topics, tone, self._evidence(s, i, label, sent_labels, w)))
        return out

    def _evidence(
        self,
        s: BatchScores,
        i: int,
        label: int,
        sent_labels: npt.NDArray[np.int64],
        w: FloatArray,
    ) -> tuple[Evidence, ...]:
        lo, hi = int(s.batch.starts[i]), int(s.batch.starts[i + 1])
        if hi == lo:
            return ()
        p = s.p_sent[lo:hi, label]
        strength = p * w[lo:hi]
        order = np.argsort(-strength, kind="stable")[:MAX_EVIDENCE]
        picked = [int(j) for j in order if p[j] >= _EVIDENCE_MIN_PROB or label == NEU]
        return tuple(
            Evidence(
                text=s.batch.sentences[lo + j],
                tone=TONE_LABELS[int(sent_labels[lo + j])],
                score=float(round(s.sent_score[lo + j], 3)),
            )
            for j in picked
        )
