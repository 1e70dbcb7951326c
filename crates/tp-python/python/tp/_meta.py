"""The meta-learners: ``tp.SLearner``, ``TLearner``, ``XLearner``, ``RLearner``, ``DRLearner``."""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

import numpy as np

from . import _native
from ._base import Timer, check_random_state
from ._forest import _CateEstimator, _normal_quantile


class _MetaLearner(_CateEstimator):
    """A meta-learner over tp-learn base models, as ``tp uplift --method <m> --learner <l>``.

    Parameters
    ----------
    learner : {"linear", "rf", "gbt"}, default="linear"
        Base-learner family for every outcome, propensity and effect model: OLS / logistic
        regression, random forests or gradient boosting (the CLI's ``--learner``).
    folds : int, default=5
        Cross-fitting folds of the nuisances (``--folds``).
    bootstrap : int, default=0
        Bootstrap replicates for the standard error of the effect (``--bootstrap``); with at
        least 2, ``effect_interval`` is available.
    control : str or None, default=None
        Label of the control arm (as the CLI: ``control``, ``0`` or ``false`` when present).
    random_state : int or None, default=0
        Seed (None means 0).
    verbose : int, default=0
        Print what the fit does to stderr.

    Attributes
    ----------
    train_effect_ : ndarray of shape (n_samples,) or (n_samples, n_arms - 1)
        Effect of each training row: the CLI's ``tau`` column(s).
    train_effect_se_ : ndarray or None
        Its bootstrap standard error (``bootstrap >= 2``).
    ate_, ate_se_ : float or ndarray
        Cross-fitted AIPW average effect of each treated arm and its standard error.
    ate_interval_ : tuple
        95% normal interval of ``ate_``.
    att_, att_se_ : float or ndarray
        Average effect on the treated.
    arms_ : list of str
        Arm labels, control first.
    dr_scores_ : ndarray of shape (n_samples, n_arms)
        Cross-fitted AIPW scores (the CLI's ``gamma_<arm>`` columns).
    summary_ : dict
        The ``tp uplift --json`` summary (diagnostics: propensity AUC, overlap, balance).
    """

    _method = ""

    def __init__(
        self,
        learner: str = "linear",
        folds: int = 5,
        bootstrap: int = 0,
        control: Optional[str] = None,
        random_state: Optional[int] = 0,
        verbose: int = 0,
    ) -> None:
        self.learner = learner
        self.folds = folds
        self.bootstrap = bootstrap
        self.control = control
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, T: Any, y: Any) -> "_MetaLearner":
        """Fits the nuisances (cross-fitted) and the effect model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a pandas / polars / pyarrow frame
            Covariates; string columns are one-hot encoded.
        T : array-like of shape (n_samples,)
            Arm of each row: integers 0 (control), 1, 2, ... or labels.
        y : array-like of shape (n_samples,)
            Outcome.

        Returns
        -------
        self
        """
        seed = check_random_state(self.random_state)
        for name in ("folds", "bootstrap"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"{name}={v!r}: expected an int >= 0")
        cols, names, t_name, y_name = self._prepare(X, T, y)
        timer = Timer()
        self._log(f"fitting the {self._method.upper()}-learner ({self.learner}) on {len(cols[0][1])} rows")
        model, out = _native.meta_fit(
            cols,
            names,
            t_name,
            y_name,
            None if self.control is None else str(self.control),
            self._method,
            str(self.learner),
            int(self.folds),
            int(self.bootstrap),
            seed,
        )
        self._model = model
        self.arms_ = list(out["arms"])
        self.train_effect_ = self._shape(out["tau"])
        self.train_effect_se_ = None if out["tau_se"] is None else self._shape(out["tau_se"])
        one = len(out["ate"]) == 1
        pick = (lambda v: float(v[0])) if one else (lambda v: v)
        self.ate_, self.ate_se_ = pick(out["ate"]), pick(out["ate_se"])
        self.ate_interval_ = (pick(out["ci_low"]), pick(out["ci_high"]))
        self.att_, self.att_se_ = pick(out["att"]), pick(out["att_se"])
        self.dr_scores_ = out["scores"]
        self.summary_ = json.loads(out["summary"])
        self._log(f"done in {timer}: ATE {np.round(out['ate'], 4).tolist()}")
        return self

    def effect_interval(self, X: Any, alpha: float = 0.05) -> Tuple[np.ndarray, np.ndarray]:
        """Two-sided normal interval of the effect from the bootstrap replicates.

        Needs ``bootstrap >= 2`` at fit time.

        Parameters
        ----------
        X : array-like or frame
        alpha : float, default=0.05

        Returns
        -------
        lower, upper : ndarrays shaped like ``effect(X)``
        """
        if not (0.0 < alpha < 1.0):
            raise ValueError(f"alpha={alpha}: expected a value in (0, 1), e.g. 0.05 for a 95% interval")
        tau, se = self._predict(X, with_se=True)
        if se is None:
            raise ValueError(
                f"{type(self).__name__} was fitted without bootstrap replicates: "
                "set bootstrap=200 (at least 2) to get intervals"
            )
        z = _normal_quantile(1.0 - alpha / 2.0)
        return self._shape(tau - z * se), self._shape(tau + z * se)


class SLearner(_MetaLearner):
    __doc__ = "S-learner: one outcome model with the arm as a feature.\n\n" + (_MetaLearner.__doc__ or "")
    _method = "s"


class TLearner(_MetaLearner):
    __doc__ = "T-learner: one outcome model per arm.\n\n" + (_MetaLearner.__doc__ or "")
    _method = "t"


class XLearner(_MetaLearner):
    __doc__ = (
        "X-learner (Kunzel et al.): imputed effects regressed on X, weighted by the propensity.\n\n"
        + (_MetaLearner.__doc__ or "")
    )
    _method = "x"


class RLearner(_MetaLearner):
    __doc__ = "R-learner (Nie & Wager): residual-on-residual effect regression.\n\n" + (_MetaLearner.__doc__ or "")
    _method = "r"


class DRLearner(_MetaLearner):
    __doc__ = "DR-learner (Kennedy): doubly robust scores regressed on X.\n\n" + (_MetaLearner.__doc__ or "")
    _method = "dr"
