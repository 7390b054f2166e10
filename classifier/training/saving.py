"""Write a trained tagger: the skops file, its NumPy serving weights and `metadata.json`.

Training writes, the service reads (`classifier.artifact`, `classifier.serving_weights`): the
file names, format versions and the part list are the loaders' constants, imported from there,
so a writer and a reader can never disagree on them.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from classifier.artifact import (
    ARRAY_PARTS,
    ARTIFACT_NAME,
    FORMAT_VERSION,
    METADATA_NAME,
    PART_TYPES,
    WEIGHTS_NAME,
    sha256_file,
)
from classifier.cues import CUE_LEXICON_SHA256
from classifier.features import Vocabulary
from classifier.linear import LinearRegressor, SoftmaxClassifier
from classifier.model import TaggerParts
from classifier.serving_weights import WEIGHTS_FORMAT_VERSION
from classifier.taxonomy import TONE_LABELS, TOPIC_LABELS

__all__ = ["save_tagger", "save_weights", "serving_parts"]


def _is_classifier(value: Any) -> bool:
    return hasattr(value, "predict_proba")


def serving_parts(parts: TaggerParts) -> TaggerParts:
    """The same parts with every linear model replaced by its array twin (twins stay)."""
    swapped: dict[str, Any] = {}
    for f in dataclasses.fields(parts):
        value = getattr(parts, f.name)
        if isinstance(value, SoftmaxClassifier | LinearRegressor):
            continue
        if _is_classifier(value):
            swapped[f.name] = SoftmaxClassifier.of(value)
        elif hasattr(value, "predict"):
            swapped[f.name] = LinearRegressor.of(value)
    return dataclasses.replace(parts, **swapped)


def _arrays(parts: TaggerParts) -> dict[str, np.ndarray[Any, Any]]:
    out: dict[str, np.ndarray[Any, Any]] = {"format_version": np.array(WEIGHTS_FORMAT_VERSION)}
    twins = serving_parts(parts)
    for f in dataclasses.fields(twins):
        value = getattr(twins, f.name)
        if isinstance(value, Vocabulary):
            out[f"{f.name}.unigrams"] = value.unigrams
            out[f"{f.name}.bigram_keys"] = value.bigram_keys
        elif isinstance(value, SoftmaxClassifier):
            out[f"{f.name}.coef"] = value.coef
            out[f"{f.name}.intercept"] = value.intercept
            out[f"{f.name}.classes"] = value.classes_
        elif isinstance(value, LinearRegressor):
            out[f"{f.name}.coef"] = value.coef
            out[f"{f.name}.intercept"] = np.array(value.intercept)
        else:
            out[f.name] = np.asarray(value)
    return out


def save_weights(parts: TaggerParts, path: Path) -> None:
    with path.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **_arrays(parts))


def save_tagger(parts: TaggerParts, metadata: Mapping[str, Any], out_dir: Path) -> Path:
    """Write the artifact and metadata.json (with the artifact's hash); return the metadata path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "vocab_unigrams": parts.vocab.unigrams,
        "vocab_bigram_keys": parts.vocab.bigram_keys,
        **{name: getattr(parts, name) for name in ARRAY_PARTS if not name.startswith("vocab_")},
        **{name: getattr(parts, name) for name in PART_TYPES},
    }
    artifact = out_dir / ARTIFACT_NAME
    sio.dump(payload, artifact, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    weights = out_dir / WEIGHTS_NAME
    save_weights(parts, weights)
    meta = {
        **metadata,
        "artifact": _file_entry(artifact, FORMAT_VERSION),
        "serving_weights": _file_entry(weights, WEIGHTS_FORMAT_VERSION),
        "tone_labels": list(TONE_LABELS),
        "topic_labels": list(TOPIC_LABELS),
        "sklearn_version": version("scikit-learn"),
        "cue_lexicon_sha256": CUE_LEXICON_SHA256,
    }
    meta_path = out_dir / METADATA_NAME
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return meta_path


def _file_entry(path: Path, format_version: int) -> dict[str, Any]:
    return {
        "file": path.name,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "format_version": format_version,
    }
