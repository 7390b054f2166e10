"""Save and load the tagger: a skops file plus `metadata.json`, checked before anything runs.

Loading never unpickles: skops rebuilds objects from a JSON schema, and before it does we walk
that schema and refuse any type outside `TRUSTED_TYPES` (skops' own default list trusts every
scikit-learn estimator, which is wider than this artifact needs). The metadata is checked first:
label sets, scikit-learn major.minor and the artifact's SHA-256 must match, or loading fails
with `ArtifactError` naming the mismatch.

    ArtifactError                 root: the model directory cannot be used
     +-- ArtifactMismatchError    metadata disagrees with this code or environment
     +-- UntrustedArtifactError   the file holds a type outside TRUSTED_TYPES
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import sklearn
import skops.io as sio
from sklearn.linear_model import LogisticRegression, Ridge

from classifier.features import Vocabulary
from classifier.model import DetenteTagger, TaggerParts
from classifier.prediction import ModelInfo
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS

__all__ = [
    "ARTIFACT_NAME",
    "FORMAT_VERSION",
    "METADATA_NAME",
    "TRUSTED_TYPES",
    "ArtifactError",
    "ArtifactMismatchError",
    "UntrustedArtifactError",
    "load_classifier",
    "read_metadata",
    "save_tagger",
    "sha256_file",
]

ARTIFACT_NAME: Final = "detente-tagger.skops"
METADATA_NAME: Final = "metadata.json"
FORMAT_VERSION: Final = 2  # 2: two magnitude regressors replace one score regressor

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

_PART_TYPES: Final[Mapping[str, type]] = {
    "sentence_tone": LogisticRegression,
    "magnitude_escalation": Ridge,
    "magnitude_deescalation": Ridge,
    "doc_tone": LogisticRegression,
    "stacker": LogisticRegression,
}
_ARRAYS: Final = (
    "vocab_unigrams",
    "vocab_bigram_keys",
    "idf",
    "topic_coef",
    "topic_intercept",
    "topic_thresholds",
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


def save_tagger(parts: TaggerParts, metadata: Mapping[str, Any], out_dir: Path) -> Path:
    """Write the artifact and metadata.json (with the artifact's hash); return the metadata path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "vocab_unigrams": parts.vocab.unigrams,
        "vocab_bigram_keys": parts.vocab.bigram_keys,
        "idf": parts.idf,
        "topic_coef": parts.topic_coef,
        "topic_intercept": parts.topic_intercept,
        "topic_thresholds": parts.topic_thresholds,
        **{name: getattr(parts, name) for name in _PART_TYPES},
    }
    artifact = out_dir / ARTIFACT_NAME
    sio.dump(payload, artifact, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    meta = {
        **metadata,
        "artifact": {
            "file": ARTIFACT_NAME,
            "sha256": sha256_file(artifact),
            "bytes": artifact.stat().st_size,
            "format_version": FORMAT_VERSION,
        },
        "tone_labels": list(TONE_LABELS),
        "topic_labels": list(TOPIC_LABELS),
        "sklearn_version": sklearn.__version__,
    }
    meta_path = out_dir / METADATA_NAME
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return meta_path


def read_metadata(model_dir: Path) -> dict[str, Any]:
    path = model_dir / METADATA_NAME
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"no {METADATA_NAME} in {model_dir}") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    return meta


def _check_metadata(meta: Mapping[str, Any], artifact: Path) -> None:
    if tuple(meta.get("tone_labels", ())) != TONE_LABELS:
        raise ArtifactMismatchError(
            f"tone labels {meta.get('tone_labels')} != this code's {list(TONE_LABELS)}"
        )
    if tuple(meta.get("topic_labels", ())) != TOPIC_LABELS:
        raise ArtifactMismatchError(
            f"topic labels {meta.get('topic_labels')} != this code's {list(TOPIC_LABELS)}"
        )
    trained = str(meta.get("sklearn_version", "?"))
    if _major_minor(trained) != _major_minor(sklearn.__version__):
        raise ArtifactMismatchError(
            f"model trained with scikit-learn {trained}, running {sklearn.__version__}: "
            "retrain or install the matching major.minor version"
        )
    expected = meta.get("artifact", {}).get("sha256")
    if expected != sha256_file(artifact):
        raise ArtifactMismatchError(f"{artifact.name} does not match the SHA-256 in metadata")


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
    try:
        with zipfile.ZipFile(artifact) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{artifact} is not a readable skops file: {exc}") from exc
    return set(_schema_types(schema)) | set(sio.get_untrusted_types(file=artifact))


def _parts_from(payload: Mapping[str, Any]) -> TaggerParts:
    if payload.get("format_version") != FORMAT_VERSION:
        raise ArtifactMismatchError(f"artifact format {payload.get('format_version')} unsupported")
    for name, kind in _PART_TYPES.items():
        if not isinstance(payload.get(name), kind):
            raise ArtifactError(f"artifact part {name!r} is not a {kind.__name__}")
    for name in _ARRAYS:
        if not isinstance(payload.get(name), np.ndarray):
            raise ArtifactError(f"artifact part {name!r} is not an array")
    return TaggerParts(
        vocab=Vocabulary(payload["vocab_unigrams"], payload["vocab_bigram_keys"]),
        idf=payload["idf"],
        sentence_tone=payload["sentence_tone"],
        magnitude_escalation=payload["magnitude_escalation"],
        magnitude_deescalation=payload["magnitude_deescalation"],
        doc_tone=payload["doc_tone"],
        stacker=payload["stacker"],
        topic_coef=payload["topic_coef"],
        topic_intercept=payload["topic_intercept"],
        topic_thresholds=payload["topic_thresholds"],
    )


def load_classifier(model_dir: Path) -> DetenteTagger:
    """Load and verify the tagger in model_dir; raises ArtifactError (or a subclass) on failure."""
    meta = read_metadata(model_dir)
    artifact = model_dir / str(meta.get("artifact", {}).get("file", ARTIFACT_NAME))
    if not artifact.is_file():
        raise ArtifactError(f"artifact {artifact} is missing")
    _check_metadata(meta, artifact)
    unexpected = sorted(audit_types(artifact) - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedArtifactError(f"{artifact.name} contains untrusted types: {unexpected}")
    try:
        payload = sio.load(artifact, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises several types; all mean "unusable file"
        raise ArtifactError(f"could not load {artifact.name}: {exc}") from exc
    if not isinstance(payload, dict):
        raise ArtifactError(f"{artifact.name} does not hold a dict of model parts")
    info = ModelInfo(
        name=str(meta.get("name", "detente-tagger")), version=str(meta.get("version", "0"))
    )
    return DetenteTagger(_parts_from(payload), info)
