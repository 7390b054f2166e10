"""Dev-split evaluation of a tagger (and the baseline) on the slices the targets name.

Slices: all dev sentences; the ConfliBERT test sentences (3-class and escalation vs
de-escalation with statements excluded); non-political text (share tagged neutral); whole
held-out articles (BBC, Reuters, ReliefWeb); articles composed from held-out conflict sentences
(the only whole-article escalation / de-escalation test we have that is not synthetic); dev
topics; the seed articles; calibration (ECE) of the tone probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from scipy.stats import spearmanr

from classifier.model import DetenteTagger
from classifier.prediction import ArticleText
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.training.baseline import fit_baseline
from classifier.training.corpus import Corpus, unit_hash
from classifier.training.metrics import calibration_error, polarity_f1, tone_metrics, topic_metrics
from classifier.training.seed_articles import read_seed_articles
from classifier.training.sources import Example

__all__ = ["compose_articles", "dev_report"]

_NON_POLITICAL: Final = ("other",)  # topic of sport / tech / entertainment / lifestyle rows
_CONFLICT_SETS: Final = frozenset(
    {"conflibert_cameo", "plv_plover", "plover_gsr", "acled_notes", "rand_rdwti_terrorism"}
)


class _Tagger(Protocol):
    def tone_proba(self, articles: Sequence[ArticleText]) -> np.ndarray: ...
    def tone_labels(self, articles: Sequence[ArticleText]) -> list[str]: ...
    def topic_labels(self, articles: Sequence[ArticleText]) -> list[list[str]]: ...


class _TaggerView:
    """Adapts DetenteTagger to the two-method view the report uses for both models."""

    def __init__(self, tagger: DetenteTagger) -> None:
        self.tagger = tagger

    def tone_proba(self, articles: Sequence[ArticleText]) -> np.ndarray:
        return self.tagger.score_batch(articles).tone_proba

    def tone_labels(self, articles: Sequence[ArticleText]) -> list[str]:
        return [p.tone.label for p in self.tagger.classify(articles)]

    def topic_labels(self, articles: Sequence[ArticleText]) -> list[list[str]]:
        return [[t.label for t in p.topics] for p in self.tagger.classify(articles)]


def _articles(examples: Sequence[Example]) -> list[ArticleText]:
    return [ArticleText(e.title, e.text) for e in examples]


def compose_articles(dev: Sequence[Example], seed: int, n_per_tone: int = 150) -> list[Example]:
    """Held-out conflict sentences glued into articles: a headline-like lead of the article's
    tone, two more sentences of that tone, and three neutral statement sentences."""
    pools: dict[str, list[Example]] = {t: [] for t in TONE_LABELS}
    for e in dev:
        if e.source in _CONFLICT_SETS | {"un_quadclass"} and e.unit == "sentence" and e.tone:
            pools[e.tone].append(e)
    for pool in pools.values():
        pool.sort(key=lambda e: unit_hash(seed + 3, e.text))
    neutral = pools["neutral"]
    out: list[Example] = []
    for tone in ("escalation", "de-escalation"):
        pool = pools[tone]
        for i in range(min(n_per_tone, len(pool) // 3)):
            lead, *more = pool[3 * i : 3 * i + 3]
            filler = [neutral[(3 * i + k) % len(neutral)].text for k in range(3)] if neutral else []
            body = " ".join([lead.text, more[0].text, *filler[:2], more[1].text, *filler[2:]])
            out.append(Example(body, "composed", lead.tone, lead.score, None, "document"))
    return out


def _tone_block(model: _Tagger, examples: Sequence[Example]) -> dict[str, Any]:
    """3-class metrics, plus escalation-vs-de-escalation F1 on rows whose truth is one of the
    two: `polarity_macro_f1` counts a neutral prediction as an error, `polarity_forced_macro_f1`
    forces the choice between the two (the larger of their probabilities)."""
    rows = [e for e in examples if e.tone is not None]
    proba = model.tone_proba(_articles(rows))
    pred = [TONE_LABELS[int(i)] for i in proba.argmax(axis=1)] if rows else []
    truth = [str(e.tone) for e in rows]
    block = tone_metrics(truth, pred)
    block["polarity_macro_f1"] = polarity_f1(truth, pred)
    forced = ["escalation" if p[0] >= p[1] else "de-escalation" for p in proba] if rows else []
    block["polarity_forced_macro_f1"] = polarity_f1(truth, forced)
    return block


def _per_source(model: _Tagger, examples: Sequence[Example]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source in sorted({e.source for e in examples if e.tone is not None}):
        block = _tone_block(model, [e for e in examples if e.source == source])
        out[source] = {k: block[k] for k in ("n", "macro_f1", "accuracy", "classes_present")}
    return out


def _report_for(model: _Tagger, corpus: Corpus, composed: Sequence[Example]) -> dict[str, Any]:
    dev = corpus.dev
    sentences = [e for e in dev if e.unit == "sentence"]
    conflibert = [e for e in dev if e.source == "conflibert_cameo" and e.forced_split == "dev"]
    documents = [e for e in dev if e.unit == "document"]
    non_political = [e for e in dev if e.topics == _NON_POLITICAL]
    np_docs = [e for e in non_political if e.unit == "document"]
    topics = [e for e in dev if e.topics is not None]
    np_pred = model.tone_labels(_articles(non_political))
    np_doc_pred = model.tone_labels(_articles(np_docs))
    topic_pred = model.topic_labels(_articles(topics))
    world = [e for e in dev if e.not_topics]
    world_pred = model.topic_labels(_articles(world)) if world else []
    return {
        "dev_sentences_tone": _tone_block(model, sentences),
        "dev_sentences_tone_by_source": _per_source(model, sentences),
        "conflibert_test_tone": _tone_block(model, conflibert),
        "whole_articles_tone": _tone_block(model, documents),
        "composed_articles_tone": _tone_block(model, composed),
        "non_political_neutral_share": {
            "all": float(np.mean([p == "neutral" for p in np_pred])) if np_pred else None,
            "n": len(np_pred),
            "whole_articles": float(np.mean([p == "neutral" for p in np_doc_pred]))
            if np_doc_pred
            else None,
            "n_whole_articles": len(np_doc_pred),
        },
        "topics": topic_metrics([list(e.topics or ()) for e in topics], topic_pred),
        # World-news rows have no topic label, but are never `other`: lower is better.
        "world_news_tagged_other_share": {
            "n": len(world),
            "share": float(np.mean([p == ["other"] for p in world_pred])) if world else None,
        },
    }


def _calibration(tagger: DetenteTagger, examples: Sequence[Example]) -> dict[str, float]:
    rows = [e for e in examples if e.tone is not None]
    scores = tagger.score_batch(_articles(rows))
    y = [TONE_LABELS.index(str(e.tone)) for e in rows]
    onehot = np.eye(3)[y]
    return {
        "ece": calibration_error(scores.tone_proba, y),
        "brier": float(np.mean(np.sum((scores.tone_proba - onehot) ** 2, axis=1))),
    }


def _score_block(tagger: DetenteTagger, examples: Sequence[Example]) -> dict[str, Any]:
    """Agreement of the continuous score with the mapped Goldstein/PLOVER scores."""
    rows = [e for e in examples if e.score is not None and e.tone is not None]
    if len(rows) < 3:
        return {"n": len(rows)}
    pred = tagger.score_batch(_articles(rows)).score
    gold = np.array([float(e.score or 0.0) for e in rows])
    return {
        "n": len(rows),
        "pearson": float(np.corrcoef(pred, gold)[0, 1]),
        "spearman": float(spearmanr(pred, gold).statistic),
        "mae": float(np.mean(np.abs(pred - gold))),
    }


def _seed_block(tagger: DetenteTagger, seed_dir: Path) -> list[dict[str, Any]]:
    articles = read_seed_articles(seed_dir)
    return [
        {
            "title": a.title,
            "tone": p.tone.label,
            "score": p.tone.score,
            "confidence": round(p.tone.confidence, 3),
            "topics": [t.label for t in p.topics],
        }
        for a, p in zip(articles, tagger.classify(articles), strict=True)
    ]


def dev_report(
    tagger: DetenteTagger,
    corpus: Corpus,
    progress: Callable[[str], None],
    *,
    with_baseline: bool = True,
    seed_dir: Path | None = None,
    seed: int = 13,
) -> dict[str, Any]:
    composed = compose_articles(corpus.dev, seed)
    report: dict[str, Any] = {"model": _report_for(_TaggerView(tagger), corpus, composed)}
    report["model"]["calibration_dev_sentences"] = _calibration(
        tagger, [e for e in corpus.dev if e.unit == "sentence"]
    )
    report["model"]["score_dev_sentences"] = _score_block(
        tagger, [e for e in corpus.dev if e.unit == "sentence"]
    )
    report["model"]["calibration_whole_articles"] = _calibration(
        tagger, [e for e in corpus.dev if e.unit == "document"] + list(composed)
    )
    if seed_dir is not None:
        report["seed_articles"] = _seed_block(tagger, seed_dir)
    if with_baseline:
        progress("fitting the TF-IDF + LogisticRegression baseline")
        report["baseline"] = _report_for(fit_baseline(corpus.train), corpus, composed)
    report["topic_labels"] = list(TOPIC_LABELS)
    return report
