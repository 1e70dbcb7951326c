"""``tp.KMeans`` and ``tp.NMF``: tp-segment's clustering and factorization, scikit-learn style.

Both take a numeric matrix (numpy, or a pandas / polars / pyarrow frame of numbers) and follow
scikit-learn's estimator checks: the input is validated with scikit-learn's messages, feature
names are remembered, ``n_features_in_`` is set, and pickles hold only arrays.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _native
from ._base import BaseEstimator, _frame_columns, _kind, check_random_state


def _as_matrix(X: Any, what: str = "X") -> tuple:
    """``X`` as a C-contiguous float64 matrix and its column names (None for an array)."""
    names = None
    kind = _kind(X)
    if kind in ("pandas", "polars", "pyarrow"):
        cols = _frame_columns(X, kind)
        names = [n for n, _ in cols]
        if any(not isinstance(n, str) for n in getattr(X, "columns", [])):
            names = None
        arrays = [np.asarray(v) for _, v in cols]
        for (name, _), a in zip(cols, arrays):
            if a.dtype.kind not in "fiub":
                raise ValueError(f"{what}: column '{name}' is not numeric (dtype {a.dtype}): encode it first")
        X = np.column_stack(arrays) if arrays else np.empty((len(X), 0))
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            "sparse input is not supported: pass a dense array (X.toarray()); "
            "tp segment's sparse NMF is reached through the command line"
        )
    a = np.asarray(X)
    if a.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if a.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {a.ndim}D array instead. Reshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
            "if it contains a single sample."
        )
    try:
        a = np.ascontiguousarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{what}: expected numbers: {e}") from None
    n, d = a.shape
    if n == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={a.shape}) while a minimum of 1 is required.")
    if d == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={a.shape}) while a minimum of 1 is required.")
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        which = "NaN" if np.isnan(a[bad[0], bad[1]]) else "infinity"
        raise ValueError(
            f"Input {what} contains {which} (row {bad[0]}, column {bad[1]}): impute it or drop the row"
        )
    return a, names


class _MatrixEstimator(BaseEstimator):
    """Input checks shared by the matrix estimators (scikit-learn's ``validate_data`` rules)."""

    def _validate(self, X: Any, reset: bool) -> np.ndarray:
        a, names = _as_matrix(X)
        if reset:
            self.n_features_in_ = a.shape[1]
            if names is not None:
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return a
        fitted_names = getattr(self, "feature_names_in_", None)
        if fitted_names is None and names is not None:
            warnings.warn(
                f"X has feature names, but {type(self).__name__} was fitted without feature names",
                UserWarning,
                stacklevel=3,
            )
        elif fitted_names is not None and names is None:
            warnings.warn(
                f"X does not have valid feature names, but {type(self).__name__} was fitted with feature names",
                UserWarning,
                stacklevel=3,
            )
        elif fitted_names is not None and list(names) != list(fitted_names):
            raise ValueError(
                "The feature names should match those that were passed during fit: "
                f"fitted on {list(fitted_names)}, got {list(names)}"
            )
        if a.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {a.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return a

    def _tags(self, **input_tags: Any) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags  # noqa: PLC0415 (only scikit-learn asks)

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
            input_tags=InputTags(**input_tags),
        )


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an int >= {minimum}")
    return int(value)


def _tolerance(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) or not value >= 0:
        raise ValueError(f"tol={value!r}: expected a number >= 0")
    return float(value)


class KMeans(_MatrixEstimator):
    """K-Means clustering (tp-segment's engine behind ``tp segment``).

    Greedy k-means++ seeding, Hamerly's or Lloyd's iterations with scikit-learn's convergence
    rule (strict when no label changes, else the squared center shift against ``tol`` times the
    mean feature variance), parallel seeded restarts, and results identical at any thread count.
    From the same initial centers, labels, centers and inertia agree with scikit-learn's to 1e-9.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    n_init : int, default=10
        Restarts from different k-means++ seeds; the lowest inertia is kept.
    max_iter : int, default=300
        Iterations per restart (mini-batch: epochs).
    tol : float, default=1e-4
        Relative tolerance on the squared center shift.
    algorithm : {"hamerly", "lloyd", "minibatch"}, default="hamerly"
        Hamerly and Lloyd give the same result (up to exact distance ties); mini-batch
        (Sculley 2010) is approximate and cheaper for very large n.
    batch_size : int, default=1024
        Rows per mini-batch (``algorithm="minibatch"`` only).
    random_state : int or None, default=0
        Seed (None means 0: results never depend on the clock).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,), int64
    inertia_ : float
        Sum of (weighted) squared distances to the nearest center.
    n_iter_ : int
        Iterations of the kept restart.
    converged_ : bool
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a frame.

    Examples
    --------
    >>> import numpy as np, tp
    >>> X = np.r_[np.zeros((20, 2)), np.ones((20, 2)) * 5] + np.random.default_rng(0).normal(size=(40, 2)) * 0.1
    >>> km = tp.KMeans(n_clusters=2).fit(X)
    >>> sorted(np.bincount(km.labels_))
    [20, 20]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        n_init: int = 10,
        max_iter: int = 300,
        tol: float = 1e-4,
        algorithm: str = "hamerly",
        batch_size: int = 1024,
        random_state: Optional[int] = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.algorithm = algorithm
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        """Clusters the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a frame of numbers
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights (None: all 1).

        Returns
        -------
        self
        """
        a = self._validate(X, reset=True)
        k = _positive_int("n_clusters", self.n_clusters)
        if a.shape[0] < k:
            raise ValueError(f"n_samples={a.shape[0]} should be >= n_clusters={k}.")
        w = None
        if sample_weight is not None:
            w = np.ascontiguousarray(np.asarray(sample_weight, dtype=np.float64).reshape(-1))
            if len(w) != a.shape[0]:
                raise ValueError(f"sample_weight has {len(w)} values but X has {a.shape[0]} rows")
            bad = np.flatnonzero(~(np.isfinite(w) & (w >= 0)))
            if len(bad):
                raise ValueError(f"sample_weight[{bad[0]}] = {w[bad[0]]}: expected a finite weight >= 0")
            if np.count_nonzero(w) < k:
                raise ValueError(
                    f"sample_weight: {np.count_nonzero(w)} rows have a weight above zero, but "
                    f"n_clusters={k} needs at least {k}"
                )
        out = _native.kmeans_fit(
            a,
            k,
            _positive_int("n_init", self.n_init),
            _positive_int("max_iter", self.max_iter),
            _tolerance(self.tol),
            check_random_state(self.random_state),
            str(self.algorithm),
            _positive_int("batch_size", self.batch_size),
            w,
        )
        self.cluster_centers_ = out["centers"]
        self.labels_ = out["labels"]
        self.inertia_ = float(out["inertia"])
        self.n_iter_ = int(out["n_iter"])
        self.converged_ = bool(out["converged"])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The nearest center of every row of ``X`` (int64)."""
        self._check_fitted("cluster_centers_")
        a = self._validate(X, reset=False)
        return _native.kmeans_predict(np.ascontiguousarray(self.cluster_centers_), a)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """``fit(X)`` and the training rows' labels."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of every row of ``X`` to every center, (n_samples, n_clusters)."""
        self._check_fitted("cluster_centers_")
        a = self._validate(X, reset=False)
        c = self.cluster_centers_
        d2 = (a * a).sum(1)[:, None] - 2.0 * a @ c.T + (c * c).sum(1)[None, :]
        return np.sqrt(np.maximum(d2, 0.0))

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """``fit(X)`` and the training rows' distances to the centers."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        """Minus the sum of squared distances of the rows of ``X`` to their nearest center."""
        return -float(np.min(self.transform(X), axis=1).__pow__(2).sum())

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags  # noqa: PLC0415

        tags = self._tags()
        tags.estimator_type = "clusterer"
        tags.transformer_tags = TransformerTags()
        return tags


class NMF(_MatrixEstimator):
    """Non-negative matrix factorization X ≈ W H (tp-segment's engine behind ``tp segment``).

    HALS / coordinate descent with extrapolation (Frobenius) or multiplicative updates
    (Frobenius or Kullback-Leibler), NNDSVD(a/ar) or random start. ``reconstruction_err_`` is on
    scikit-learn's scale; ``transform`` solves for W with H fixed under the same rules.

    Parameters
    ----------
    n_components : int or None, default=None
        Rank k; None = the number of features.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random"}, default="nndsvda"
    solver : {"cd", "mu"}, default="cd"
    beta_loss : {"frobenius", "kullback-leibler"}, default="frobenius"
        Kullback-Leibler needs ``solver="mu"``.
    tol : float, default=1e-5
        Relative change of the objective that stops the iterations.
    max_iter : int, default=500
    random_state : int or None, default=0
        Seed of the random start (None means 0).
    alpha_W : float, default=0.0
        Penalty on W (``solver="mu"`` only: tp's coordinate descent stops on the unpenalized
        error and is refused with a penalty), scaled as scikit-learn's (by the number of
        features): the objective adds
        ``alpha_W * n_features * (l1_ratio * ||W||_1 + 0.5 * (1 - l1_ratio) * ||W||_F^2)``.
    alpha_H : float or "same", default="same"
        Penalty on H, scaled by the number of samples; "same" takes ``alpha_W``.
    l1_ratio : float, default=0.0
        Share of L1 in both penalties (0: L2 only, 1: L1 only, sparse factors).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        H.
    n_components_ : int
    reconstruction_err_ : float
        ‖X − WH‖_F (Frobenius) or √(2·D_KL(X‖WH)).
    explained_variance_ : float
        1 − ‖X − WH‖²_F / ‖X − X̄‖²_F.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a frame.

    Examples
    --------
    >>> import numpy as np, tp
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((100, 2)) @ rng.random((2, 6))
    >>> nmf = tp.NMF(n_components=2)
    >>> W = nmf.fit_transform(X)
    >>> bool(nmf.explained_variance_ > 0.99)
    True
    """

    def __init__(
        self,
        n_components: Optional[int] = None,
        init: str = "nndsvda",
        solver: str = "cd",
        beta_loss: str = "frobenius",
        tol: float = 1e-5,
        max_iter: int = 500,
        random_state: Optional[int] = 0,
        alpha_W: float = 0.0,
        alpha_H: Union[float, str] = "same",
        l1_ratio: float = 0.0,
    ) -> None:
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio

    def _settings(self) -> tuple:
        return (
            str(self.beta_loss),
            str(self.solver),
            str(self.init),
            _positive_int("max_iter", self.max_iter),
            _tolerance(self.tol),
            check_random_state(self.random_state),
            self._penalties(),
        )

    def _penalties(self) -> Tuple[float, float, float]:
        """``(alpha_W, alpha_H, l1_ratio)`` as numbers (``alpha_H="same"`` is ``alpha_W``)."""
        values = {}
        for name in ("alpha_W", "alpha_H", "l1_ratio"):
            v = getattr(self, name)
            if name == "alpha_H" and isinstance(v, str):
                if v != "same":
                    raise ValueError(f"alpha_H={v!r}: expected a float >= 0 or 'same' (alpha_H = alpha_W)")
                v = values["alpha_W"]
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name}={v!r}: expected a number")
            values[name] = float(v)
        if (values["alpha_W"] > 0 or values["alpha_H"] > 0) and self.solver == "cd":
            raise ValueError(
                "alpha_W / alpha_H with solver='cd' are not supported: tp's coordinate descent stops "
                "on the unpenalized error and ends at a worse penalized objective than scikit-learn's; "
                "use solver='mu' (the same objective as scikit-learn's)"
            )
        return values["alpha_W"], values["alpha_H"], values["l1_ratio"]

    def _fit(self, X: Any) -> np.ndarray:
        a = self._validate(X, reset=True)
        if (a < 0).any():
            i, j = np.argwhere(a < 0)[0]
            raise ValueError(
                f"Negative values in data passed to NMF (row {i}, column {j}: {a[i, j]}): "
                "NMF needs X >= 0; shift or clip the column"
            )
        k = a.shape[1] if self.n_components is None else _positive_int("n_components", self.n_components)
        out = _native.nmf_fit(a, k, *self._settings())
        self.components_ = out["h"]
        self.n_components_ = int(self.components_.shape[0])
        self.reconstruction_err_ = float(out["reconstruction_err"])
        self.explained_variance_ = float(out["explained_variance"])
        self.n_iter_ = int(out["n_iter"])
        self.converged_ = bool(out["converged"])
        return out["w"]

    def fit(self, X: Any, y: Any = None) -> "NMF":
        """Factorizes ``X`` (n_samples, n_features), X >= 0.

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Factorizes ``X`` and returns W, (n_samples, n_components)."""
        return self._fit(X)

    def transform(self, X: Any) -> np.ndarray:
        """W for the rows of ``X`` with the components fixed, (n_samples, n_components)."""
        self._check_fitted("components_")
        a = self._validate(X, reset=False)
        if (a < 0).any():
            i, j = np.argwhere(a < 0)[0]
            raise ValueError(f"Negative values in data passed to NMF.transform (row {i}, column {j}: {a[i, j]})")
        return _native.nmf_transform(np.ascontiguousarray(self.components_), a, *self._settings())

    def inverse_transform(self, W: Any) -> np.ndarray:
        """W H: the data the loadings ``W`` stand for, (n_samples, n_features)."""
        self._check_fitted("components_")
        return np.asarray(W, dtype=np.float64) @ self.components_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output names ``nmf0, nmf1, ...``."""
        self._check_fitted("components_")
        return np.asarray([f"nmf{i}" for i in range(self.n_components_)], dtype=object)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags  # noqa: PLC0415

        tags = self._tags(positive_only=True)
        tags.transformer_tags = TransformerTags()
        return tags
