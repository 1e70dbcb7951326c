"""``tp.CausalForest`` (grf's honest causal forest) and ``tp.UpliftForest`` (causalml's uplift trees)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    Timer,
    check_random_state,
    features,
    outcome_column,
    role_name,
    treatment_column,
    vector,
)


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist  # noqa: PLC0415

    return NormalDist().inv_cdf(p)


class _CateEstimator(BaseEstimator):
    """What every CATE estimator shares: input handling, ``effect``, pickling."""

    def _prepare(self, X: Any, T: Any, y: Any) -> Tuple[list, list, str, str]:
        cols, _kind, named = features(X)
        names = [n for n, _ in cols]
        t_name, t_values = vector(T, "T")
        y_name, y_values = vector(y, "y")
        t_name = role_name(t_name, names, "T")
        y_name = role_name(y_name, names + [t_name], "y")
        n = len(cols[0][1])
        for what, v in (("T", t_values), ("y", y_values)):
            if len(v) != n:
                raise ValueError(f"{what} has {len(v)} rows but X has {n}: pass one value per row of X")
        all_cols = cols + [(t_name, treatment_column(t_values)), (y_name, outcome_column(y_values))]
        if named:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_in_ = len(names)
        self._source_columns = names
        return all_cols, names, t_name, y_name

    def _predict(self, X: Any, with_se: bool) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        self._check_fitted("_model")
        cols, _kind, _named = features(X)
        names = [n for n, _ in cols]
        if names != self._source_columns:
            raise ValueError(
                f"X has columns {names}, but this {type(self).__name__} was fitted on {self._source_columns}: "
                "pass the same columns in the same order"
            )
        tau, se = self._model.predict(cols, with_se)
        return tau, se

    @staticmethod
    def _shape(m: np.ndarray) -> np.ndarray:
        return m[:, 0] if m.shape[1] == 1 else m

    def effect(self, X: Any) -> np.ndarray:
        """Estimated effect of each treated arm against control for the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a pandas / polars / pyarrow frame
            The covariates, as at fit time (same columns, same order).

        Returns
        -------
        ndarray of shape (n_samples,) for two arms, (n_samples, n_arms - 1) for more
            Column ``k`` is arm ``arms_[k + 1]`` against ``arms_[0]``.
        """
        tau, _ = self._predict(X, with_se=False)
        return self._shape(tau)

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        if "_model" in state:
            state["_model"] = state["_model"].to_json()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        if "_model" in state:
            state = dict(state)
            state["_model"] = _native.Model.from_json(state["_model"])
        self.__dict__.update(state)

    def save_model(self, path: str) -> None:
        """Writes the fitted model in tp's model file format (the file ``tp score --model`` reads).

        Parameters
        ----------
        path : str
            Destination file (written whole or not at all).
        """
        self._check_fitted("_model")
        import os  # noqa: PLC0415
        import tempfile  # noqa: PLC0415

        text = self._model.to_json()
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp-tp-model")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)


class _Forest(_CateEstimator):
    """The forests' little-bags intervals on new rows."""

    def effect_interval(self, X: Any, alpha: float = 0.05) -> Tuple[np.ndarray, np.ndarray]:
        """Two-sided normal interval of the effect at level 1 - alpha (little-bags standard errors).

        Parameters
        ----------
        X : array-like or frame
            Covariates, as at fit time.
        alpha : float, default=0.05
            1 - coverage (EconML's convention).

        Returns
        -------
        lower, upper : ndarrays shaped like ``effect(X)``
        """
        if not (0.0 < alpha < 1.0):
            raise ValueError(f"alpha={alpha}: expected a value in (0, 1), e.g. 0.05 for a 95% interval")
        tau, se = self._predict(X, with_se=True)
        z = _normal_quantile(1.0 - alpha / 2.0)
        return self._shape(tau - z * se), self._shape(tau + z * se)

    def effect_se(self, X: Any) -> np.ndarray:
        """Little-bags standard error of ``effect(X)``."""
        _, se = self._predict(X, with_se=True)
        return self._shape(se)


class CausalForest(_Forest):
    """Honest generalized random forest for heterogeneous treatment effects (grf's causal forest).

    The same estimator as ``tp uplift --method causal-forest``, with the same defaults: locally
    centered (out-of-bag nuisance forests for E[Y|X] and each arm's propensity), subsampled honest
    trees grown in little bags, split rule and leaf size tuned by out-of-bag R-loss when the forest
    has at least 300 trees. Binary or multi-arm: one forest estimates every treated arm against
    control. ``CausalForest(random_state=0).fit(X, T, y).oob_effect_`` equals the ``tau`` column
    of ``tp uplift --method causal-forest --seed 0`` bit for bit.

    Parameters
    ----------
    n_estimators : int, default=2000
        Trees of the causal forest (``--trees``).
    nuisance_trees : int or None, default=None
        Trees of each nuisance forest; None = max(50, n_estimators / 4), grf's rule.
    tune : {"auto", "always", "never"}, default="auto"
        Whether to choose the split rule and leaf size by out-of-bag R-loss (auto: from 300 trees).
    control : str or None, default=None
        Label of the control arm; None = ``"control"``, ``0`` or ``false`` when present, else the
        first label in sorted order (as the CLI).
    random_state : int or None, default=0
        Seed of every random draw (None means 0: results never depend on the clock).
    verbose : int, default=0
        Print what the fit does and how long it took to stderr.

    Attributes
    ----------
    oob_effect_ : ndarray of shape (n_samples,) or (n_samples, n_arms - 1)
        Out-of-bag effect of each training row (grf's convention; a row no tree left out gets the
        whole forest's estimate).
    oob_effect_se_ : ndarray, same shape
        Little-bags standard error of ``oob_effect_``.
    ate_ : float or ndarray of shape (n_arms - 1,)
        Doubly robust average effect of each treated arm.
    ate_se_ : float or ndarray
        Its standard error.
    ate_interval_ : tuple of (float, float) or of two ndarrays
        95% normal interval of ``ate_``.
    arms_ : list of str
        Arm labels, control first.
    feature_importances_ : ndarray of shape (n_features_encoded,)
        grf's split-frequency variable importance.
    dr_scores_ : ndarray of shape (n_samples, n_arms)
        Doubly robust (AIPW) score of every arm per training row.
    arm_outcomes_ : ndarray of shape (n_samples, n_arms)
        Expected outcome of every arm per training row implied by the forest's centering
        nuisances and its effects (the reward model ``tp run`` gives off-policy evaluation).
    tuning_ : dict or None
        What tuning tried and chose.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a frame.

    Examples
    --------
    >>> import numpy as np, tp
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3)); T = rng.integers(0, 2, 2000)
    >>> y = X[:, 0] + T * (1 + X[:, 1]) + rng.normal(size=2000)
    >>> cf = tp.CausalForest(n_estimators=200).fit(X, T, y)
    >>> lo, hi = cf.effect_interval(X[:5], alpha=0.1)
    """

    def __init__(
        self,
        n_estimators: int = 2000,
        nuisance_trees: Optional[int] = None,
        tune: str = "auto",
        control: Optional[str] = None,
        random_state: Optional[int] = 0,
        verbose: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.nuisance_trees = nuisance_trees
        self.tune = tune
        self.control = control
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, T: Any, y: Any) -> "CausalForest":
        """Grows the forest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a pandas / polars / pyarrow frame
            Covariates; string columns are one-hot encoded (first category dropped, as the CLI).
        T : array-like of shape (n_samples,)
            Arm of each row: integers 0 (control), 1, 2, ... or labels.
        y : array-like of shape (n_samples,)
            Outcome.

        Returns
        -------
        self
        """
        seed = check_random_state(self.random_state)
        if not isinstance(self.n_estimators, (int, np.integer)) or self.n_estimators < 1:
            raise ValueError(f"n_estimators={self.n_estimators!r}: expected an int >= 1")
        cols, names, t_name, y_name = self._prepare(X, T, y)
        timer = Timer()
        self._log(f"fitting {self.n_estimators} trees on {len(cols[0][1])} rows x {len(names)} columns")
        model, out = _native.causal_forest_fit(
            cols,
            names,
            t_name,
            y_name,
            None if self.control is None else str(self.control),
            int(self.n_estimators),
            None if self.nuisance_trees is None else int(self.nuisance_trees),
            str(self.tune),
            0.9,
            seed,
        )
        self._model = model
        self.arms_ = list(model.arms)
        self.oob_effect_ = self._shape(out["oob_tau"])
        self.oob_effect_se_ = self._shape(out["oob_se"])
        ate, ate_se = out["ate"], out["ate_se"]
        z = _normal_quantile(0.975)
        if len(ate) == 1:
            self.ate_, self.ate_se_ = float(ate[0]), float(ate_se[0])
            self.ate_interval_ = (self.ate_ - z * self.ate_se_, self.ate_ + z * self.ate_se_)
        else:
            self.ate_, self.ate_se_ = ate, ate_se
            self.ate_interval_ = (ate - z * ate_se, ate + z * ate_se)
        self.feature_importances_ = out["importance"]
        self.dr_scores_ = out["scores"]
        self.arm_outcomes_ = out["mu"]
        import json  # noqa: PLC0415

        self.tuning_ = None if out["tuning"] is None else json.loads(out["tuning"])
        self.n_estimators_ = int(out["trees"])
        self._log(
            f"done in {timer}: {self.n_estimators_} trees, ATE {np.round(ate, 4).tolist()}"
            + (f", {out['filled_rows']} rows without an out-of-bag tree" if out["filled_rows"] else "")
        )
        return self


class UpliftForest(_Forest):
    """Uplift random forest for a 0/1 outcome (causalml's ``UpliftRandomForestClassifier``).

    The same estimator as ``tp uplift --method uplift-forest``, with the same defaults: trees
    split on the divergence between the arms' outcome rates (Rzepakowski and Jaroszewicz's KL,
    squared Euclidean or chi-squared, or contextual treatment selection), causalml's
    normalization and leaf rules, binary or multi-arm. Out-of-bag uplift per training row with
    little-bags standard errors; the trees are not honest, so the intervals are approximate.
    ``UpliftForest(random_state=0).fit(X, T, y).oob_effect_`` equals the ``tau`` column of
    ``tp uplift --method uplift-forest --seed 0`` bit for bit.

    Parameters
    ----------
    n_estimators : int, default=100
        Trees (``--trees``).
    criterion : {"kl", "ed", "chi", "cts"}, default="kl"
        Split criterion (causalml's ``evaluationFunction``; ``--criterion``).
    max_depth : int, default=4
        Split levels (``--max-depth``).
    min_samples_leaf : int, default=100
        Fewest rows in a child (``--min-samples-leaf``).
    min_samples_treatment : int, default=10
        Fewest rows of every arm in a child (``--min-per-arm``).
    max_features : int, default=10
        Features tried at each split (``--max-features``).
    control : str or None, default=None
        Label of the control arm, as for :class:`CausalForest`.
    random_state : int or None, default=0
        Seed of every random draw (None means 0).
    verbose : int, default=0
        Print what the fit does and how long it took to stderr.

    Attributes
    ----------
    oob_effect_ : ndarray of shape (n_samples,) or (n_samples, n_arms - 1)
        Out-of-bag uplift of each training row (a row no tree left out gets the whole forest's).
    oob_effect_se_ : ndarray, same shape
        Its little-bags standard error (approximate).
    mean_uplift_ : float or ndarray of shape (n_arms - 1,)
        Mean of ``oob_effect_``.
    observed_rate_ : ndarray of shape (n_arms,)
        Outcome rate of every arm in the training rows.
    arms_ : list of str
        Arm labels, control first.
    feature_importances_ : ndarray of shape (n_features_encoded,)
        Divergence gain of the splits on each covariate.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a frame.

    Examples
    --------
    >>> import numpy as np, tp
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(4000, 3)); T = rng.integers(0, 2, 4000)
    >>> y = (rng.random(4000) < 0.2 + 0.1 * T * (X[:, 0] > 0)).astype(int)
    >>> uf = tp.UpliftForest(n_estimators=50).fit(X, T, y)
    >>> uf.effect(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        n_estimators: int = 100,
        criterion: str = "kl",
        max_depth: int = 4,
        min_samples_leaf: int = 100,
        min_samples_treatment: int = 10,
        max_features: int = 10,
        control: Optional[str] = None,
        random_state: Optional[int] = 0,
        verbose: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_treatment = min_samples_treatment
        self.max_features = max_features
        self.control = control
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, T: Any, y: Any) -> "UpliftForest":
        """Grows the forest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a pandas / polars / pyarrow frame
            Covariates; string columns are one-hot encoded (first category dropped, as the CLI).
        T : array-like of shape (n_samples,)
            Arm of each row: integers 0 (control), 1, 2, ... or labels.
        y : array-like of shape (n_samples,)
            Outcome, 0 or 1.

        Returns
        -------
        self
        """
        seed = check_random_state(self.random_state)
        for name in ("n_estimators", "max_depth", "min_samples_leaf", "min_samples_treatment", "max_features"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}={value!r}: expected an int >= 1")
        cols, names, t_name, y_name = self._prepare(X, T, y)
        timer = Timer()
        self._log(f"fitting {self.n_estimators} uplift trees on {len(cols[0][1])} rows x {len(names)} columns")
        model, out = _native.uplift_forest_fit(
            cols,
            names,
            t_name,
            y_name,
            None if self.control is None else str(self.control),
            int(self.n_estimators),
            str(self.criterion),
            int(self.max_depth),
            int(self.min_samples_leaf),
            int(self.min_samples_treatment),
            int(self.max_features),
            0.9,
            seed,
        )
        import json  # noqa: PLC0415

        summary = json.loads(out["summary"])
        self._model = model
        self.arms_ = list(model.arms)
        self.oob_effect_ = self._shape(out["oob_tau"])
        self.oob_effect_se_ = self._shape(out["oob_se"])
        mean = np.asarray(summary["mean_uplift"], dtype=np.float64)
        self.mean_uplift_ = float(mean[0]) if len(mean) == 1 else mean
        self.observed_rate_ = np.asarray(summary["observed_rate"], dtype=np.float64)
        self.feature_importances_ = out["importance"]
        self.n_estimators_ = int(summary["trees"])
        self._log(f"done in {timer}: {self.n_estimators_} trees, mean uplift {np.round(mean, 4).tolist()}")
        return self
