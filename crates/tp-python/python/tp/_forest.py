"""``tp.CausalForest`` (grf's honest causal forest) and ``tp.UpliftForest`` (causalml's uplift trees)."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import numpy as np

from . import _native
from ._cate import CateEstimator


class CausalForest(CateEstimator):
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

    _native_fit = staticmethod(_native.causal_forest_fit)
    _min_ints = (("n_estimators", 1),)

    def _describe(self) -> str:
        return f"{self.n_estimators} trees"

    def _native_args(self) -> Tuple[Any, ...]:
        nuisance = None if self.nuisance_trees is None else int(self.nuisance_trees)
        return (self.n_estimators, nuisance, str(self.tune), 0.9)

    def _read(self, out: Dict[str, Any]) -> str:
        self.oob_effect_ = self._shape(out["oob_tau"])
        self.oob_effect_se_ = self._shape(out["oob_se"])
        self._set_ate(out["ate"], out["ate_se"])
        self.feature_importances_ = out["importance"]
        self.dr_scores_ = out["scores"]
        self.arm_outcomes_ = out["mu"]
        self.tuning_ = None if out["tuning"] is None else json.loads(out["tuning"])
        self.n_estimators_ = int(out["trees"])
        filled = f", {out['filled_rows']} rows without an out-of-bag tree" if out["filled_rows"] else ""
        return f"{self.n_estimators_} trees, ATE {np.round(out['ate'], 4).tolist()}{filled}"


class UpliftForest(CateEstimator):
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

    _native_fit = staticmethod(_native.uplift_forest_fit)
    _min_ints = tuple(
        (name, 1)
        for name in ("n_estimators", "max_depth", "min_samples_leaf", "min_samples_treatment", "max_features")
    )

    def _describe(self) -> str:
        return f"{self.n_estimators} uplift trees"

    def _native_args(self) -> Tuple[Any, ...]:
        return (
            self.n_estimators,
            str(self.criterion),
            self.max_depth,
            self.min_samples_leaf,
            self.min_samples_treatment,
            self.max_features,
            0.9,
        )

    def _read(self, out: Dict[str, Any]) -> str:
        summary = json.loads(out["summary"])
        self.oob_effect_ = self._shape(out["oob_tau"])
        self.oob_effect_se_ = self._shape(out["oob_se"])
        mean = np.asarray(summary["mean_uplift"], dtype=np.float64)
        self.mean_uplift_ = float(mean[0]) if len(mean) == 1 else mean
        self.observed_rate_ = np.asarray(summary["observed_rate"], dtype=np.float64)
        self.feature_importances_ = out["importance"]
        self.n_estimators_ = int(summary["trees"])
        return f"{self.n_estimators_} trees, mean uplift {np.round(mean, 4).tolist()}"
