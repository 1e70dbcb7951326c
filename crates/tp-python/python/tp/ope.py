"""Off-policy evaluation and A/B design, as ``tp ope`` and ``tp design`` compute them."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np

from . import _native
from ._base import check_random_state, outcome_column, treatment_column, vector


def evaluate(
    actions: Any,
    rewards: Any,
    propensity: Any,
    policy: Any,
    q_hat: Optional[Any] = None,
    current: Optional[Any] = None,
    estimators: Optional[Union[str, Sequence[str]]] = None,
    clip: Optional[float] = None,
    switch_lambda: Optional[float] = None,
    dros_lambda: Optional[float] = None,
    bootstrap: int = 0,
    alpha: float = 0.05,
    control: Optional[str] = None,
    random_state: Optional[int] = 0,
) -> Dict[str, Any]:
    """Value of a target policy from logged data, by several estimators with intervals.

    Parameters
    ----------
    actions : array-like of shape (n_samples,)
        Logged arm of each row (integers 0, 1, ... or labels; the control first as the CLI picks it).
    rewards : array-like of shape (n_samples,)
        Observed reward.
    propensity : array-like of shape (n_samples,)
        The logging policy's probability of the logged arm.
    policy : array-like of shape (n_samples,) or (n_samples, n_arms)
        The policy to evaluate: the arm it plays on each row (same kind as ``actions``), or its
        probabilities per arm (columns in ``arms`` order, control first).
    q_hat : array-like of shape (n_samples, n_arms) or None
        Reward model per arm (e.g. a causal forest's ``dr_scores_`` or outcome means); needed by
        every estimator but ipw and snipw.
    current : array-like of shape (n_samples,) or None
        Current practice's arm per row, compared with the policy.
    estimators : str or list of str or None
        Any of ``ipw, snipw, dm, dr, sndr, switch_dr, dros`` (default: all the inputs allow).
    switch_lambda, dros_lambda : float or None, default=None
        Fixed λ of Switch-DR (weight threshold) and DRos (shrinkage), as the CLI's
        ``--switch-lambda`` and ``--dros-lambda``; None (the CLI's default) lets SLOPE choose each
        from 10, 50, ..., 10000, ∞ (the choice is in the result's ``lambdas``).
    clip, bootstrap, alpha, random_state
        As the CLI's ``--clip``, ``--bootstrap``, ``--alpha`` and ``--seed``.
    control : str or None
        Control label.

    Returns
    -------
    dict
        The ``tp ope --json`` summary: ``estimates`` (per estimator ``value``, ``ci_low``,
        ``ci_high``, ...), ``lambdas`` (SLOPE's choices), ``diagnostics`` (effective sample
        size, weights), ``comparisons`` against treat-none, treat-all and current practice,
        ``arms``; and ``skipped``, the comparisons the log cannot support (the CLI warns of
        them on stderr).
    """
    a = treatment_column(vector(actions, "actions")[1])
    cols = [
        ("action", a),
        ("reward", outcome_column(vector(rewards, "rewards")[1])),
        ("propensity", outcome_column(vector(propensity, "propensity")[1])),
    ]
    n = len(a)
    probs = None
    p = np.asarray(policy) if not hasattr(policy, "to_numpy") else policy.to_numpy()
    if p.ndim == 2:
        probs = np.ascontiguousarray(p, dtype=np.float64)
    else:
        cols.append(("policy", _like(a, vector(policy, "policy")[1])))
    if current is not None:
        cols.append(("current", _like(a, vector(current, "current")[1])))
    for name, v in cols[1:]:
        if len(v) != n:
            raise ValueError(f"{name} has {len(v)} rows but the log has {n}: rows must be aligned with the log")
    q = None if q_hat is None else np.ascontiguousarray(np.asarray(q_hat), dtype=np.float64)
    if isinstance(estimators, (list, tuple)):
        estimators = ",".join(estimators)
    out = _native.ope_evaluate(
        cols,
        probs,
        q,
        None if control is None else str(control),
        estimators,
        clip,
        None if switch_lambda is None else float(switch_lambda),
        None if dros_lambda is None else float(dros_lambda),
        int(bootstrap),
        float(alpha),
        check_random_state(random_state),
    )
    return json.loads(out)


def _like(actions: Any, values: Any) -> Any:
    """Policy arms in the same representation as the logged actions."""
    col = treatment_column(values)
    if isinstance(actions, list) and not isinstance(col, list):
        return [str(int(v)) for v in col]
    if not isinstance(actions, list) and isinstance(col, list):
        raise ValueError("policy arms are labels but the logged actions are integers: use the same kind")
    return col


def design(
    mde: Optional[float] = None,
    sd: Optional[float] = None,
    base_rate: Optional[float] = None,
    n: Optional[int] = None,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
) -> Dict[str, Any]:
    """Sample size of the A/B test that detects ``mde`` (or the MDE reachable with ``n`` treated rows).

    Parameters
    ----------
    mde : float or None
        Minimum detectable effect (absolute difference in means).
    sd : float or None
        Standard deviation of a continuous outcome.
    base_rate : float or None
        Base rate of a binary outcome (give ``sd`` or ``base_rate``).
    n : int or None
        Treated rows available: return the MDE instead of a sample size.
    power, alpha, ratio : float
        Power, two-sided level, allocation ratio n_control / n_treated (the CLI's defaults).

    Returns
    -------
    dict
        ``tp design --json``: ``n_treated``, ``n_control``, ``n_total``, ... (or ``mde``).

    Examples
    --------
    >>> tp.ope.design(mde=0.1, sd=1.0)["n_treated"]
    1570
    """
    return json.loads(_native.design(sd, base_rate, mde, n, float(power), float(alpha), float(ratio)))
