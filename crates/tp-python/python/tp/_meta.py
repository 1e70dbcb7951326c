"""The meta-learners: ``tp.SLearner``, ``TLearner``, ``XLearner``, ``RLearner``, ``DRLearner``."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import numpy as np

from . import _native
from ._cate import CateEstimator


class _MetaLearner(CateEstimator):
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
    _native_fit = staticmethod(_native.meta_fit)
    _min_ints = (("folds", 0), ("bootstrap", 0))
    _no_se_hint = "was fitted without bootstrap replicates: set bootstrap=200 (at least 2) to get intervals"

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

    def _describe(self) -> str:
        return f"the {self._method.upper()}-learner ({self.learner})"

    def _native_args(self) -> Tuple[Any, ...]:
        return (self._method, str(self.learner), self.folds, self.bootstrap)

    def _read(self, out: Dict[str, Any]) -> str:
        self.train_effect_ = self._shape(out["tau"])
        self.train_effect_se_ = None if out["tau_se"] is None else self._shape(out["tau_se"])
        self._set_ate(out["ate"], out["ate_se"], (out["ci_low"], out["ci_high"]))
        one = len(out["ate"]) == 1
        self.att_ = float(out["att"][0]) if one else out["att"]
        self.att_se_ = float(out["att_se"][0]) if one else out["att_se"]
        self.dr_scores_ = out["scores"]
        self.summary_ = json.loads(out["summary"])
        return f"ATE {np.round(out['ate'], 4).tolist()}"


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
