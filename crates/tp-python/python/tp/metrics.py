"""Uplift metrics, as ``tp evaluate`` computes them (scikit-uplift's conventions, grf's RATE).

Every function takes the outcome ``y``, the arm ``T`` (two arms: 0/1, booleans or labels with a
control) and a ``score`` that ranks rows by expected uplift (higher = treat first).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from . import _native
from ._base import check_random_state, outcome_column, treatment_column, vector


def evaluate(
    y: Any,
    T: Any,
    score: Any,
    dr_score: Any = None,
    k: float = 0.3,
    control: Optional[str] = None,
    random_state: Optional[int] = 0,
) -> Dict[str, float]:
    """All of ``tp evaluate``'s metrics of a score.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Outcome.
    T : array-like of shape (n_samples,)
        Arm (two arms).
    score : array-like of shape (n_samples,)
        Predicted uplift (e.g. ``CausalForest.effect(X)`` on held-out rows).
    dr_score : array-like or None, default=None
        Doubly robust scores for RATE on observational data (``dr_scores_[:, 1] - dr_scores_[:, 0]``);
        None treats the data as a randomized experiment.
    k : float, default=0.3
        Share of rows for uplift@k.
    control : str or None
        Control label.
    random_state : int or None, default=0
        Seed of RATE's half-sample bootstrap.

    Returns
    -------
    dict
        ``qini_auc``, ``qini_auc_raw``, ``uplift_auc``, ``uplift_auc_raw``, ``uplift_at_30`` (at ``k``),
        ``rate_autoc``, ``rate_autoc_se``.
    """
    cols = [
        ("T", treatment_column(vector(T, "T")[1])),
        ("y", outcome_column(vector(y, "y")[1])),
        ("score", outcome_column(vector(score, "score")[1])),
    ]
    if dr_score is not None:
        cols.append(("dr_score", outcome_column(vector(dr_score, "dr_score")[1])))
    n = len(cols[0][1])
    for name, v in cols[1:]:
        if len(v) != n:
            raise ValueError(f"{name} has {len(v)} rows but T has {n}: pass one value per row")
    out = _native.evaluate(
        cols,
        "T",
        "y",
        "score",
        None if dr_score is None else "dr_score",
        None if control is None else str(control),
        float(k),
        check_random_state(random_state),
    )
    return json.loads(out["metrics"])


def qini_auc_score(y: Any, T: Any, score: Any) -> float:
    """Qini coefficient normalized by the perfect curve (scikit-uplift's ``qini_auc_score``)."""
    return evaluate(y, T, score)["qini_auc"]


def uplift_auc_score(y: Any, T: Any, score: Any) -> float:
    """Area under the uplift curve normalized by the perfect one (scikit-uplift's ``uplift_auc_score``)."""
    return evaluate(y, T, score)["uplift_auc"]


def uplift_at_k(y: Any, T: Any, score: Any, k: float = 0.3) -> float:
    """Treated minus control mean among the top ``k`` share of rows by score (overall strategy)."""
    return evaluate(y, T, score, k=k)["uplift_at_30"]


def rate(y: Any, T: Any, score: Any, dr_score: Any = None, random_state: Optional[int] = 0) -> Dict[str, float]:
    """RATE (grf's rank-weighted average treatment effect, AUTOC) and its bootstrap standard error.

    Returns
    -------
    dict
        ``{"estimate": ..., "se": ...}``
    """
    m = evaluate(y, T, score, dr_score=dr_score, random_state=random_state)
    return {"estimate": m["rate_autoc"], "se": m["rate_autoc_se"]}
