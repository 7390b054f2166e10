"""The article tagger: sentence tone + document tone -> article tone, topics, evidence.

Whole articles (ARTICLE_MIN_ROWS or more rows: headline and sentences) are read by the article
level (`classifier.article_level`), fitted on real labelled articles. Shorter texts keep the
corpus-fitted reading: a one-sentence text takes the sentence model's tone, a brief or an event
note of a few sentences the stacker's (fitted on such texts); both take the corpus topic model's
topics. The labelled articles all have 7 rows or more; event notes and briefs in the corpora
rarely reach 5 (dev: 0.4 % of ACLED notes, 8.5 % of RAND summaries).

`DetenteTagger` satisfies `ArticleClassifier`. All the learned state lives in `TaggerParts`:
arrays, and linear models that are scikit-learn estimators when just trained and their array
twins (`classifier.linear`) when loaded for serving. Inference is a fixed sequence of batch
array operations, then one small loop that builds the frozen values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Final

import numpy as np
import numpy.typing as npt

from classifier.aggregation import (
    DE,
    ESC,
    NEU,
    article_features,
    position_weights,
    segment_max,
    segment_sum,
)
from classifier.article_features import ArticleBatch, featurise
from classifier.article_level import (
    ArticleInputs,
    agreed_primary,
    article_inputs,
    tempered,
    tone_design,
    topic_design,
)
from classifier.features import Vocabulary
from classifier.linear import ProbabilisticClassifier, Regressor
from classifier.prediction import ArticleText, Evidence, ModelInfo, Prediction, Tone, TopicScore
from classifier.taxonomy import GOLDSTEIN_MAX, OTHER, TONE_LABELS, TOPIC_LABELS

__all__ = [
    "ARTICLE_MIN_ROWS",
    "COVER_MIN_PROBABILITY",
    "MAX_EVIDENCE",
    "MAX_TOPICS",
    "BatchScores",
    "DetenteTagger",
    "TaggerParts",
    "choose_topics",
    "cover_thresholds",
    "magnitudes",
    "pick_topics",
    "proba_in_tone_order",
    "signed_score",
    "topic_margins",
    "topic_probabilities",
]

FloatArray = npt.NDArray[np.float64]

MAX_TOPICS: Final = 3
# Texts with at least this many rows (headline + sentences) are read as whole articles.
ARTICLE_MIN_ROWS: Final = 5
MAX_EVIDENCE: Final = 3
_OTHER_INDEX: Final = TOPIC_LABELS.index(OTHER)
# A sentence must lean this far towards the article's label to be shown as evidence for it.
_EVIDENCE_MIN_PROB: Final = 0.34
# Bylines, "Follow", photo credits: too short to explain anything, skipped while longer exist.
_EVIDENCE_MIN_CHARS: Final = 30
_DEFAULT_MAGNITUDE: Final = 5.0  # an article with no sentence leaning either way
# One sentence must be at least this sure of a topic to add it as a secondary topic.
COVER_MIN_PROBABILITY: Final = 0.75


@dataclass(frozen=True)
class TaggerParts:
    vocab: Vocabulary
    idf: FloatArray
    sentence_tone: ProbabilisticClassifier
    magnitude_escalation: Regressor  # |Goldstein score| of a sentence, were it escalation
    magnitude_deescalation: Regressor  # ... were it de-escalation
    doc_tone: ProbabilisticClassifier
    stacker: ProbabilisticClassifier  # short texts (2 .. ARTICLE_MIN_ROWS - 1 rows)
    topic_coef: npt.NDArray[np.float32]  # (n_features, n_topics)
    topic_intercept: FloatArray  # (n_topics,)
    topic_thresholds: FloatArray  # (n_topics,)
    # The article level, fitted on labelled real articles (classifier.article_level).
    article_tone: ProbabilisticClassifier
    article_topic: ProbabilisticClassifier  # classes are TOPIC_LABELS indices
    article_agg_center: FloatArray  # (2, N_AGG)
    article_topic_center: FloatArray  # (2, 2 * n_topics)
    article_temperature: FloatArray  # (1,)


@dataclass(frozen=True)
class BatchScores:
    """Everything inference computes, before it is turned into `Prediction` values."""

    batch: ArticleBatch
    p_sent: FloatArray
    sent_score: FloatArray  # signed, Goldstein-like, per sentence
    tone_proba: FloatArray  # (n_articles, 3) in TONE_LABELS order
    score: FloatArray  # (n_articles,)
    topic_proba: FloatArray  # (n_articles, n_topics), whole-document model
    topic_cover: FloatArray  # (n_articles, n_topics), best substantive sentence
    primary_proba: FloatArray  # (n_articles, n_topics), the article level's; 0 for short texts
    single: npt.NDArray[np.int64]  # articles of one sentence (sentence-level reading)
    inputs: ArticleInputs  # what the article level read (training fits on these)


def proba_in_tone_order(model: ProbabilisticClassifier, x: object) -> FloatArray:
    """Probabilities in TONE_LABELS column order whatever order the model learnt them in."""
    n_rows = int(x.shape[0])  # type: ignore[attr-defined]
    if n_rows == 0:  # scikit-learn refuses empty input; an empty batch has no sentences
        return np.zeros((0, 3))
    raw = model.predict_proba(x)
    out = np.zeros((raw.shape[0], 3))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = raw
    return out


def magnitudes(parts: TaggerParts, x: object) -> tuple[FloatArray, FloatArray]:
    """Per-sentence intensity (1..10) of the escalation and of the de-escalation reading."""
    if int(x.shape[0]) == 0:  # type: ignore[attr-defined]
        return np.zeros(0), np.zeros(0)
    esc = np.clip(parts.magnitude_escalation.predict(x), 1.0, GOLDSTEIN_MAX)
    de = np.clip(parts.magnitude_deescalation.predict(x), 1.0, GOLDSTEIN_MAX)
    return np.asarray(esc, dtype=np.float64), np.asarray(de, dtype=np.float64)


def signed_score(p: FloatArray, magnitude_esc: FloatArray, magnitude_de: FloatArray) -> FloatArray:
    """Expected Goldstein score: sign from the tone probabilities, size from the regressor."""
    return np.clip(
        p[:, DE] * magnitude_de - p[:, ESC] * magnitude_esc, -GOLDSTEIN_MAX, GOLDSTEIN_MAX
    )


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.log(q / (1.0 - q)))


def topic_margins(proba: FloatArray, thresholds: FloatArray) -> FloatArray:
    """How far each probability clears its topic's threshold, in logits (>= 0: chosen)."""
    return _logit(proba) - _logit(thresholds)


def choose_topics(
    margin: Sequence[float],
    cover_margin: Sequence[float] | None = None,
    primary: int | None = None,
) -> list[int]:
    """1..3 topic indices, best first; `other` only ever alone.

    `margin` is the whole-document model's (>= 0: the topic clears its threshold). The primary
    topic is `primary` when the article level chose one; otherwise it comes from the document:
    the best topic that clears, or failing any, the nearest to clearing. Other document topics
    that clear follow, ranked by how far they clear their own threshold, not by raw
    probability: class weighting inflates rare topics' probabilities and their higher
    thresholds are what corrects for it. Last come topics only
    one substantive sentence is confidently about (`cover_margin` >= 0): a diplomatic story
    recalling air strikes is also about armed conflict.
    """
    order = sorted(range(len(margin)), key=lambda j: -margin[j])
    chosen = [j for j in order if margin[j] >= 0.0] or order[:1]
    if primary is not None:
        chosen = [primary, *(j for j in chosen if j != primary)]
    if chosen[0] == _OTHER_INDEX:
        return [_OTHER_INDEX]
    if cover_margin is not None:
        extra = sorted(range(len(cover_margin)), key=lambda j: -cover_margin[j])
        chosen += [j for j in extra if cover_margin[j] >= 0.0 and j not in chosen]
    return [j for j in chosen if j != _OTHER_INDEX][:MAX_TOPICS]


def pick_topics(
    proba: FloatArray, thresholds: FloatArray, cover: FloatArray | None = None
) -> list[int]:
    """`choose_topics` for one article given probabilities rather than margins."""
    cover_margin = None if cover is None else topic_margins(cover, cover_thresholds(thresholds))
    return choose_topics(
        topic_margins(proba, thresholds).tolist(),
        None if cover_margin is None else cover_margin.tolist(),
    )


def cover_thresholds(thresholds: FloatArray) -> FloatArray:
    """The bar one sentence must clear to add a secondary topic: its topic's threshold, and
    at least COVER_MIN_PROBABILITY, since one sentence is weaker evidence than a document."""
    return np.maximum(thresholds, COVER_MIN_PROBABILITY)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0))))


def topic_probabilities(
    batch: ArticleBatch, coef: FloatArray, intercept: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per article: the document model's topic probabilities, and the highest probability any
    substantive sentence reaches (0 when there is none). Articles cover secondary topics in a
    few sentences that the whole-document vector dilutes."""
    doc = _sigmoid(np.asarray(batch.doc_x @ coef) + intercept)
    sent = _sigmoid(np.asarray(batch.sentence_x @ coef) + intercept)
    sent[~batch.substantive] = 0.0
    return doc, segment_max(sent, batch.starts)


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
        p_sent = proba_in_tone_order(parts.sentence_tone, batch.sentence_x)
        mag_esc, mag_de = magnitudes(parts, batch.sentence_x)
        sent_score = signed_score(p_sent, mag_esc, mag_de)
        p_doc = proba_in_tone_order(parts.doc_tone, batch.doc_x)
        feats = article_features(p_sent, sent_score, batch.position, batch.starts, p_doc)
        topic_proba, topic_cover = topic_probabilities(
            batch, self._topic_coef64, parts.topic_intercept
        )
        inputs = article_inputs(batch, p_sent, feats, topic_proba, topic_cover)
        tone_proba = proba_in_tone_order(parts.stacker, feats)
        primary_proba = np.zeros_like(topic_proba)
        whole = np.flatnonzero(np.diff(batch.starts) >= ARTICLE_MIN_ROWS)
        if len(whole):
            tone_x = tone_design(inputs, parts.article_agg_center)[whole]
            tone_proba[whole] = tempered(
                proba_in_tone_order(parts.article_tone, tone_x),
                float(parts.article_temperature[0]),
            )
            topic_x = topic_design(inputs, parts.article_topic_center)[whole]
            primary_proba[whole] = agreed_primary(
                _topic_order(parts.article_topic, topic_x), topic_proba[whole]
            )
        # A one-sentence text (a headline alone, a brief, one quoted sentence) has no article
        # structure to weigh: the sentence model, fitted on such texts, reads it better than a
        # model fitted for articles (1.1.0 dev: ConfliBERT polarity 0.818 -> 0.854, 3-class dev
        # sentences 0.861 -> 0.864, calibration error 0.021 -> 0.017; articles unchanged).
        single = np.flatnonzero(np.diff(batch.starts) == 1)
        tone_proba[single] = p_sent[batch.starts[single]]
        # Article magnitude: the regressor's size on the sentences that lean each way.
        w = position_weights(batch.position)
        mags = []
        for col, magnitude in ((ESC, mag_esc), (DE, mag_de)):
            weight = w * p_sent[:, col]
            total = segment_sum(weight, batch.starts)
            mean = segment_sum(weight * magnitude, batch.starts) / np.maximum(total, 1e-9)
            mags.append(np.where(total > 0, mean, _DEFAULT_MAGNITUDE))
        score = signed_score(tone_proba, mags[0], mags[1])
        return BatchScores(
            batch,
            p_sent,
            sent_score,
            tone_proba,
            score,
            topic_proba,
            topic_cover,
            primary_proba,
            single,
            inputs,
        )

    def classify(self, articles: Sequence[ArticleText]) -> list[Prediction]:
        if not articles:
            return []
        s = self.score_batch(articles)
        thresholds = self.parts.topic_thresholds
        margins = topic_margins(s.topic_proba, thresholds).tolist()
        cover_margins = topic_margins(s.topic_cover, cover_thresholds(thresholds)).tolist()
        best_topic = np.maximum(s.topic_proba, s.topic_cover)
        primary = s.primary_proba.argmax(axis=1)
        primary_score = s.primary_proba.max(axis=1)
        whole = primary_score > 0.0  # only whole articles have article-level topics
        rows = np.flatnonzero(whole)
        best_topic[rows, primary[rows]] = primary_score[rows]
        best_topic_rows = best_topic.tolist()
        primaries: list[int | None] = [
            p if w else None for w, p in zip(whole.tolist(), primary.tolist(), strict=True)
        ]
        labels = s.tone_proba.argmax(axis=1)
        evidence = _evidence_rows(s, labels)
        sentences = s.batch.sentences
        sent_tone = [TONE_LABELS[j] for j in s.p_sent.argmax(axis=1).tolist()]
        sent_score = np.round(s.sent_score, 3).tolist()
        probs = s.tone_proba.tolist()
        scores = np.round(s.score, 3).tolist()
        out = []
        for i, label in enumerate(labels.tolist()):
            tone = Tone(
                label=TONE_LABELS[label],
                score=scores[i],
                confidence=probs[i][label],
                probabilities=dict(zip(TONE_LABELS, probs[i], strict=True)),
            )
            topics = tuple(
                TopicScore(TOPIC_LABELS[j], best_topic_rows[i][j])
                for j in choose_topics(margins[i], cover_margins[i], primaries[i])
            )
            proofs = tuple(Evidence(sentences[r], sent_tone[r], sent_score[r]) for r in evidence[i])
            out.append(Prediction(topics, tone, proofs))
        return out


def _topic_order(model: ProbabilisticClassifier, x: object) -> FloatArray:
    """Primary-topic probabilities in TOPIC_LABELS column order (absent classes stay 0)."""
    n_rows = int(x.shape[0])  # type: ignore[attr-defined]
    out = np.zeros((n_rows, len(TOPIC_LABELS)))
    if n_rows:
        out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(x)
    return out


def _evidence_rows(s: BatchScores, labels: npt.NDArray[np.int64]) -> list[list[int]]:
    """Per article, up to MAX_EVIDENCE sentence rows that lean most towards its label,
    weighting the headline and lead up and skipping lines too short to explain anything."""
    batch = s.batch
    rows = np.arange(len(batch.sentences))
    row_label = labels[batch.doc_of]
    p = s.p_sent[rows, row_label] if len(rows) else np.zeros(0)
    substantive = np.fromiter(
        (len(t) >= _EVIDENCE_MIN_CHARS for t in batch.sentences), dtype=bool, count=len(rows)
    )
    strength = p * position_weights(batch.position) * np.where(substantive, 1.0, 1e-3)
    eligible = ((p >= _EVIDENCE_MIN_PROB) | (row_label == NEU)).tolist()
    order = np.lexsort((-strength, batch.doc_of)).tolist()
    starts = batch.starts.tolist()
    return [
        [r for r in order[lo : min(hi, lo + MAX_EVIDENCE)] if eligible[r]]
        for lo, hi in pairwise(starts)
    ]
