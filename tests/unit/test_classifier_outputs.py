"""Invariants of every prediction of the committed model (loaded once by the `tagger` fixture)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.model import MAX_EVIDENCE, DetenteTagger, choose_topics, pick_topics
from classifier.prediction import ArticleClassifier, ArticleText, Prediction
from classifier.taxonomy import GOLDSTEIN_MAX, GOLDSTEIN_MIN, OTHER, TONE_LABELS, TOPIC_LABELS

# Written for these tests: a spread of subjects, lengths and awkward inputs.
ARTICLES = [
    ArticleText("Striker's late goal seals cup win", "The home side won 2-1. Fans celebrated."),
    ArticleText(
        "Troops shell border villages",
        "Artillery hit three villages overnight, "
        "killing four people. The army said it was responding to an attack.",
    ),
    ArticleText(
        "Envoys agree to reopen embassies",
        "The two governments agreed on Monday to "
        "restore diplomatic relations and exchange ambassadors next month.",
    ),
    ArticleText("", "Quarterly profit rose 12% on strong sales, the company said."),
    ArticleText("Only a headline, no body", ""),
    ArticleText("", ""),
    ArticleText("Ünïcödé — “quotes” and émojis 🚀", "Ça va? Très bien! 3.5% growth in Q3."),
    ArticleText("Long", " ".join(["Officials met again on Tuesday to discuss the plan."] * 200)),
]


@pytest.fixture(scope="module")
def predictions(tagger: ArticleClassifier) -> list[Prediction]:
    return tagger.classify(ARTICLES)


def test_one_prediction_per_article_in_order(
    tagger: ArticleClassifier, predictions: list[Prediction]
) -> None:
    assert len(predictions) == len(ARTICLES)
    assert tagger.classify([]) == []
    again = tagger.classify(ARTICLES[1:3])
    for alone, in_batch in zip(again, predictions[1:3], strict=True):
        # Batch composition does not change a prediction (beyond float rounding).
        assert alone.topics == in_batch.topics
        assert alone.evidence == in_batch.evidence
        assert alone.tone.label == in_batch.tone.label
        assert alone.tone.score == pytest.approx(in_batch.tone.score, abs=1e-6)


def test_topics_are_one_to_three_known_best_first_and_other_alone(
    predictions: list[Prediction],
) -> None:
    for p in predictions:
        labels = [t.label for t in p.topics]
        assert 1 <= len(labels) <= 3
        assert len(set(labels)) == len(labels)
        assert all(label in TOPIC_LABELS for label in labels)
        assert OTHER not in labels or labels == [OTHER]
        assert all(0.0 <= t.score <= 1.0 for t in p.topics)


def test_tone_probabilities_sum_to_one_and_agree_with_label(predictions: list[Prediction]) -> None:
    for p in predictions:
        assert set(p.tone.probabilities) == set(TONE_LABELS)
        assert math.isclose(sum(p.tone.probabilities.values()), 1.0, abs_tol=1e-9)
        assert p.tone.label == max(p.tone.probabilities, key=p.tone.probabilities.__getitem__)
        assert p.tone.confidence == p.tone.probabilities[p.tone.label]


def test_score_is_in_range_and_its_sign_follows_the_tone(predictions: list[Prediction]) -> None:
    for p in predictions:
        assert GOLDSTEIN_MIN <= p.tone.score <= GOLDSTEIN_MAX
        if p.tone.label == "escalation":
            assert p.tone.score < 0
        if p.tone.label == "de-escalation":
            assert p.tone.score > 0


def test_evidence_is_at_most_three_sentences_of_the_article(predictions: list[Prediction]) -> None:
    for article, p in zip(ARTICLES, predictions, strict=True):
        assert len(p.evidence) <= MAX_EVIDENCE
        for e in p.evidence:
            assert e.text
            assert e.text in article.body or e.text in article.title
            assert e.tone in TONE_LABELS
            assert GOLDSTEIN_MIN <= e.score <= GOLDSTEIN_MAX


def test_empty_article_gets_a_neutral_fallback(predictions: list[Prediction]) -> None:
    empty = predictions[5]
    assert empty.evidence == ()
    assert len(empty.topics) == 1


def test_clear_cases(predictions: list[Prediction]) -> None:
    assert predictions[0].tone.label == "neutral"
    assert predictions[1].tone.label == "escalation"
    assert predictions[2].tone.label == "de-escalation"
    assert predictions[0].topics[0].label == OTHER


def test_model_info(tagger: ArticleClassifier) -> None:
    assert tagger.info.name == "detente-tagger"
    assert tagger.info.version


def test_choose_topics_rules() -> None:
    other = TOPIC_LABELS.index(OTHER)
    margins = [-1.0] * len(TOPIC_LABELS)
    assert choose_topics(margins) == [int(np.argmax(margins))]  # nothing clears: the best one
    margins[0], margins[3], margins[4], margins[5] = 2.0, 3.0, 0.5, 0.1
    assert choose_topics(margins) == [3, 0, 4]  # at most three, best first
    margins[other] = 5.0
    assert choose_topics(margins) == [other]  # `other` first: alone
    margins[other] = 1.0
    assert other not in choose_topics(margins)  # `other` later: dropped
    cover = [-1.0] * len(TOPIC_LABELS)
    cover[7] = 4.0
    cover[other] = 9.0
    doc_only = [-1.0] * len(TOPIC_LABELS)
    doc_only[3] = 0.2
    assert choose_topics(doc_only, cover) == [3, 7]  # document topics first, never cover `other`
    doc_none = [-1.0] * len(TOPIC_LABELS)
    doc_none[2] = -0.5
    assert choose_topics(doc_none, cover) == [2, 7]  # a sentence never makes the primary topic


def test_pick_topics_compares_each_topic_with_its_own_threshold() -> None:
    proba = np.full(len(TOPIC_LABELS), 0.1)
    thresholds = np.full(len(TOPIC_LABELS), 0.5)
    proba[0], thresholds[0] = 0.9, 0.85  # higher probability, barely over its threshold
    proba[1], thresholds[1] = 0.6, 0.2  # lower probability, far over its threshold
    assert pick_topics(proba, thresholds) == [1, 0]


def test_a_one_sentence_text_takes_the_sentence_models_tone(tagger: ArticleClassifier) -> None:
    # Single sentences are read by the sentence model, articles by the stacker over all models.
    assert isinstance(tagger, DetenteTagger)
    texts = [
        ArticleText("", "Rebels demanded a truce after the army suspended military aid."),
        ARTICLES[2],
    ]
    scores = tagger.score_batch(texts)
    sentence_row = int(scores.batch.starts[0])
    assert scores.tone_proba[0] == pytest.approx(scores.p_sent[sentence_row])
    # A headline and a body sentence are two rows: the stacker decides, not one sentence.
    assert int(np.diff(scores.batch.starts)[1]) == 2
    assert scores.tone_proba[1] != pytest.approx(scores.p_sent[int(scores.batch.starts[1])])
