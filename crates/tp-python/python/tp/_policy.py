"""``tp.PolicyTree``: whom to give which arm, as a shallow tree on the covariates."""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np

from . import _native
from ._base import NativeState, features


class PolicyTree(NativeState):
    """Depth-limited policy tree (Athey & Wager): the tree on X whose leaves assign the arm with
    the largest summed reward, found by exact search up to depth 2 (greedy deeper), as
    ``tp policy --tree-depth``.

    Parameters
    ----------
    depth : int, default=2
        Tree depth.
    min_node_size : int, default=1
        Fewest rows per leaf.
    max_bins : int, default=64
        Candidate thresholds per feature (quantile bins).

    Attributes
    ----------
    arms_ : list of str
        Reward column labels (a frame's columns, else ``"0", "1", ...``).
    value_ : float
        Mean reward of the tree's assignment on the training rows (in-sample).
    tree_ : dict
        The fitted tree (nodes with feature names and thresholds, diagnostics).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a frame.

    Examples
    --------
    >>> cf = tp.CausalForest().fit(X, T, y)
    >>> rewards = cf.dr_scores_ - np.array([0.0, cost])     # net value of each arm per row
    >>> pt = tp.PolicyTree(depth=2).fit(X, rewards)
    >>> arm = pt.predict(X_new)                               # index into pt.arms_
    """

    _native_state = {"_tree": _native.Tree}

    def __init__(self, depth: int = 2, min_node_size: int = 1, max_bins: int = 64) -> None:
        self.depth = depth
        self.min_node_size = min_node_size
        self.max_bins = max_bins

    def _matrix(self, X: Any) -> tuple:
        cols, _kind, named = features(X, arrow=False)
        for name, c in cols:
            if isinstance(c, list):
                raise ValueError(f"column '{name}' holds strings: a policy tree splits on numbers; one-hot encode it first")
        return np.column_stack([c for _, c in cols]).astype(np.float64), [n for n, _ in cols], named

    def fit(self, X: Any, rewards: Any) -> "PolicyTree":
        """Learns the tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or a numeric frame
        rewards : array-like of shape (n_samples, n_arms) or a frame
            Reward of each arm per row, e.g. a CATE estimator's ``dr_scores_`` minus each arm's cost.

        Returns
        -------
        self
        """
        x, names, named = self._matrix(X)
        if hasattr(rewards, "columns"):
            labels = [str(c) for c in rewards.columns]
            r = np.asarray(rewards.to_numpy() if hasattr(rewards, "to_numpy") else rewards, dtype=np.float64)
        else:
            r = np.asarray(rewards, dtype=np.float64)
            labels = [str(k) for k in range(r.shape[1])] if r.ndim == 2 else []
        if r.ndim != 2 or r.shape[0] != x.shape[0]:
            raise ValueError(f"rewards: expected shape ({x.shape[0]}, n_arms), got {r.shape}")
        self._tree = _native.policy_tree_fit(
            np.ascontiguousarray(x), np.ascontiguousarray(r), names, labels, int(self.depth), int(self.min_node_size), int(self.max_bins)
        )
        self.arms_ = labels
        self.tree_ = json.loads(self._tree.to_json())
        self.value_ = float(np.mean(r[np.arange(len(r)), self._tree.predict(np.ascontiguousarray(x))]))
        self._names = names
        self.n_features_in_ = len(names)
        if named:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Arm index (into ``arms_``) for every row of ``X``."""
        self._check_fitted("_tree")
        x, names, _ = self._matrix(X)
        if names != self._names:
            raise ValueError(f"X has columns {names}, but this PolicyTree was fitted on {self._names}")
        return self._tree.predict(np.ascontiguousarray(x))
