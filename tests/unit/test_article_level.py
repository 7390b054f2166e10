"""The article level's inputs and calibration, and topic choice with a primary topic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier.article_features import featurise
from classifier.article_level import (
    LEAD_HEADLINE_WEIGHT,
    _lead,
    agreed_primary,
    article_inputs,
    tempered,
)
from classifier.features import count_matrix, fit_vocabulary, vocabulary_idf
from classifier.model import choose_topics
from classifier.prediction import ArticleClassifier, ArticleText
from classifier.taxonomy import OTHER, TOPIC_LABELS
from classifier.training.article_fit import fit_temperature, grouped_folds
from classifier.training.labelled_articles import read_vocabulary_articles
from tests.unit.article_fixtures import tiny_labelled

_TEXTS = [
    ArticleText("Rebels shelled the town", "Troops attacked. Talks were held. Fans sang. Rain."),
    ArticleText("", "Ministers met. They signed a deal."),
]


def _batch():  # type: ignore[no-untyped-def]
    words = [f"{a.title} {a.body}" for a in _TEXTS]
    vocab = fit_vocabulary(words * 2, min_df=1)
    idf = vocabulary_idf(vocab, count_matrix(vocab, words))
    return featurise(_TEXTS, vocab, idf), vocab


def test_the_lead_row_is_the_headline_twice_and_two_sentences_unit_length() -> None:
    batch, vocab = _batch()
    lead = _lead(batch).toarray()
    assert np.allclose(np.linalg.norm(lead, axis=1), 1.0)
    rows = batch.sentence_x.toarray()
    first = LEAD_HEADLINE_WEIGHT * rows[0] + rows[1] + rows[2]  # headline, sentences 1 and 2
    assert np.allclose(lead[0], first / np.linalg.norm(first))
    fans = vocab.index[b"fans"]
    assert lead[0, fans] == 0.0  # the third body sentence is not lead
    no_title = rows[5] + rows[6]  # no headline: body sentences 1 and 2
    assert np.allclose(lead[1], no_title / np.linalg.norm(no_title))


def test_inputs_have_one_row_per_article_and_neutral_defaults_for_absent_sentences() -> None:
    batch, _ = _batch()
    n_rows = len(batch.position)
    p_sent = np.tile([0.2, 0.1, 0.7], (n_rows, 1))
    stack = np.full((2, 16), 0.5)
    topics = np.full((2, len(TOPIC_LABELS)), 0.5)
    inputs = article_inputs(batch, p_sent, stack, topics, topics)
    assert inputs.agg.shape == (2, 25)
    assert inputs.lead.shape[0] == inputs.doc.shape[0] == 2
    # The second article has no headline: its position-0 probabilities are the neutral default.
    assert inputs.agg[1, 16:19] == pytest.approx(np.log([1e-4 / (1 - 1e-4)] * 2 + [1e4 - 1]))


def test_temperature_keeps_the_label_and_fits_over_confidence() -> None:
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    for t in (0.5, 2.0):
        assert (tempered(proba, t).argmax(axis=1) == proba.argmax(axis=1)).all()
        assert np.allclose(tempered(proba, t).sum(axis=1), 1.0)
    # Confident and right half the time: the fitted temperature flattens the probabilities.
    confident = np.tile([[0.98, 0.01, 0.01]], (200, 1))
    truth = np.array([0, 1] * 100)
    assert fit_temperature(confident, truth) > 1.5


def test_a_primary_topic_leads_and_other_stays_alone() -> None:
    margin = [-1.0] * len(TOPIC_LABELS)
    diplomacy = TOPIC_LABELS.index("diplomacy")
    conflict = TOPIC_LABELS.index("armed_conflict")
    margin[conflict] = 1.0
    assert choose_topics(margin, None, diplomacy) == [diplomacy, conflict]
    assert choose_topics(margin, None, TOPIC_LABELS.index(OTHER)) == [TOPIC_LABELS.index(OTHER)]
    assert choose_topics(margin) == [conflict]


def test_the_primary_topic_is_the_one_both_models_find_likely() -> None:
    article = np.array([[0.6, 0.3, 0.1], [0.4, 0.35, 0.25]])
    corpus = np.array([[0.04, 0.96, 0.5], [0.5, 0.5, 0.5]])
    out = agreed_primary(article, corpus, weight=1.0)
    assert np.allclose(out.sum(axis=1), 1.0)
    # Row 0: the article level's first choice is one the corpus model all but rules out.
    expected = np.array([0.6 * 0.04, 0.3 * 0.96, 0.1 * 0.5])
    assert out[0] == pytest.approx(expected / expected.sum())
    assert out[0].argmax() == 1
    # Row 1: a corpus model without an opinion leaves the article level's probabilities as they are.
    assert out[1] == pytest.approx(article[1])
    # Weight 0 is the article level alone.
    assert agreed_primary(article, corpus, weight=0.0) == pytest.approx(article)


_SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"


@pytest.mark.parametrize(
    ("sample_id", "primary"),
    [
        ("sample-001", "armed_conflict"),  # two armies trade artillery fire
        ("sample-009", "armed_conflict"),  # drone strikes on energy sites (1.2.0: disaster)
        ("sample-010", "armed_conflict"),  # exchange of fire at a border (1.2.0: crime_justice)
        ("sample-012", "economy"),  # a central bank holds rates (1.2.0: crime_justice)
    ],
)
def test_the_shipped_models_primary_topic_on_our_own_samples(
    tagger: ArticleClassifier, sample_id: str, primary: str
) -> None:
    rows = {r["id"]: r for r in map(json.loads, _SAMPLES.read_text(encoding="utf-8").splitlines())}
    row = rows[sample_id]
    [prediction] = tagger.classify([ArticleText(row["title"], row["body"])])
    assert prediction.topics[0].label == primary


def test_training_only_rows_join_every_training_fold_and_no_test_fold() -> None:
    shared = tiny_labelled()
    vocabulary = read_vocabulary_articles(2.0)
    assert len(vocabulary) > 100
    assert vocabulary.train_only.all()
    assert set(vocabulary.weight.tolist()) == {2.0}
    both = shared.plus(vocabulary)
    extra = np.arange(len(shared), len(both))
    plain = grouped_folds(shared, 3, 13)
    folds = grouped_folds(both, 3, 13)
    for (tr0, te0), (tr, te) in zip(plain, folds, strict=True):
        assert np.array_equal(te, te0)  # the shared rows' split does not depend on them
        assert np.array_equal(np.sort(tr), np.sort(np.concatenate([tr0, extra])))
    assert np.array_equal(both.evaluated, np.arange(len(shared)))
    assert both.take(both.evaluated).ids == shared.ids
    assert not both.train_only[: len(shared)].any()
