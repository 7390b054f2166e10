"""Fitted linear models as plain arrays: all that inference needs of scikit-learn's estimators.

Training fits scikit-learn's LogisticRegression and Ridge; the service scores with these
array twins instead, because importing scikit-learn (and skops, which enumerates every estimator
on import) cost 1.5-2 s of a cold start and ~90 MB of memory. The twins compute the same
functions (multinomial softmax, or the logistic for two classes, and an affine map), which
`tests/unit/test_classifier_linear.py` checks against scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "LinearRegressor",
    "ProbabilisticClassifier",
    "Regressor",
    "SoftmaxClassifier",
]

FloatArray = npt.NDArray[np.float64]


class ProbabilisticClassifier(Protocol):
    """What inference uses of a classifier; scikit-learn's LogisticRegression is one too."""

    @property
    def classes_(self) -> npt.NDArray[Any]: ...

    def predict_proba(self, x: Any) -> Any: ...


class Regressor(Protocol):
    def predict(self, x: Any) -> Any: ...


def _scores(x: Any, coef: FloatArray) -> FloatArray:
    # `x` is a scipy sparse matrix or a dense array; `@` gives a dense array for both.
    return np.asarray(x @ coef, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class SoftmaxClassifier:
    coef: FloatArray  # (n_classes, n_features), or (1, n_features) for two classes
    intercept: FloatArray  # (n_classes,) or (1,)
    classes_: npt.NDArray[np.int64]
    # scipy multiplies a sparse matrix by a C-ordered dense one only, so `coef.T` (a view in
    # Fortran order) was copied on every call: 3.6 MB and ~2.7 ms for the sentence model.
    _coef_t: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_coef_t", np.ascontiguousarray(self.coef.T))

    @classmethod
    def of(cls, fitted: Any) -> SoftmaxClassifier:
        """The twin of a fitted LogisticRegression (read through its public attributes)."""
        return cls(
            np.ascontiguousarray(fitted.coef_, dtype=np.float64),
            np.asarray(fitted.intercept_, dtype=np.float64),
            np.asarray(fitted.classes_, dtype=np.int64),
        )

    def predict_proba(self, x: Any) -> FloatArray:
        z = _scores(x, self._coef_t) + self.intercept
        if z.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z


@dataclass(frozen=True, eq=False)
class LinearRegressor:
    coef: FloatArray  # (n_features,)
    intercept: float

    @classmethod
    def of(cls, fitted: Any) -> LinearRegressor:
        """The twin of a fitted single-target Ridge."""
        return cls(
            np.ascontiguousarray(fitted.coef_, dtype=np.float64).ravel(),
            float(np.asarray(fitted.intercept_).ravel()[0]),
        )

    def predict(self, x: Any) -> FloatArray:
        return _scores(x, self.coef) + self.intercept
