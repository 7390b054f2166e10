"""Artifact save/load: a real tiny model round-trips through both files (the skops model of
record and the NumPy serving weights); tampering and mismatches are refused."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from sklearn.tree import DecisionTreeClassifier

from classifier.artifact import (
    ARTIFACT_NAME,
    METADATA_NAME,
    WEIGHTS_NAME,
    ArtifactError,
    ArtifactMismatchError,
    UntrustedArtifactError,
    load_classifier,
    sha256_file,
)
from classifier.cues import CUE_LEXICON_SHA256
from classifier.model import TaggerParts
from classifier.prediction import ArticleText
from classifier.training import TrainConfig, fit_tagger
from classifier.training.article_fit import ArticleLevelConfig, fit_article_level
from classifier.training.corpus import Corpus
from classifier.training.saving import save_tagger
from classifier.training.sources import Example
from tests.unit.article_fixtures import tiny_labelled

_ROOT = Path(__file__).resolve().parents[2]

_STORIES = {
    ("escalation", -9.0, ("armed_conflict",)): "Rebels shelled the {} town and troops attacked",
    ("de-escalation", 5.0, ("diplomacy",)): "Ministers from {} signed an agreement and held talks",
    ("neutral", 0.0, ("other",)): "The {} football team won the league match on Sunday",
}
_PLACES = [
    "north",
    "south",
    "east",
    "west",
    "coastal",
    "river",
    "hill",
    "border",
    "capital",
    "valley",
    "desert",
    "island",
]


def _tiny_corpus() -> Corpus:
    rows = [
        Example(template.format(place) + ".", "fixture", tone, score, topics, "sentence")  # type: ignore[arg-type]
        for (tone, score, topics), template in _STORIES.items()
        for place in _PLACES
    ]
    return Corpus(train=tuple(rows), dev=())


@pytest.fixture(scope="module")
def tiny_parts() -> TaggerParts:
    base = fit_tagger(_tiny_corpus(), TrainConfig(folds=2), lambda _: None)
    parts, _ = fit_article_level(base, tiny_labelled(), ArticleLevelConfig(folds=3))
    return parts


@pytest.fixture
def model_dir(tmp_path: Path, tiny_parts: TaggerParts) -> Path:
    save_tagger(tiny_parts, {"name": "tiny", "version": "0.0.1"}, tmp_path)
    return tmp_path


def _meta(model_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((model_dir / METADATA_NAME).read_text())
    return data


def _write_meta(model_dir: Path, meta: dict[str, Any]) -> None:
    (model_dir / METADATA_NAME).write_text(json.dumps(meta))


@pytest.mark.parametrize("source", ["serving", "skops"])
def test_round_trip_classifies(model_dir: Path, source: str) -> None:
    tagger = load_classifier(model_dir, source)  # type: ignore[arg-type]
    assert tagger.info.name == "tiny"
    [war, talks] = tagger.classify(
        [
            ArticleText("", "Rebels shelled the northern town."),
            ArticleText("", "Ministers signed an agreement."),
        ]
    )
    assert war.tone.label == "escalation"
    assert talks.tone.label == "de-escalation"


def test_tampered_artifact_with_an_unexpected_type_is_refused(model_dir: Path) -> None:
    artifact = model_dir / ARTIFACT_NAME
    payload = sio.load(artifact, trusted=sio.get_untrusted_types(file=artifact))
    payload["sentence_tone"] = DecisionTreeClassifier().fit(np.eye(3), [0, 1, 2])
    sio.dump(payload, artifact, compression=zipfile.ZIP_DEFLATED)
    meta = _meta(model_dir)
    meta["artifact"]["sha256"] = sha256_file(artifact)  # the attacker updates the hash too
    _write_meta(model_dir, meta)
    with pytest.raises(UntrustedArtifactError, match="DecisionTreeClassifier"):
        load_classifier(model_dir, "skops")


def test_serving_weights_holding_a_pickled_object_are_refused(model_dir: Path) -> None:
    weights = model_dir / WEIGHTS_NAME
    with np.load(weights) as archive:
        arrays = dict(archive)
    arrays["idf"] = np.array([{"payload": "would be unpickled"}], dtype=object)
    with weights.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=True, **arrays)
    meta = _meta(model_dir)
    meta["serving_weights"]["sha256"] = sha256_file(weights)  # the attacker updates the hash too
    _write_meta(model_dir, meta)
    with pytest.raises(ArtifactError, match="not a usable weights archive"):
        load_classifier(model_dir)


@pytest.mark.parametrize(("source", "name"), [("skops", ARTIFACT_NAME), ("serving", WEIGHTS_NAME)])
def test_modified_file_fails_the_hash_check(model_dir: Path, source: str, name: str) -> None:
    with (model_dir / name).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactMismatchError, match="SHA-256"):
        load_classifier(model_dir, source)  # type: ignore[arg-type]


def test_serving_weights_predict_what_the_skops_estimators_predict(model_dir: Path) -> None:
    texts = [
        ArticleText("Border clash", "Rebels shelled the northern town. Troops attacked."),
        ArticleText("Talks", "Ministers signed an agreement.\nThey held talks."),
        ArticleText("", "The football team won the league match on Sunday."),
    ]
    served = load_classifier(model_dir).classify(texts)
    reference = load_classifier(model_dir, "skops").classify(texts)
    for ours, theirs in zip(served, reference, strict=True):
        assert ours.tone.label == theirs.tone.label
        assert ours.tone.confidence == pytest.approx(theirs.tone.confidence, abs=1e-12)
        assert ours.tone.score == pytest.approx(theirs.tone.score, abs=1e-9)
        assert ours.topics == theirs.topics
        assert ours.evidence == theirs.evidence


def test_the_serving_path_imports_neither_scikit_learn_nor_skops_nor_training() -> None:
    # scikit-learn and skops cost 1.5-2 s of the service's start (the serving weights exist to
    # avoid them); the training package is what the service must never need.
    code = (
        "import sys; from pathlib import Path; import consumer.service;"
        " from classifier.artifact import load_classifier;"
        " from classifier.prediction import ArticleText;"
        " load_classifier(Path('models')).classify([ArticleText('Talks', 'They met.')]);"
        " print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('sklearn', 'skops') or m.startswith('classifier.training')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_ROOT
    )
    assert done.stdout.strip() == "[]"


def test_label_set_mismatch_is_refused(model_dir: Path) -> None:
    meta = _meta(model_dir)
    meta["topic_labels"] = [*meta["topic_labels"], "space"]
    _write_meta(model_dir, meta)
    with pytest.raises(ArtifactMismatchError, match="topic labels"):
        load_classifier(model_dir)
    meta["topic_labels"] = meta["topic_labels"][:-1]
    meta["tone_labels"] = ["negative", "positive", "neutral"]
    _write_meta(model_dir, meta)
    with pytest.raises(ArtifactMismatchError, match="tone labels"):
        load_classifier(model_dir)


def test_a_model_fitted_with_another_cue_lexicon_is_refused(model_dir: Path) -> None:
    meta = _meta(model_dir)
    assert meta["cue_lexicon_sha256"] == CUE_LEXICON_SHA256
    meta["cue_lexicon_sha256"] = "0" * 64
    _write_meta(model_dir, meta)
    with pytest.raises(ArtifactMismatchError, match="event-cue lexicon"):
        load_classifier(model_dir)
    del meta["cue_lexicon_sha256"]  # saved before fingerprints were recorded: nothing to compare
    _write_meta(model_dir, meta)
    assert load_classifier(model_dir).info.version


def test_the_shipped_model_was_fitted_with_this_codes_cue_lexicon() -> None:
    assert _meta(_ROOT / "models")["cue_lexicon_sha256"] == CUE_LEXICON_SHA256


def test_scikit_learn_minor_version_mismatch_is_refused(model_dir: Path) -> None:
    meta = _meta(model_dir)
    meta["sklearn_version"] = "0.24.2"
    _write_meta(model_dir, meta)
    with pytest.raises(ArtifactMismatchError, match=r"scikit-learn 0\.24\.2"):
        load_classifier(model_dir, "skops")


def test_missing_files_fail_clearly(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ArtifactError, match=r"metadata\.json"):
        load_classifier(tmp_path / "nowhere")
    (model_dir / WEIGHTS_NAME).unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_classifier(model_dir)
    (model_dir / ARTIFACT_NAME).unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_classifier(model_dir, "skops")


def test_metadata_records_labels_version_and_hash(model_dir: Path) -> None:
    meta = _meta(model_dir)
    assert meta["artifact"]["sha256"] == sha256_file(model_dir / ARTIFACT_NAME)
    assert meta["serving_weights"]["sha256"] == sha256_file(model_dir / WEIGHTS_NAME)
    assert meta["tone_labels"] == ["escalation", "de-escalation", "neutral"]
    assert "other" in meta["topic_labels"]
    assert meta["sklearn_version"]


def test_shipped_serving_weights_match_the_shipped_skops_model() -> None:
    # The two committed files must be the same model: the service runs one, users inspect the other.
    lines = (_ROOT / "samples" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    samples = [json.loads(line) for line in lines if line.strip()]
    texts = [ArticleText(s.get("title") or "", s.get("body") or "") for s in samples]
    served = load_classifier(_ROOT / "models").classify(texts)
    reference = load_classifier(_ROOT / "models", "skops").classify(texts)
    assert [p.tone.label for p in served] == [p.tone.label for p in reference]
    assert [p.topics for p in served] == [p.topics for p in reference]
    assert [p.tone.score for p in served] == pytest.approx([p.tone.score for p in reference])
