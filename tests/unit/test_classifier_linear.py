"""The array twins compute what the fitted scikit-learn estimators compute."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, Ridge

from classifier.linear import LinearRegressor, SoftmaxClassifier

_RNG = np.random.default_rng(7)
_SPARSE = sp.random(200, 40, density=0.2, format="csr", random_state=3)
_DENSE = _RNG.normal(size=(120, 16))


@pytest.mark.parametrize(("x", "n_classes"), [(_SPARSE, 3), (_SPARSE, 2), (_DENSE, 3)])
def test_softmax_twin_matches_logistic_regression(x: object, n_classes: int) -> None:
    n_rows = int(x.shape[0])  # type: ignore[attr-defined]
    fitted = LogisticRegression(max_iter=500).fit(x, _RNG.integers(0, n_classes, n_rows))
    twin = SoftmaxClassifier.of(fitted)
    assert np.array_equal(twin.classes_, fitted.classes_)
    np.testing.assert_allclose(twin.predict_proba(x), fitted.predict_proba(x), atol=1e-12)


def test_linear_twin_matches_ridge() -> None:
    fitted = Ridge().fit(_SPARSE, _RNG.normal(size=200))
    np.testing.assert_allclose(
        LinearRegressor.of(fitted).predict(_SPARSE), fitted.predict(_SPARSE), atol=1e-12
    )
