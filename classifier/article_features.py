"""Turn a batch of articles into sentence and document feature matrices with one tokenisation.

Rows of the sentence matrix are the headline (position 0, empty headlines skipped) and the body
sentences in order; an article's document row is the sum of its sentence rows with the headline
counted `HEADLINE_WEIGHT` times, because news puts the main development in the headline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from classifier.cues import N_CUE_FEATURES
from classifier.features import Vocabulary, count_matrix, tfidf
from classifier.prediction import ArticleText
from classifier.text import split_sentences

__all__ = ["HEADLINE_WEIGHT", "MAX_SENTENCES", "SUBSTANTIVE_CHARS", "ArticleBatch", "featurise"]

HEADLINE_WEIGHT: Final = 2.0
# Long articles are cut after this many sentences: the development an article reports is
# in its first paragraphs, and the cap bounds the cost of a pathological input.
MAX_SENTENCES: Final = 80
# Shorter lines (bylines, "Follow", photo credits) are not evidence of a secondary topic.
SUBSTANTIVE_CHARS: Final = 40


@dataclass(frozen=True)
class ArticleBatch:
    sentences: list[str]
    doc_of: npt.NDArray[np.int64]  # article index of each sentence row (non-decreasing)
    position: npt.NDArray[np.int64]  # 0 = headline, 1.. = body sentences
    starts: npt.NDArray[np.int64]  # first sentence row of each article (len n_articles + 1)
    substantive: npt.NDArray[np.bool_]  # long enough to count as topic evidence
    sentence_x: sp.csr_matrix  # tf-idf, one row per sentence
    doc_x: sp.csr_matrix  # tf-idf, one row per article


def _sentences(article: ArticleText) -> tuple[list[str], list[int]]:
    body = split_sentences(article.body)
    title = " ".join(article.title.split())
    if title:
        body = body[: MAX_SENTENCES - 1]
        return [title, *body], list(range(len(body) + 1))
    body = body[:MAX_SENTENCES]
    return body, list(range(1, len(body) + 1))


def featurise(
    articles: Sequence[ArticleText], vocab: Vocabulary, idf: npt.NDArray[np.float64]
) -> ArticleBatch:
    sentences: list[str] = []
    positions: list[int] = []
    lengths = np.zeros(len(articles), dtype=np.int64)
    for i, article in enumerate(articles):
        sents, pos = _sentences(article)
        sentences.extend(sents)
        positions.extend(pos)
        lengths[i] = len(sents)
    doc_of = np.repeat(np.arange(len(articles), dtype=np.int64), lengths)
    position = np.asarray(positions, dtype=np.int64)
    counts = count_matrix(vocab, sentences)
    weights = np.where(position == 0, HEADLINE_WEIGHT, 1.0)
    assign = sp.csr_matrix(
        (weights, (doc_of, np.arange(len(sentences)))), shape=(len(articles), len(sentences))
    )
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    substantive = np.fromiter(
        (len(s) >= SUBSTANTIVE_CHARS for s in sentences), dtype=bool, count=len(sentences)
    )
    return ArticleBatch(
        sentences=sentences,
        doc_of=doc_of,
        position=position,
        starts=starts,
        substantive=substantive,
        sentence_x=tfidf(counts, idf, unscaled_tail=N_CUE_FEATURES),
        doc_x=tfidf(sp.csr_matrix(assign @ counts), idf, unscaled_tail=N_CUE_FEATURES),
    )
