"""The one base of tp's CATE estimators (forests and meta-learners).

Every CATE estimator fits the same way: check the seed and the integer parameters, turn
``X, T, y`` into named columns and their roles, call one compiled fit with the GIL released, keep
the model (a ``tp._native.Model``) and its arms. Predictions, intervals, pickling and
``save_model`` go through that model, whatever the method. A subclass states its parameters, the
compiled fit and its arguments, and reads its own results.
"""

from __future__ import annotations

import os
import tempfile
from statistics import NormalDist
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._base import (
    NativeState,
    Timer,
    check_random_state,
    features,
    outcome_column,
    role_name,
    treatment_column,
    vector,
)

#: What the compiled fits take first: (columns, covariate names, treatment name, outcome name,
#: control label or None).
Roles = Tuple[list, list, str, str, Optional[str]]


def normal_quantile(p: float) -> float:
    """The standard normal's ``p``-quantile."""
    return NormalDist().inv_cdf(p)


def _check_alpha(alpha: float) -> None:
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha={alpha}: expected a value in (0, 1), e.g. 0.05 for a 95% interval")


class CateEstimator(NativeState):
    """What every CATE estimator shares: input roles, the compiled fit, effects, pickling.

    Subclasses set ``_native_fit`` (the compiled fit), ``_min_ints`` (integer parameters and
    their least value) and ``_no_se_hint`` (why a fit has no standard errors, if it can lack
    them), and define ``_native_args``, ``_read`` and ``_describe``.
    """

    _native_state = {"_model": _native.Model}
    _min_ints: Sequence[Tuple[str, int]] = ()
    _no_se_hint = ""

    # --- fitting ---------------------------------------------------------------------------------

    def _roles(self, X: Any, T: Any, y: Any) -> Roles:
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
        control = getattr(self, "control", None)
        return all_cols, names, t_name, y_name, None if control is None else str(control)

    def fit(self, X: Any, T: Any, y: Any) -> "CateEstimator":
        """Fits the estimator (the same fit as ``tp uplift`` with this method).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a pandas / polars / pyarrow frame
            Covariates; string columns are one-hot encoded (first category dropped, as the CLI).
        T : array-like of shape (n_samples,)
            Arm of each row: integers 0 (control), 1, 2, ... or labels.
        y : array-like of shape (n_samples,)
            Outcome (0 or 1 for :class:`UpliftForest`).

        Returns
        -------
        self
        """
        seed = check_random_state(self.random_state)
        for name, least in self._min_ints:
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name}={value!r}: expected an int >= {least}")
        roles = self._roles(X, T, y)
        timer = Timer()
        self._log(f"fitting {self._describe()} on {len(roles[0][0][1])} rows x {len(roles[1])} columns")
        model, out = type(self)._native_fit(roles, *self._native_args(), seed)
        self._model = model
        self.arms_ = list(model.arms)
        done = self._read(out)
        self._log(f"done in {timer}: {done}")
        return self

    # what a subclass states: the compiled fit, its arguments after the roles (the seed comes last),
    # and how its results become fitted attributes

    _native_fit: Callable[..., Any]

    def _native_args(self) -> Tuple[Any, ...]:
        raise NotImplementedError

    def _read(self, out: Dict[str, Any]) -> str:
        """Sets the fitted attributes from the compiled fit's dict; returns the verbose summary."""
        raise NotImplementedError

    def _describe(self) -> str:
        return type(self).__name__

    def _set_ate(self, ate: np.ndarray, ate_se: np.ndarray, bounds: Optional[Tuple[Any, Any]] = None) -> None:
        """``ate_``, ``ate_se_`` and ``ate_interval_`` (95% normal unless ``bounds``): floats for one
        treated arm, arrays for several."""
        if bounds is None:
            z = normal_quantile(0.975)
            bounds = (ate - z * ate_se, ate + z * ate_se)
        pick = (lambda v: float(v[0])) if len(ate) == 1 else (lambda v: v)
        self.ate_, self.ate_se_ = pick(ate), pick(ate_se)
        self.ate_interval_ = (pick(bounds[0]), pick(bounds[1]))

    # --- predicting ------------------------------------------------------------------------------

    def _predict(self, X: Any, with_se: bool) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        self._check_fitted("_model")
        cols, _kind, _named = features(X)
        names = [n for n, _ in cols]
        if names != self._source_columns:
            raise ValueError(
                f"X has columns {names}, but this {type(self).__name__} was fitted on {self._source_columns}: "
                "pass the same columns in the same order"
            )
        return self._model.predict(cols, with_se)

    def _predict_se(self, X: Any) -> Tuple[np.ndarray, np.ndarray]:
        tau, se = self._predict(X, with_se=True)
        if se is None:
            raise ValueError(f"{type(self).__name__} {self._no_se_hint}")
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

    def effect_interval(self, X: Any, alpha: float = 0.05) -> Tuple[np.ndarray, np.ndarray]:
        """Two-sided normal interval of the effect at level 1 - alpha.

        The standard errors are the forests' little bags, or a meta-learner's bootstrap replicates
        (fitted with ``bootstrap >= 2``).

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
        _check_alpha(alpha)
        tau, se = self._predict_se(X)
        z = normal_quantile(1.0 - alpha / 2.0)
        return self._shape(tau - z * se), self._shape(tau + z * se)

    def effect_se(self, X: Any) -> np.ndarray:
        """Standard error of ``effect(X)`` (as :meth:`effect_interval`)."""
        _, se = self._predict_se(X)
        return self._shape(se)

    # --- saving ----------------------------------------------------------------------------------

    def save_model(self, path: str) -> None:
        """Writes the fitted model in tp's model file format (the file ``tp score --model`` reads).

        Parameters
        ----------
        path : str
            Destination file (written whole or not at all).
        """
        self._check_fitted("_model")
        text = self._model.to_json()
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp-tp-model")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
