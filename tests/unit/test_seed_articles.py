"""The two real seed articles in ../shared/seed get the tags their README expects.

The articles are read by path at test time (their text is the publisher's and is never copied
into the project); the test is skipped only when ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.prediction import ArticleClassifier, Prediction
from classifier.training.seed_articles import read_seed_articles

SEED_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seed"

pytestmark = pytest.mark.skipif(
    not SEED_DIR.is_dir(), reason=f"seed articles not available: {SEED_DIR} is absent"
)


@pytest.fixture(scope="module")
def seed_predictions(tagger: ArticleClassifier) -> list[Prediction]:
    articles = read_seed_articles(SEED_DIR)
    assert len(articles) == 2, "the seed file should split into the two README articles"
    return tagger.classify(articles)


def test_article_1_ambassadors_return_is_de_escalation_on_diplomacy_and_armed_conflict(
    seed_predictions: list[Prediction],
) -> None:
    prediction = seed_predictions[0]
    topics = [t.label for t in prediction.topics]
    assert prediction.tone.label == "de-escalation"
    assert prediction.tone.score > 0
    assert "diplomacy" in topics
    assert "armed_conflict" in topics


def test_article_2_regional_talks_is_never_escalation_and_primarily_diplomacy(
    seed_predictions: list[Prediction],
) -> None:
    prediction = seed_predictions[1]
    assert prediction.tone.label in ("de-escalation", "neutral")
    assert prediction.topics[0].label == "diplomacy"


def test_evidence_comes_from_the_articles(seed_predictions: list[Prediction]) -> None:
    for prediction in seed_predictions:
        assert 1 <= len(prediction.evidence) <= 3
