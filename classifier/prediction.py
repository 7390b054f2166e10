"""What the classifier takes and returns: plain frozen values, owned by `classifier`.

The service's wire schema embeds these; `classifier` never imports the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from classifier.taxonomy import ToneLabel

__all__ = [
    "ArticleClassifier",
    "ArticleText",
    "Evidence",
    "ModelInfo",
    "Prediction",
    "Tone",
    "TopicScore",
]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The text of one article as the model reads it: headline and body kept apart."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class TopicScore:
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """A sentence that drove the tone, with its own tone and Goldstein-like score."""

    text: str
    tone: ToneLabel
    score: float


@dataclass(frozen=True, slots=True)
class Tone:
    label: ToneLabel
    score: float  # -10 (most conflictual) .. +10 (most cooperative)
    confidence: float  # probability of `label`
    probabilities: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Prediction:
    topics: tuple[TopicScore, ...]  # 1 to 3, best first; `other` only alone
    tone: Tone
    evidence: tuple[Evidence, ...]  # up to 3, strongest first


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    version: str


class ArticleClassifier(Protocol):
    """Anything that tags a batch of articles; the service depends on this, not on a model class."""

    @property
    def info(self) -> ModelInfo: ...

    def classify(self, articles: Sequence[ArticleText]) -> list[Prediction]: ...
