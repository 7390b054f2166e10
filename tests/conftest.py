"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.artifact import load_classifier
from classifier.prediction import ArticleClassifier

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"
SAMPLES = PROJECT_ROOT / "samples" / "articles.jsonl"


@pytest.fixture(scope="session")
def tagger() -> ArticleClassifier:
    """The committed model: a real trained model, never a mock."""
    return load_classifier(PROJECT_ROOT / "models")
