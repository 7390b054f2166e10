"""Read the serving copy of the model: every array of `TaggerParts` in one `.npz`, without pickle.

The skops artifact holds the fitted scikit-learn estimators, the model of record. Serving needs
only their coefficients, and reading them from a NumPy archive with `allow_pickle=False` keeps
scikit-learn and skops out of the service process (see `classifier.linear` for why that
matters). The archive is written from the same parts in the same training run
(`classifier.training.saving`), its SHA-256 sits in `metadata.json` beside the skops file's, and a
test checks both load to identical predictions.

Keys: `format_version`, `vocab.unigrams`, `vocab.bigram_keys`, each array part by its field name,
and `<field>.coef` / `<field>.intercept` (+ `<field>.classes` for classifiers) for the models.
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import Any, Final

import numpy as np

from classifier.features import Vocabulary
from classifier.linear import LinearRegressor, SoftmaxClassifier
from classifier.model import TaggerParts

__all__ = ["WEIGHTS_FORMAT_VERSION", "WeightsError", "load_weights"]

WEIGHTS_FORMAT_VERSION: Final = 2  # 2: the article level (classifier.article_level)


class WeightsError(Exception):
    """The archive is unreadable or does not hold the parts this code expects."""


def _part(archive: Any, name: str) -> Any:
    if f"{name}.unigrams" in archive.files:
        return Vocabulary(archive[f"{name}.unigrams"], archive[f"{name}.bigram_keys"])
    if f"{name}.classes" in archive.files:
        return SoftmaxClassifier(
            archive[f"{name}.coef"], archive[f"{name}.intercept"], archive[f"{name}.classes"]
        )
    if f"{name}.coef" in archive.files:
        return LinearRegressor(archive[f"{name}.coef"], float(archive[f"{name}.intercept"]))
    return archive[name]


def load_weights(path: Path) -> TaggerParts:
    """Parts for serving; raises WeightsError when the archive does not fit this code."""
    try:
        # allow_pickle=False: an archive that smuggles in an object array is refused, not run.
        with np.load(path, allow_pickle=False) as archive:
            version = int(archive["format_version"])
            if version != WEIGHTS_FORMAT_VERSION:
                raise WeightsError(f"weights format {version} unsupported")
            values = {f.name: _part(archive, f.name) for f in dataclasses.fields(TaggerParts)}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{path.name} is not a usable weights archive: {exc}") from exc
    return TaggerParts(**values)
