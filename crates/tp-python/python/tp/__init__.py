"""tp: targeting and profiling from Python.

Estimators follow scikit-learn's conventions (``__init__`` stores parameters, ``fit`` returns
self, fitted attributes end in ``_``, ``get_params``/``set_params``/``clone``, pickling through
tp's model file format) and run the same Rust code as the ``tp`` command line, with the GIL
released. Inputs: numpy arrays and pandas, polars or pyarrow frames.

- :class:`CausalForest`: grf's honest causal forest, binary or multi-arm.
- :class:`UpliftForest`: uplift random forest for a 0/1 outcome (causalml's criteria).
- :class:`SLearner`, :class:`TLearner`, :class:`XLearner`, :class:`RLearner`,
  :class:`DRLearner`: meta-learners with ``learner="linear" | "rf" | "gbt"``.
- :class:`KMeans`, :class:`NMF`: tp-segment's clustering and factorization (scikit-learn's
  cluster and transformer APIs).
- :func:`profiles`: customer profiles from an event table and a catalog (``tp profile``).
- :mod:`tp.metrics`: Qini, AUUC, uplift@k, RATE.
- :mod:`tp.ope`: off-policy evaluation (``evaluate``) and A/B design (``design``).
"""

from . import metrics, ope
from ._base import NotFittedError
from ._forest import CausalForest, UpliftForest
from ._meta import DRLearner, RLearner, SLearner, TLearner, XLearner
from ._policy import PolicyTree
from ._profile import profiles
from ._run import run
from ._segment import NMF, KMeans

__all__ = [
    "CausalForest",
    "DRLearner",
    "KMeans",
    "NMF",
    "NotFittedError",
    "PolicyTree",
    "RLearner",
    "SLearner",
    "TLearner",
    "UpliftForest",
    "XLearner",
    "metrics",
    "profiles",
    "run",
    "ope",
]
