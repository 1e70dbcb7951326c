"""``tp.profiles``: customer profiles (L1/L2/L3) from an event table and a catalog, as ``tp profile``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, List, Optional, Tuple

import numpy as np

from . import _native
from ._base import _frame_columns, _kind, string_column

_TABLE_KINDS = ("pandas", "polars", "pyarrow", "numpy", "dict")


def _table_kind(obj: Any) -> str:
    kind = _kind(obj)
    if kind in ("pandas", "polars", "pyarrow"):
        return kind
    if isinstance(obj, np.ndarray) and obj.dtype.names is not None:
        return "numpy"
    if isinstance(obj, Mapping):
        return "dict"
    raise TypeError(
        f"expected a table: a pandas, polars or pyarrow frame, a numpy structured array or a dict of "
        f"1-D arrays, got {type(obj).__name__}"
    )


def _cell_column(source: str, name: str, values: Any) -> Any:
    """One column as the compiled module takes it, keeping its type as ``tp_io`` reads a file:
    integers as int64, floats as float64, booleans as bool, text as a list of str."""
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{source}: column '{name}': expected one value per row, got shape {a.shape}")
    if a.dtype.kind == "b":
        return np.ascontiguousarray(a, dtype=np.bool_)
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{source}: column '{name}' holds integers above 2^63 - 1: tp reads 64-bit signed integers")
        return np.ascontiguousarray(a, dtype=np.int64)
    if a.dtype.kind == "f":
        return np.ascontiguousarray(a, dtype=np.float64)
    if a.dtype.kind in "OUS":
        return string_column(source, name, a)
    raise TypeError(
        f"{source}: column '{name}': unsupported dtype {a.dtype}; expected integers, floats, booleans or strings"
    )


def _table_columns(obj: Any, source: str) -> Tuple[List[Tuple[str, Any]], str]:
    """The named columns of a table input and its kind."""
    kind = _table_kind(obj)
    if kind in ("pandas", "polars", "pyarrow"):
        pairs = _frame_columns(obj, kind)
    elif kind == "numpy":
        pairs = [(str(n), obj[n]) for n in obj.dtype.names]
    else:
        pairs = [(str(n), v) for n, v in obj.items()]
    return [(n, _cell_column(source, n, v)) for n, v in pairs], kind


def _to_kind(cols: List[Tuple[str, Any]], kind: str) -> Any:
    """``(name, column)`` pairs as a table of ``kind`` (the input's)."""
    arrays = {n: (np.asarray(v, dtype=object) if isinstance(v, list) else v) for n, v in cols}
    if kind == "pandas":
        import pandas as pd  # noqa: PLC0415

        return pd.DataFrame(arrays)
    if kind == "polars":
        import polars as pl  # noqa: PLC0415

        return pl.DataFrame({n: (list(v) if v.dtype == object else v) for n, v in arrays.items()})
    if kind == "pyarrow":
        import pyarrow as pa  # noqa: PLC0415

        return pa.table({n: (pa.array(list(v), pa.string()) if v.dtype == object else v) for n, v in arrays.items()})
    if kind == "numpy":
        n_rows = len(next(iter(arrays.values()))) if arrays else 0
        out = np.empty(n_rows, dtype=[(n, v.dtype) for n, v in arrays.items()])
        for n, v in arrays.items():
            out[n] = v
        return out
    return arrays


def profiles(
    events: Any,
    catalog: Any,
    *,
    half_life_days: float = 90.0,
    as_of: Optional[float] = None,
    shrinkage: float = 5.0,
    weight: str = "spend",
    chunk_rows: int = 1 << 20,
) -> Any:
    """Customer profiles from an event log and a catalog: ``tp profile``, from Python.

    The same code and defaults as ``tp profile --events E --catalog C --out P``: one row per
    customer with the L1 (hierarchy shares), L2 (perceived attributes) and L3 (behavior: recency,
    frequency, spend, promo share, trend) columns, time-decayed and shrunk toward the population
    mix. On the same table and parameters the numbers equal the CLI's output bit for bit.

    Parameters
    ----------
    events : pandas / polars / pyarrow frame, numpy structured array or dict of 1-D arrays
        One row per event line: ``customer_id`` and ``item_id`` (integers), ``day``,
        ``quantity``, ``value`` (numbers) and optionally ``promo`` (bool or 0/1).
    catalog : frame, structured array or dict, as ``events``
        ``item_id`` and the item attributes: string columns are categorical
        (``department`` → ``commodity`` → ``sub_commodity`` a hierarchy), 0/1 columns
        perceived L2 attributes, other numbers numeric attributes.
    half_life_days : float, default=90.0
        Half-life of an event's weight, in days (``--half-life-days``).
    as_of : float or None, default=None
        Day the profiles describe; None = the last event day (``--as-of``). Later events are
        ignored (and counted).
    shrinkage : float, default=5.0
        Strength of the shrinkage toward the population mix, in events (``--shrinkage``).
    weight : {"spend", "count"}, default="spend"
        Spend- or count-weighted shares (``--weight``).
    chunk_rows : int, default=1048576
        Event rows aggregated at a time (``--chunk-rows``). Without ``as_of``, each chunk moves
        the reference day to its latest day, so equal chunking gives the CLI's bits.

    Returns
    -------
    table of the kind of ``events``
        One row per customer (sorted by ``customer_id``): a pandas, polars or pyarrow frame, a
        numpy structured array, or a dict of numpy arrays.

    Raises
    ------
    ValueError
        Bad input, with the CLI's message naming the table (``events`` or ``catalog``), the
        column and the row.

    Examples
    --------
    >>> import pandas as pd, tp
    >>> events = pd.read_csv("testdata/profile/events.csv")
    >>> catalog = pd.read_csv("testdata/profile/catalog.csv")
    >>> prof = tp.profiles(events, catalog, half_life_days=60)
    >>> prof.shape[0] == events["customer_id"].nunique()
    True
    """
    if weight not in ("spend", "count"):
        raise ValueError(f"weight={weight!r}: expected 'spend' or 'count' (the CLI's --weight)")
    if isinstance(chunk_rows, (bool, np.bool_)) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows={chunk_rows!r}: expected an int >= 1")
    ev_cols, kind = _table_columns(events, "events")
    cat_cols, _ = _table_columns(catalog, "catalog")
    out = _native.profiles(
        ev_cols,
        cat_cols,
        float(half_life_days),
        None if as_of is None else float(as_of),
        float(shrinkage),
        weight,
        int(chunk_rows),
    )
    return _to_kind(out, kind)
