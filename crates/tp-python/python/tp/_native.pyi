"""Type stubs of the compiled module ``tp._native`` (see ``crates/tp-python/src``)."""

from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from numpy.typing import NDArray

Column = Union[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_], List[str]]
Columns = List[Tuple[str, Column]]
#: (columns, covariate names in order, treatment column, outcome column, control label or None)
Roles = Tuple[Columns, List[str], str, str, Optional[str]]

class Model:
    """A fitted CATE model in tp's model file format."""

    @staticmethod
    def from_json(text: str) -> "Model": ...
    def to_json(self) -> str: ...
    @property
    def features(self) -> List[str]: ...
    @property
    def arms(self) -> List[str]: ...
    def predict(
        self, cols: Columns, with_se: bool
    ) -> Tuple[NDArray[np.float64], Optional[NDArray[np.float64]]]: ...

def causal_forest_fit(
    roles: Roles,
    n_trees: int,
    nuisance_trees: Optional[int],
    tune: str,
    level: float,
    seed: int,
) -> Tuple[Model, Dict[str, Any]]: ...

def profiles(
    events: Columns,
    catalog: Columns,
    half_life_days: float,
    as_of: Optional[float],
    shrinkage: float,
    weight: str,
    chunk_rows: int,
) -> Columns: ...

def uplift_forest_fit(
    roles: Roles,
    n_trees: int,
    criterion_name: str,
    max_depth: int,
    min_samples_leaf: int,
    min_per_arm: int,
    max_features: int,
    level: float,
    seed: int,
) -> Tuple[Model, Dict[str, Any]]: ...
def kmeans_fit(
    x: NDArray[np.float64],
    k: int,
    n_init: int,
    max_iter: int,
    tol: float,
    seed: int,
    algorithm_name: str,
    batch_size: int,
    sample_weight: Optional[NDArray[np.float64]],
) -> Dict[str, Any]: ...
def kmeans_predict(centers: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.int64]: ...
def nmf_fit(
    x: NDArray[np.float64],
    k: int,
    beta_loss: str,
    solver: str,
    init: str,
    max_iter: int,
    tol: float,
    seed: int,
    penalties: Tuple[float, float, float],
) -> Dict[str, Any]: ...
def nmf_transform(
    h: NDArray[np.float64],
    x: NDArray[np.float64],
    beta_loss: str,
    solver: str,
    init: str,
    max_iter: int,
    tol: float,
    seed: int,
    penalties: Tuple[float, float, float],
) -> NDArray[np.float64]: ...
def meta_fit(
    roles: Roles,
    method_name: str,
    learner_name: str,
    folds: int,
    bootstrap: int,
    seed: int,
) -> Tuple[Model, Dict[str, Any]]: ...
def evaluate(
    cols: Columns,
    treatment: str,
    outcome: str,
    score: str,
    dr_score: Optional[str],
    control: Optional[str],
    k: float,
    seed: int,
) -> Dict[str, Any]: ...
def ope_evaluate(
    cols: Columns,
    policy_probs: Optional[NDArray[np.float64]],
    q_hat: Optional[NDArray[np.float64]],
    control: Optional[str],
    estimators: Optional[str],
    clip: Optional[float],
    switch_lambda: Optional[float],
    dros_lambda: Optional[float],
    bootstrap: int,
    alpha: float,
    seed: int,
) -> str: ...
def design(
    sd: Optional[float],
    base_rate: Optional[float],
    mde: Optional[float],
    n: Optional[int],
    power: float,
    alpha: float,
    ratio: float,
) -> str: ...

class Tree:
    """A fitted policy tree."""

    @staticmethod
    def from_json(text: str) -> "Tree": ...
    def to_json(self) -> str: ...
    def predict(self, x: NDArray[np.float64]) -> NDArray[np.int64]: ...

def policy_tree_fit(
    x: NDArray[np.float64],
    rewards: NDArray[np.float64],
    feature_names: List[str],
    arm_labels: List[str],
    depth: int,
    min_node_size: int,
    max_bins: int,
) -> Tree: ...

def run_config(config_path: str, out: str, verbose: bool) -> str: ...
