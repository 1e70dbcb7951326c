"""Shared machinery: scikit-learn's parameter protocol and input conversion.

Inputs become named 1-D columns (float64, int64 or a list of str) that the compiled module turns
into a ``tp_core::Table``. A float64 numpy column that is already contiguous is passed as it is
(no copy on the Python side); pandas, polars and pyarrow columns go through their ``to_numpy``,
which is zero-copy for a numeric column without missing values.
"""

from __future__ import annotations

import inspect
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native

Column = Union[np.ndarray, List[str]]
Columns = List[Tuple[str, Column]]


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator (scikit-learn's class of the same name)."""


_BOTH: Dict[type, type] = {}


def _not_fitted_error() -> type:
    """tp's NotFittedError; once scikit-learn is loaded, a subclass of its NotFittedError too.

    scikit-learn's checks (and code written against it) catch its own class, so an unfitted
    estimator raises an error that both ``except tp.NotFittedError`` and
    ``except sklearn.exceptions.NotFittedError`` catch, without tp importing scikit-learn.
    """
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return NotFittedError
    theirs = sk.NotFittedError
    if theirs not in _BOTH:
        _BOTH[theirs] = type("NotFittedError", (NotFittedError, theirs), {"__module__": __name__})
    return _BOTH[theirs]


class BaseEstimator:
    """scikit-learn's parameter protocol without depending on scikit-learn.

    ``__init__`` stores its arguments as they are; ``get_params``/``set_params`` read and write
    them by name, so ``sklearn.base.clone`` and grid searches work.
    """

    @classmethod
    def _param_names(cls) -> List[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """Parameters of this estimator, by name.

        Parameters
        ----------
        deep : bool, default=True
            Ignored (tp's estimators hold no sub-estimators); kept for scikit-learn.

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "BaseEstimator":
        """Sets parameters by name.

        Returns
        -------
        self
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for estimator {type(self).__name__}: "
                    f"valid parameters are {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k, inspect._empty) != v]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_fitted(self, attr: str) -> None:
        if not hasattr(self, attr):
            raise _not_fitted_error()(
                f"this {type(self).__name__} instance is not fitted yet: call 'fit' with appropriate arguments first"
            )

    def _log(self, message: str) -> None:
        if getattr(self, "verbose", 0):
            print(f"[tp.{type(self).__name__}] {message}", file=sys.stderr, flush=True)


class NativeState(BaseEstimator):
    """Pickling of an estimator that holds compiled objects: each pickles as its JSON text.

    ``_native_state`` maps an attribute name to the compiled class whose ``from_json`` reads the
    text back (``to_json`` writes it), e.g. ``{"_model": tp._native.Model}``.
    """

    _native_state: Dict[str, Any] = {}

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        for attr in self._native_state:
            if attr in state:
                state[attr] = state[attr].to_json()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        for attr, cls in self._native_state.items():
            if attr in state:
                state[attr] = cls.from_json(state[attr])
        self.__dict__.update(state)


def _kind(obj: Any) -> str:
    module = type(obj).__module__.split(".")[0]
    name = type(obj).__name__
    if module == "pandas" and name == "DataFrame":
        return "pandas"
    if module == "polars" and name == "DataFrame":
        return "polars"
    if module == "pyarrow" and name in ("Table", "RecordBatch"):
        return "pyarrow"
    if module == "pandas" and name == "Series":
        return "pandas-series"
    if module == "polars" and name == "Series":
        return "polars-series"
    if module == "pyarrow" and name in ("Array", "ChunkedArray"):
        return "pyarrow-array"
    return "array"


def _series_values(obj: Any, kind: str) -> Any:
    """A 1-D column of a frame library as a numpy array (object dtype for strings)."""
    if kind == "pandas-series":
        dtype = obj.dtype
        if getattr(dtype, "kind", "O") in "fiub" and not _pandas_has_na(obj):
            return obj.to_numpy()
        if getattr(dtype, "kind", "O") in "fiu":
            return obj.to_numpy(dtype=np.float64, na_value=np.nan)
        return obj.to_numpy(dtype=object)
    if kind == "polars-series":
        if obj.dtype.is_numeric() or str(obj.dtype) == "Boolean":
            if obj.null_count() > 0:
                return obj.cast(float).fill_null(float("nan")).to_numpy()
            return obj.to_numpy()
        return np.asarray(obj.to_list(), dtype=object)
    if kind == "pyarrow-array":
        import pyarrow as pa  # noqa: PLC0415 (only when a pyarrow object is given)

        typ = obj.type
        if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ):
            if obj.null_count > 0:
                return np.asarray(obj.to_numpy(zero_copy_only=False), dtype=np.float64)
            return obj.to_numpy() if hasattr(obj, "chunks") else obj.to_numpy(zero_copy_only=False)
        return np.asarray(obj.to_pylist(), dtype=object)
    return np.asarray(obj)


def _pandas_has_na(s: Any) -> bool:
    try:
        return bool(s.isna().any())
    except Exception:  # noqa: BLE001 (an exotic dtype: treat as having none)
        return False


def _frame_columns(X: Any, kind: str) -> List[Tuple[str, Any]]:
    if kind == "pandas":
        return [(str(c), _series_values(X[c], "pandas-series")) for c in X.columns]
    if kind == "polars":
        return [(str(c), _series_values(X[c], "polars-series")) for c in X.columns]
    if kind == "pyarrow":
        return [(str(c), _series_values(X.column(c), "pyarrow-array")) for c in X.column_names]
    raise TypeError(f"not a frame: {type(X).__name__}")


def _as_feature(name: str, values: Any) -> Column:
    """A covariate column: numbers as float64, strings as a list of str."""
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"column '{name}': expected one value per row, got shape {a.shape}")
    if a.dtype.kind in "fiub":
        return np.ascontiguousarray(a, dtype=np.float64)
    if a.dtype.kind in "OUS":
        return string_column("data", name, a)
    raise TypeError(f"column '{name}': unsupported dtype {a.dtype}; expected numbers or strings")


def string_column(source: str, name: str, a: np.ndarray) -> List[str]:
    """A text column as a list of str; a missing value (None, NaN, NA) is an error naming the row."""
    out = []
    for row, v in enumerate(a):
        if v is None or (isinstance(v, float) and np.isnan(v)) or type(v).__name__ == "NAType":
            raise ValueError(f"{source}: column '{name}' row {row} is missing: impute it or drop the row")
        out.append(v.decode() if isinstance(v, bytes) else str(v))
    return out


_POLARS_ARROW = {
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float32", "Float64", "Boolean", "String", "Categorical", "Enum",
}  # fmt: skip


def _arrow_feature(name: str, col: Any, kind: str) -> Optional[Any]:
    """A pyarrow or polars covariate column the compiled module reads through the Arrow C stream
    interface (numbers, booleans, text, categories), or None for the numpy route."""
    if kind == "polars":
        if type(col.dtype).__name__ not in _POLARS_ARROW or not hasattr(col, "__arrow_c_stream__"):
            return None
    else:
        import pyarrow as pa  # noqa: PLC0415 (only when a pyarrow object is given)

        if not hasattr(col, "__arrow_c_stream__"):
            col = pa.chunked_array([col])  # a RecordBatch's column (an Array)
        t = col.type
        text = lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)  # noqa: E731
        number = pa.types.is_integer(t) or pa.types.is_float32(t) or pa.types.is_float64(t) or pa.types.is_boolean(t)
        if not (number or text(t) or (pa.types.is_dictionary(t) and text(t.value_type))):
            return None
    return _native.ArrowColumn(col, len(col))


def features(X: Any, arrow: bool = True) -> Tuple[Columns, str, bool]:
    """The covariate columns of ``X``, its kind and whether the names came from the input.

    numpy arrays (2-D) get the names ``x0, x1, ...``. With ``arrow``, the columns of a pyarrow or polars frame
    that hold numbers, booleans or text reach Rust through the Arrow C stream interface (read in
    place, no Python objects per value); the rest go through numpy.
    """
    kind = _kind(X)
    if arrow and kind in ("polars", "pyarrow"):
        raw = (
            [(str(c), X[c]) for c in X.columns] if kind == "polars" else [(str(c), X.column(c)) for c in X.column_names]
        )
        cols = []
        for n, col in raw:
            imported = _arrow_feature(n, col, kind)
            if imported is None:
                imported = _as_feature(n, _series_values(col, "polars-series" if kind == "polars" else "pyarrow-array"))
            cols.append((n, imported))
        named = True
    elif kind in ("pandas", "polars", "pyarrow"):
        cols = [(n, _as_feature(n, v)) for n, v in _frame_columns(X, kind)]
        named = True
    else:
        a = np.asarray(X)
        if a.ndim != 2:
            raise ValueError(
                f"expected a 2-D array or a data frame of covariates, got an array of shape {a.shape}; "
                "reshape a single feature with X.reshape(-1, 1)"
            )
        if a.dtype.kind not in "fiub":
            cols = [(f"x{j}", _as_feature(f"x{j}", a[:, j])) for j in range(a.shape[1])]
        else:
            a = np.asarray(a, dtype=np.float64, order="F")
            cols = [(f"x{j}", a[:, j]) for j in range(a.shape[1])]
        named = False
    if not cols:
        raise ValueError("data: no covariate columns: X has 0 columns")
    return cols, kind, named


def vector(v: Any, default: str) -> Tuple[str, Any]:
    """A treatment or outcome vector: its name (a Series' name, else ``default``) and values."""
    kind = _kind(v)
    name = default
    if kind in ("pandas-series", "polars-series"):
        if isinstance(getattr(v, "name", None), str) and v.name:
            name = v.name
        values = _series_values(v, kind)
    elif kind == "pyarrow-array":
        values = _series_values(v, kind)
    elif kind in ("pandas", "polars", "pyarrow"):
        cols = _frame_columns(v, kind)
        if len(cols) != 1:
            raise ValueError(f"{default}: expected one column, got {len(cols)}")
        name, values = cols[0]
    else:
        values = np.asarray(v)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(f"{default}: expected a 1-D array, got shape {values.shape}")
    return name, values


def treatment_column(values: Any) -> Column:
    """Arms as the CLI reads them: integers 0 (control), 1, 2, ... or labels (str)."""
    a = np.asarray(values)
    if a.dtype.kind == "b":
        return ["true" if x else "false" for x in a]
    if a.dtype.kind in "iu":
        return np.ascontiguousarray(a, dtype=np.int64)
    if a.dtype.kind == "f":
        whole = np.isfinite(a) & (a == np.round(a))
        if whole.all():
            return np.ascontiguousarray(a, dtype=np.int64)
        return np.ascontiguousarray(a, dtype=np.float64)  # the CLI's message: arms must be labels or integers
    return [("" if x is None else str(x)) for x in a]


def outcome_column(values: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.dtype.kind not in "fiub":
        raise ValueError(f"outcome: expected numbers, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float64)


def role_name(name: str, taken: Sequence[str], fallback: str) -> str:
    if name not in taken:
        return name
    i = 0
    while f"{fallback}_{i}" in taken:
        i += 1
    return fallback if fallback not in taken else f"{fallback}_{i}"


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.start:.1f} s"


def check_random_state(random_state: Optional[int]) -> int:
    if random_state is None:
        return 0
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(
            f"random_state={random_state!r}: expected an int seed (tp is deterministic: None means 0)"
        )
    if random_state < 0:
        raise ValueError(f"random_state={random_state}: expected a seed >= 0")
    return int(random_state)
