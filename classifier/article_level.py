"""The article level: how sentence readings and document features become an article's tone and
primary topic, with weights fitted on real labelled articles (`classifier.training.article_fit`;
the fitted parts live in `classifier.model.TaggerParts`).

Inputs, all from the one featurisation the rest of the tagger uses:

* `agg`: the corpus-trained models' reading of the article (the 16 stacker features, the
  headline's and the first two body sentences' tone probabilities), as log-odds, standardised;
* `lead`: the headline (x2) and the first two body sentences as one tf-idf row, because the tone
  is that of the main development, which news states there;
* `doc`: the whole article's tf-idf row.

Tone is a multinomial logistic regression on [agg | lead | doc] whose probabilities are divided
by a temperature fitted on out-of-fold articles (calibration that keeps the arg-max). The primary
topic is a multinomial logistic regression on the corpus topic model's log-odds (document and best
sentence) and the document row, whose probabilities are combined with the corpus topic model's
(`agreed_primary`). Everything is a few sparse products per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from classifier.article_features import ArticleBatch

__all__ = [
    "AGG_BLOCK_WEIGHT",
    "LEAD_HEADLINE_WEIGHT",
    "LEAD_LAST_POSITION",
    "N_AGG",
    "PRIMARY_AGREEMENT_WEIGHT",
    "TOPIC_BLOCK_WEIGHT",
    "ArticleInputs",
    "agreed_primary",
    "article_inputs",
    "logit",
    "tempered",
    "tone_design",
    "topic_design",
]

FloatArray = npt.NDArray[np.float64]

LEAD_LAST_POSITION: Final = 2  # headline (0) and body sentences 1 and 2
LEAD_HEADLINE_WEIGHT: Final = 2.0
# Block weights against the unit-length tf-idf rows (chosen by grouped CV, models/article_cv.json).
AGG_BLOCK_WEIGHT: Final = 0.3
TOPIC_BLOCK_WEIGHT: Final = 0.3
# The labelled articles' topic mix is US politics and crime heavy (armed_conflict is the primary
# topic of 33 of 1,251): fitted there alone, the primary-topic model called an exchange of fire
# between two armies crime_justice and a central bank's rate decision crime_justice. Its
# probabilities are multiplied by the corpus topic model's (fitted on far more varied text) raised
# to this weight. Chosen by `classifier.training.primary_topic_check` (its report is
# models/primary_topic_check.json): among the combinations whose grouped-CV primary topic on the
# labelled articles stays within one SD of the article level alone's, the best on other outlets'
# documents.
PRIMARY_AGREEMENT_WEIGHT: Final = 1.0
_HEAD_POSITIONS: Final = (0, 1, 2)
N_AGG: Final = 16 + 3 * len(_HEAD_POSITIONS)
_PROBABILITY_COLUMNS: Final = 15  # of the 16 stacker features; the 16th is a score


def logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-4, 1.0 - 1e-4)
    return np.asarray(np.log(q / (1.0 - q)))


@dataclass(frozen=True)
class ArticleInputs:
    agg: FloatArray  # (n, N_AGG) raw log-odds, not yet standardised
    lead: sp.csr_matrix
    doc: sp.csr_matrix
    topic_logits: FloatArray  # (n, 2 * n_topics): document model, best sentence


def _position_probabilities(p_sent: FloatArray, batch: ArticleBatch, position: int) -> FloatArray:
    """Tone probabilities of each article's sentence at `position` (neutral when absent)."""
    n = len(batch.starts) - 1
    out = np.zeros((n, 3))
    out[:, 2] = 1.0
    rows = np.flatnonzero(batch.position == position)
    out[batch.doc_of[rows]] = p_sent[rows]
    return out


def _lead(batch: ArticleBatch) -> sp.csr_matrix:
    n = len(batch.starts) - 1
    keep = batch.position <= LEAD_LAST_POSITION
    weights = np.where(batch.position == 0, LEAD_HEADLINE_WEIGHT, 1.0)[keep]
    assign = sp.csr_matrix(
        (weights, (batch.doc_of[keep], np.flatnonzero(keep))), shape=(n, len(batch.position))
    )
    lead = sp.csr_matrix(assign @ batch.sentence_x)
    squares = lead.multiply(lead).sum(axis=1)
    norms = np.sqrt(np.asarray(squares, dtype=np.float64).ravel())
    norms[norms == 0.0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ lead)


def article_inputs(
    batch: ArticleBatch,
    p_sent: FloatArray,
    stack_features: FloatArray,
    topic_proba: FloatArray,
    topic_cover: FloatArray,
) -> ArticleInputs:
    heads = [logit(_position_probabilities(p_sent, batch, k)) for k in _HEAD_POSITIONS]
    agg = np.hstack(
        [
            logit(stack_features[:, :_PROBABILITY_COLUMNS]),
            stack_features[:, _PROBABILITY_COLUMNS:],
            *heads,
        ]
    )
    topics = np.hstack([logit(topic_proba), logit(topic_cover)])
    return ArticleInputs(agg, _lead(batch), batch.doc_x, topics)


def _centred(x: FloatArray, center: FloatArray, weight: float) -> sp.csr_matrix:
    return sp.csr_matrix((x - center[0]) / center[1] * weight)


def tone_design(inputs: ArticleInputs, agg_center: FloatArray) -> sp.csr_matrix:
    """The tone model's input rows: [agg | lead | doc]."""
    agg = _centred(inputs.agg, agg_center, AGG_BLOCK_WEIGHT)
    return sp.hstack([agg, inputs.lead, inputs.doc], format="csr")


def topic_design(inputs: ArticleInputs, topic_center: FloatArray) -> sp.csr_matrix:
    """The primary-topic model's input rows: [topic log-odds | doc]."""
    topics = _centred(inputs.topic_logits, topic_center, TOPIC_BLOCK_WEIGHT)
    return sp.hstack([topics, inputs.doc], format="csr")


def tempered(proba: FloatArray, temperature: float) -> FloatArray:
    """Probabilities sharpened or flattened by 1/temperature (the arg-max never moves)."""
    if len(proba) == 0:
        return proba
    z = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    out = np.exp(z)
    out /= out.sum(axis=1, keepdims=True)
    return np.asarray(out)


def agreed_primary(
    primary_proba: FloatArray, corpus_proba: FloatArray, weight: float = PRIMARY_AGREEMENT_WEIGHT
) -> FloatArray:
    """The article level's primary-topic probabilities times the corpus document model's raised
    to `weight` (a product of experts), renormalised: a topic both models find likely wins."""
    z = np.log(np.clip(primary_proba, 1e-9, 1.0))
    z = z + weight * np.log(np.clip(corpus_proba, 1e-4, 1.0))
    z -= z.max(axis=1, keepdims=True)
    out = np.exp(z)
    return np.asarray(out / out.sum(axis=1, keepdims=True))
