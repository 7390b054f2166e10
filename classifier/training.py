"""Train the tagger from the shared datasets and write `models/`.

    python -m classifier.training --data-dir ../shared/datasets --out models/

Stages: corpus (read, map, de-duplicate, cap, split) -> vocabulary and idf on train ->
K-fold out-of-fold sentence/document tone and topic scores on train -> stacker and per-topic
thresholds fitted on those out-of-fold scores (so neither is fitted on predictions of models that
saw the same rows) -> base models refitted on all of train -> dev evaluation -> artifact.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

from classifier.aggregation import article_features
from classifier.article_features import ArticleBatch, featurise
from classifier.artifact import save_tagger, sha256_file
from classifier.corpus import Corpus, build_corpus, sentence_view, unit_hash
from classifier.features import Vocabulary, count_matrix, fit_idf, fit_vocabulary, tfidf
from classifier.model import DetenteTagger, TaggerParts, _proba3, _signed
from classifier.prediction import ArticleText, ModelInfo
from classifier.sources import Example, files_read
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS
from classifier.thresholds import choose_thresholds

__all__ = ["MODEL_NAME", "MODEL_VERSION", "TrainConfig", "main", "train"]

MODEL_NAME: Final = "detente-tagger"
MODEL_VERSION: Final = "1.0.0"
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    seed: int = 13
    folds: int = 3
    sentence_c: float = 4.0
    doc_c: float = 4.0
    topic_c: float = 4.0
    stacker_c: float = 1.0
    ridge_alpha: float = 1.0
    max_unigrams: int = 60_000
    max_bigrams: int = 90_000


def _article(example: Example) -> ArticleText:
    return ArticleText(title=example.title, body=example.text)


def _tone_y(examples: Sequence[Example]) -> npt.NDArray[np.int64]:
    return np.array([TONE_LABELS.index(e.tone) if e.tone else -1 for e in examples], np.int64)


def _topic_y(examples: Sequence[Example]) -> npt.NDArray[np.bool_]:
    return np.array(
        [[t in (e.topics or ()) for t in TOPIC_LABELS] for e in examples], dtype=bool
    )


@dataclass(frozen=True)
class _Base:
    sentence_tone: LogisticRegression
    sentence_score: Ridge
    doc_tone: LogisticRegression
    topic_coef: npt.NDArray[np.float32]
    topic_intercept: FloatArray


def _fit_base(
    examples: Sequence[Example],
    doc_x: sp.csr_matrix,
    vocab: Vocabulary,
    idf: FloatArray,
    cfg: TrainConfig,
) -> _Base:
    sentences = sentence_view(examples)
    sx = tfidf(count_matrix(vocab, [s.text for s in sentences]), idf)
    sy = _tone_y(sentences)
    sentence_tone = LogisticRegression(C=cfg.sentence_c, max_iter=400, class_weight="balanced")
    sentence_tone.fit(sx, sy)
    scored = np.array([s.score is not None for s in sentences])
    sentence_score = Ridge(alpha=cfg.ridge_alpha, solver="sparse_cg")
    sentence_score.fit(sx[scored], np.array([s.score for s in sentences if s.score is not None]))
    y = _tone_y(examples)
    has_tone = y >= 0
    doc_tone = LogisticRegression(C=cfg.doc_c, max_iter=400, class_weight="balanced")
    doc_tone.fit(doc_x[has_tone], y[has_tone])
    has_topics = np.array([e.topics is not None for e in examples])
    ty = _topic_y(examples)[has_topics]
    tx = doc_x[has_topics]
    coef = np.zeros((doc_x.shape[1], len(TOPIC_LABELS)), dtype=np.float32)
    intercept = np.full(len(TOPIC_LABELS), -10.0)
    for j in range(len(TOPIC_LABELS)):
        if ty[:, j].any():
            model = LogisticRegression(C=cfg.topic_c, solver="liblinear", class_weight="balanced")
            model.fit(tx, ty[:, j])
            coef[:, j] = model.coef_[0]
            intercept[j] = model.intercept_[0]
    return _Base(sentence_tone, sentence_score, doc_tone, coef, intercept)


def _rows_of(batch: ArticleBatch, docs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.concatenate([np.arange(batch.starts[d], batch.starts[d + 1]) for d in docs])


def _stack_inputs(base: _Base, batch: ArticleBatch, docs: npt.NDArray[np.int64]) -> FloatArray:
    """Stacker features for the given docs of `batch`, scored by `base`."""
    rows = _rows_of(batch, docs) if len(docs) else np.zeros(0, np.int64)
    sub_x = batch.sentence_x[rows]
    p_sent = _proba3(base.sentence_tone, sub_x)
    magnitude = np.clip(np.abs(base.sentence_score.predict(sub_x)), 1.0, 10.0)
    sent_score = _signed(p_sent, magnitude, magnitude)
    lengths = batch.starts[docs + 1] - batch.starts[docs]
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    p_doc = _proba3(base.doc_tone, batch.doc_x[docs])
    return article_features(p_sent, sent_score, batch.position[rows], starts, p_doc)


def _topic_proba(base: _Base, doc_x: sp.csr_matrix) -> FloatArray:
    logits = np.asarray(doc_x @ base.topic_coef.astype(np.float64)) + base.topic_intercept
    return 1.0 / (1.0 + np.exp(-logits))


def _stack_weights(y: npt.NDArray[np.int64], examples: Sequence[Example]) -> FloatArray:
    """Class-balanced, with multi-sentence documents counted double: the stacker's job is
    whole articles, which are a minority of the rows."""
    counts = np.bincount(y, minlength=3).astype(np.float64)
    w = (len(y) / (3.0 * np.maximum(counts, 1.0)))[y]
    doc = np.array([e.unit == "document" for e in examples])
    return np.where(doc, 2.0 * w, w)


def _provenance(data_dir: Path) -> dict[str, Any]:
    files = [
        {"path": str(p.relative_to(data_dir)), "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in files_read(data_dir)
    ]
    combined = hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    return {"data_dir": str(data_dir), "files": files, "combined_sha256": combined}


def fit_tagger(
    corpus: Corpus, cfg: TrainConfig, progress: Progress
) -> TaggerParts:
    """All learned parts from the train side of the corpus (dev is never touched here)."""
    train = list(corpus.train)
    articles = [_article(e) for e in train]
    progress(f"vocabulary on {len(train)} train examples")
    vocab = fit_vocabulary(
        [f"{a.title} {a.body}" for a in articles]
        + [s.text for s in sentence_view(train) if s.unit == "sentence"],
        max_unigrams=cfg.max_unigrams,
        max_bigrams=cfg.max_bigrams,
    )
    progress(f"vocabulary: {vocab.n_unigrams} words + {len(vocab.bigram_keys)} bigrams")
    idf = fit_idf(count_matrix(vocab, [f"{a.title} {a.body}" for a in articles]))
    batch = featurise(articles, vocab, idf)
    fold = np.array(
        [int(unit_hash(cfg.seed + 7, e.text) * cfg.folds) for e in train], dtype=np.int64
    )
    y = _tone_y(train)
    stack_x = np.zeros((len(train), 16))
    topic_oof = np.zeros((len(train), len(TOPIC_LABELS)))
    for k in range(cfg.folds):
        t0 = time.perf_counter()
        inside = np.flatnonzero(fold != k)
        outside = np.flatnonzero(fold == k)
        base = _fit_base([train[i] for i in inside], batch.doc_x[inside], vocab, idf, cfg)
        stack_x[outside] = _stack_inputs(base, batch, outside)
        topic_oof[outside] = _topic_proba(base, batch.doc_x[outside])
        progress(f"fold {k + 1}/{cfg.folds} fitted in {time.perf_counter() - t0:.1f}s")
    has_tone = y >= 0
    stacker = LogisticRegression(C=cfg.stacker_c, max_iter=1000)
    tone_examples = [e for e, ok in zip(train, has_tone, strict=True) if ok]
    stacker.fit(stack_x[has_tone], y[has_tone], sample_weight=_stack_weights(y[has_tone], tone_examples))
    has_topics = np.array([e.topics is not None for e in train])
    thresholds = choose_thresholds(topic_oof[has_topics], _topic_y(train)[has_topics])
    progress("stacker and topic thresholds fitted on out-of-fold scores; refitting on all train")
    t0 = time.perf_counter()
    base = _fit_base(train, batch.doc_x, vocab, idf, cfg)
    progress(f"final base models fitted in {time.perf_counter() - t0:.1f}s")
    return TaggerParts(
        vocab=vocab,
        idf=idf,
        sentence_tone=base.sentence_tone,
        sentence_score=base.sentence_score,
        doc_tone=base.doc_tone,
        stacker=stacker,
        topic_coef=base.topic_coef,
        topic_intercept=base.topic_intercept,
        topic_thresholds=thresholds,
    )


def train(
    data_dir: Path,
    out_dir: Path,
    progress: Progress = lambda _: None,
    config: TrainConfig | None = None,
    *,
    with_baseline: bool = True,
) -> dict[str, Any]:
    """Train on data_dir, write the artifact and metadata.json to out_dir, return the metadata."""
    from classifier.dev_report import dev_report  # heavy evaluation code, only needed here

    cfg = config or TrainConfig()
    started = time.perf_counter()
    progress(f"reading corpora from {data_dir}")
    corpus = build_corpus(data_dir, seed=cfg.seed)
    progress(f"corpus: {len(corpus.train)} train / {len(corpus.dev)} dev examples after de-dup")
    parts = fit_tagger(corpus, cfg, progress)
    tagger = DetenteTagger(parts, ModelInfo(MODEL_NAME, MODEL_VERSION))
    progress("evaluating on dev")
    seed_dir = data_dir.parent / "seed"
    report = dev_report(
        tagger, corpus, progress, with_baseline=with_baseline, seed_dir=seed_dir, seed=cfg.seed
    )
    metadata = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "training": {
            "config": _config_dict(cfg),
            "seed": cfg.seed,
            "seconds": round(time.perf_counter() - started, 1),
            "corpus_counts": corpus.counts(),
            "label_mapping": "classifier/label_mapping.py",
            "provenance": _provenance(data_dir),
        },
        "dev_metrics": report,
    }
    meta_path = save_tagger(parts, metadata, out_dir)
    progress(f"wrote {meta_path.parent} in {time.perf_counter() - started:.0f}s")
    return metadata


def _config_dict(cfg: TrainConfig) -> dict[str, Any]:
    return {name: getattr(cfg, name) for name in cfg.__slots__}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifier.training", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    parser.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF+LR baseline")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a directory")

    def progress(line: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)

    train(
        args.data_dir,
        args.out,
        progress,
        TrainConfig(seed=args.seed),
        with_baseline=not args.no_baseline,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
