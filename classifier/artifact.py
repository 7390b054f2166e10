"""Load the tagger: a skops file or its serving weights, and `metadata.json`, all checked.

The skops file holds the fitted scikit-learn estimators: the model of record. Loading it never
unpickles: skops rebuilds objects from a JSON schema, and before it does we walk that schema and
refuse any type outside `TRUSTED_TYPES` (skops' own default list trusts every scikit-learn
estimator, which is wider than this artifact needs). The service loads the serving weights
instead (`classifier.serving_weights`: the same coefficients as a NumPy archive read without
pickle), which keeps scikit-learn and skops, and their 1.5-2 s of imports, out of its start.
Either way the metadata is checked first: label sets, the event-cue lexicon's fingerprint and the
file's SHA-256 must match (and, for the skops file, scikit-learn's major.minor), or loading fails
with `ArtifactError` naming the mismatch. Writing these files is training's job
(`classifier.training.saving`); loading is serving's, so this module imports nothing from
`classifier.training`.

    ArtifactError                 root: the model directory cannot be used
     +-- ArtifactMismatchError    metadata disagrees with this code or environment
     +-- UntrustedArtifactError   the file holds a type outside TRUSTED_TYPES
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from classifier.cues import CUE_LEXICON_SHA256
from classifier.features import Vocabulary
from classifier.model import DetenteTagger, TaggerParts
from classifier.prediction import ModelInfo
from classifier.serving_weights import WeightsError, load_weights
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS

__all__ = [
    "ARRAY_PARTS",
    "ARTIFACT_NAME",
    "FORMAT_VERSION",
    "METADATA_NAME",
    "PART_TYPES",
    "TRUSTED_TYPES",
    "WEIGHTS_NAME",
    "ArtifactError",
    "ArtifactMismatchError",
    "ArtifactSource",
    "UntrustedArtifactError",
    "load_classifier",
    "read_metadata",
    "sha256_file",
]

ARTIFACT_NAME: Final = "detente-tagger.skops"
METADATA_NAME: Final = "metadata.json"
WEIGHTS_NAME: Final = "detente-tagger.npz"
# 2: two magnitude regressors; 3: event-cue feature columns; 4: the article level
FORMAT_VERSION: Final = 4

# Every type the artifact may contain, as "module.Class". Anything else is refused.
TRUSTED_TYPES: Final = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._ridge.Ridge",
)

PART_TYPES: Final[Mapping[str, str]] = {
    "sentence_tone": "LogisticRegression",
    "magnitude_escalation": "Ridge",
    "magnitude_deescalation": "Ridge",
    "doc_tone": "LogisticRegression",
    "stacker": "LogisticRegression",
    "article_tone": "LogisticRegression",
    "article_topic": "LogisticRegression",
}
ARRAY_PARTS: Final = (
    "vocab_unigrams",
    "vocab_bigram_keys",
    "idf",
    "topic_coef",
    "topic_intercept",
    "topic_thresholds",
    "article_agg_center",
    "article_topic_center",
    "article_temperature",
)


class ArtifactError(Exception):
    """The model directory cannot be used; never retriable."""

    retriable = False


class ArtifactMismatchError(ArtifactError):
    """Metadata disagrees with this code (label sets) or environment (scikit-learn)."""


class UntrustedArtifactError(ArtifactError):
    """The artifact contains a type outside TRUSTED_TYPES."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def read_metadata(model_dir: Path) -> dict[str, Any]:
    path = model_dir / METADATA_NAME
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"no {METADATA_NAME} in {model_dir}") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    return meta


def _check_labels(meta: Mapping[str, Any]) -> None:
    if tuple(meta.get("tone_labels", ())) != TONE_LABELS:
        raise ArtifactMismatchError(
            f"tone labels {meta.get('tone_labels')} != this code's {list(TONE_LABELS)}"
        )
    if tuple(meta.get("topic_labels", ())) != TOPIC_LABELS:
        raise ArtifactMismatchError(
            f"topic labels {meta.get('topic_labels')} != this code's {list(TOPIC_LABELS)}"
        )


def _check_cue_lexicon(meta: Mapping[str, Any]) -> None:
    # Models saved before the fingerprint was recorded (1.3.0 and older) carry none to compare.
    recorded = meta.get("cue_lexicon_sha256")
    if recorded is not None and recorded != CUE_LEXICON_SHA256:
        raise ArtifactMismatchError(
            "the model was fitted with another event-cue lexicon than this code's "
            "(classifier/cues.py): retrain it, or run the code it was trained with"
        )


def _checked_file(meta: Mapping[str, Any], model_dir: Path, entry: str, default: str) -> Path:
    """The file `meta[entry]` names, present and matching its SHA-256."""
    path = model_dir / str(meta.get(entry, {}).get("file", default))
    if not path.is_file():
        raise ArtifactError(f"{entry} {path} is missing")
    if meta.get(entry, {}).get("sha256") != sha256_file(path):
        raise ArtifactMismatchError(f"{path.name} does not match the SHA-256 in metadata")
    return path


def _check_sklearn_version(meta: Mapping[str, Any]) -> None:
    trained, running = str(meta.get("sklearn_version", "?")), version("scikit-learn")
    if _major_minor(trained) != _major_minor(running):
        raise ArtifactMismatchError(
            f"model trained with scikit-learn {trained}, running {running}: "
            "retrain or install the matching major.minor version"
        )


def _schema_types(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "__class__" in node and "__module__" in node:
            yield f"{node['__module__']}.{node['__class__']}"
        for value in node.values():
            yield from _schema_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_types(value)


def audit_types(artifact: Path) -> set[str]:
    """Every type named in the artifact's schema (read as JSON, nothing is instantiated)."""
    import skops.io as sio

    try:
        with zipfile.ZipFile(artifact) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{artifact} is not a readable skops file: {exc}") from exc
    return set(_schema_types(schema)) | set(sio.get_untrusted_types(file=artifact))


def _parts_from(payload: Mapping[str, Any]) -> TaggerParts:
    if payload.get("format_version") != FORMAT_VERSION:
        raise ArtifactMismatchError(f"artifact format {payload.get('format_version')} unsupported")
    for name, kind in PART_TYPES.items():
        if type(payload.get(name)).__name__ != kind:
            raise ArtifactError(f"artifact part {name!r} is not a {kind}")
    for name in ARRAY_PARTS:
        if not isinstance(payload.get(name), np.ndarray):
            raise ArtifactError(f"artifact part {name!r} is not an array")
    arrays = {name: payload[name] for name in ARRAY_PARTS if not name.startswith("vocab_")}
    models = {name: payload[name] for name in PART_TYPES}
    return TaggerParts(
        vocab=Vocabulary(payload["vocab_unigrams"], payload["vocab_bigram_keys"]),
        **arrays,
        **models,
    )


def _load_skops_parts(meta: Mapping[str, Any], model_dir: Path) -> TaggerParts:
    import skops.io as sio  # heavy (imports all of scikit-learn); only this path needs it

    artifact = _checked_file(meta, model_dir, "artifact", ARTIFACT_NAME)
    _check_sklearn_version(meta)
    unexpected = sorted(audit_types(artifact) - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedArtifactError(f"{artifact.name} contains untrusted types: {unexpected}")
    try:
        payload = sio.load(artifact, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises several types; all mean "unusable file"
        raise ArtifactError(f"could not load {artifact.name}: {exc}") from exc
    if not isinstance(payload, dict):
        raise ArtifactError(f"{artifact.name} does not hold a dict of model parts")
    return _parts_from(payload)


def _load_serving_parts(meta: Mapping[str, Any], model_dir: Path) -> TaggerParts:
    weights = _checked_file(meta, model_dir, "serving_weights", WEIGHTS_NAME)
    try:
        return load_weights(weights)
    except WeightsError as exc:
        raise ArtifactError(str(exc)) from exc


ArtifactSource = Literal["serving", "skops"]


def load_classifier(model_dir: Path, source: ArtifactSource = "serving") -> DetenteTagger:
    """Load and verify the tagger in model_dir; raises ArtifactError (or a subclass) on failure.

    `serving` (the default, what the service runs) reads the NumPy serving weights; `skops`
    reads the fitted scikit-learn estimators, the model of record, with the same results."""
    meta = read_metadata(model_dir)
    _check_labels(meta)
    _check_cue_lexicon(meta)
    if source == "skops":
        parts = _load_skops_parts(meta, model_dir)
    else:
        parts = _load_serving_parts(meta, model_dir)
    info = ModelInfo(
        name=str(meta.get("name", "detente-tagger")), version=str(meta.get("version", "0"))
    )
    return DetenteTagger(parts, info)
