"""tp's stages on Spark DataFrames, with the results of one machine.

Each function runs one stage of tp on a distributed table through the stage's *mergeable
summary* (``tp_core::Mergeable``: map a partition to a summary, merge summaries, finish once).
Spark does the distributing: ``mapInArrow`` maps each partition to a summary (bytes), a tree
reduce merges them, the driver finishes. tp writes no engine of its own.

- :func:`profiles`: customer profiles from an event table (per-partition profile states).
- :func:`score`: τ̂ of a fitted CATE model for every row (the model broadcast as bytes).
- :func:`ope`: off-policy value of a policy, estimates and normal intervals from merged sums.
- :func:`kmeans_assign` / :func:`kmeans_summary`: fitted K-Means centers applied to every row,
  and the sizes, means and inertia of the assigned table.

How equal to one machine (``docs/scale-out.md`` has the details): :func:`score` and
:func:`kmeans_assign` are row-local, so the same bits; :func:`ope` and :func:`kmeans_summary`
hold exact sums, so the same bits under any partitioning (and :func:`ope` equals
:func:`tp.ope.evaluate` within 1e-12); :func:`profiles` sums decayed floats per customer, so
within a relative 1e-12. Bootstrap intervals are not available here: a replicate resamples the
whole log, which partition sums cannot reproduce.

Requires ``pyspark`` and ``pyarrow`` on the driver and the executors (and this package on the
executors).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._base import features

__all__ = ["kmeans_assign", "kmeans_summary", "ope", "profiles", "score"]


# --- helpers -------------------------------------------------------------------------------------


def _arrow_column(name: str, arr: Any) -> Any:
    """An Arrow array as a column the compiled module takes: float64 / int64 numpy, list of str."""
    import pyarrow as pa  # noqa: PLC0415

    t = arr.type
    if arr.null_count:
        raise ValueError(f"column '{name}' has {arr.null_count} missing values in this partition: impute or drop them")
    if pa.types.is_boolean(t):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)
    if pa.types.is_integer(t):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return [str(v) for v in arr.to_pylist()]
    raise TypeError(f"column '{name}': unsupported type {t}; expected numbers, booleans or strings")


def _batch_columns(batch: Any, names: Optional[Sequence[str]] = None) -> List[Tuple[str, Any]]:
    names = list(batch.schema.names) if names is None else list(names)
    return [(n, _arrow_column(n, batch.column(batch.schema.get_field_index(n)))) for n in names]


def _local_columns(frame: Any) -> List[Tuple[str, Any]]:
    """A small pandas / polars / pyarrow frame (a catalog) as columns, on the driver."""
    import pyarrow as pa  # noqa: PLC0415

    if isinstance(frame, pa.Table):
        table = frame
    elif hasattr(frame, "to_arrow"):
        table = frame.to_arrow()
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    return [(n, _arrow_column(n, table.column(n).combine_chunks())) for n in table.column_names]


def _check_columns(df: Any, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the DataFrame lacks column(s) {missing} (it has {df.columns})")


def _reduce(df: Any, mapper: Any, merge: Any, what: str) -> bytes:
    """Maps each partition to one summary row, merges the rows in a tree; the merged bytes."""
    states = df.mapInArrow(mapper, "state binary").rdd.map(lambda row: bytes(row[0]))
    if states.isEmpty():
        raise ValueError(f"{what}: the DataFrame has no rows")
    return states.treeReduce(merge, depth=2)


def _summarize(batches: Iterator[Any], map_one: Any, merge: Any) -> Iterator[Any]:
    """One partition: each Arrow batch mapped, merged in order; one row of bytes out."""
    import pyarrow as pa  # noqa: PLC0415

    state = None
    for batch in batches:
        s = map_one(batch)
        state = s if state is None else merge(state, s)
    if state is not None:
        yield pa.RecordBatch.from_arrays([pa.array([state], type=pa.binary())], names=["state"])


# --- profiles ------------------------------------------------------------------------------------


def profiles(events_df: Any, catalog: Any, params: Optional[Dict[str, Any]] = None) -> Any:
    """Customer profiles (L1/L2/L3) from a distributed event table, as ``tp profile`` computes them.

    Parameters
    ----------
    events_df : pyspark.sql.DataFrame
        One row per event line: ``customer_id``, ``item_id``, ``day``, ``quantity``, ``value`` and
        optionally ``promo`` (names as in ``params["columns"]``).
    catalog : pandas / polars / pyarrow frame
        The item catalog (small: it goes to every task).
    params : dict or None
        ``tp_profile::ProfileParams`` fields to change (``half_life_days``, ``as_of``, ``weight``,
        ``shrinkage_strength``, ...). Without ``as_of`` the reference day is the latest event day,
        computed first with one aggregate.

    Returns
    -------
    pandas.DataFrame
        One row per customer, the columns of ``tp profile``'s table. Equal to the one-machine
        profiles within a relative 1e-12 (per-customer float sums add in another order).
    """
    from pyspark.sql import functions as F  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    params = dict(params or {})
    p = json.loads(_native.profile_params(json.dumps(params)))
    cols = p["columns"]
    needed = [cols["customer_id"], cols["item_id"], cols["day"], cols["quantity"], cols["value"]]
    _check_columns(events_df, needed, "profiles")
    if cols["promo"] in events_df.columns:
        needed.append(cols["promo"])
    if p.get("as_of") is None:
        latest = events_df.agg(F.max(cols["day"])).collect()[0][0]
        if latest is None:
            raise ValueError("profiles: the events have no rows: nothing to profile")
        p["as_of"] = float(latest)
    p_json = _native.profile_params(json.dumps(p))
    cat = _local_columns(catalog)

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        from tp import _native as nat  # noqa: PLC0415

        return _summarize(
            batches, lambda b: nat.profile_map(_batch_columns(b, needed), cat, p_json), nat.profile_merge
        )

    state = _reduce(events_df.select(*needed), mapper, _native.profile_merge, "profiles")
    out = _native.profile_finish(state, cat, p_json)
    return pd.DataFrame({name: values for name, values in out})


# --- scoring -------------------------------------------------------------------------------------


def _model_parts(model: Any) -> Tuple[str, List[str], List[str]]:
    """``(model JSON, source columns, arm labels)`` of a fitted tp CATE estimator."""
    inner = getattr(model, "_model", None)
    if inner is None or not hasattr(inner, "to_json"):
        raise TypeError(
            f"score: expected a fitted tp CATE estimator (CausalForest, XLearner, ...), got {type(model).__name__}"
        )
    return inner.to_json(), list(model._source_columns), list(inner.arms)


def score(df: Any, model: Any, prefix: str = "tau") -> Any:
    """τ̂ of a fitted CATE model for every row of ``df``, scored where the rows lie.

    The model travels once to every executor (a broadcast of its model file's JSON) and scores each
    Arrow batch with the same code as ``model.effect``: the same bits as scoring on one machine.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Holds the columns the model was fitted on (others pass through).
    model : fitted tp CATE estimator
    prefix : str, default="tau"
        Output column: ``tau`` for two arms, ``tau_<arm>`` per treated arm for more.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df`` with the τ̂ column(s) appended (lazy, like any Spark transformation).
    """
    import pyarrow as pa  # noqa: PLC0415
    from pyspark.sql.types import DoubleType, StructField, StructType  # noqa: PLC0415

    text, source, arms = _model_parts(model)
    _check_columns(df, source, "score")
    names = [prefix] if len(arms) == 2 else [f"{prefix}_{a}" for a in arms[1:]]
    clash = [n for n in names if n in df.columns]
    if clash:
        raise ValueError(f"score: the DataFrame already has column(s) {clash}: pass another prefix")
    schema = StructType(df.schema.fields + [StructField(n, DoubleType(), False) for n in names])
    shipped = df.sparkSession.sparkContext.broadcast(text)

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        from tp import _native as nat  # noqa: PLC0415

        m = nat.Model.from_json(shipped.value)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            cols, _, _ = features(pa.Table.from_batches([batch]).select(source))
            tau, _ = m.predict(cols, False)
            arrays = list(batch.columns) + [pa.array(tau[:, j], type=pa.float64()) for j in range(tau.shape[1])]
            yield pa.RecordBatch.from_arrays(arrays, names=list(batch.schema.names) + names)

    return df.mapInArrow(mapper, schema)


# --- off-policy evaluation -----------------------------------------------------------------------


def ope(
    df: Any,
    action: str,
    reward: str,
    propensity: str,
    policy: str,
    q_hat: Optional[Union[Sequence[str], Dict[str, str]]] = None,
    estimators: Optional[Union[str, Sequence[str]]] = None,
    clip: Optional[float] = None,
    switch_lambda: Optional[float] = None,
    dros_lambda: Optional[float] = None,
    alpha: float = 0.05,
    control: Optional[str] = None,
) -> Dict[str, Any]:
    """Value of a target policy from a distributed log: sums per partition, merged, finished once.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The log.
    action, reward, propensity, policy : str
        Columns: the logged arm, the reward, the logging probability of the logged arm, and the arm
        the evaluated policy plays (same kind of labels as ``action``).
    q_hat : list or dict of str, or None
        Reward-model columns, one per arm: a dict ``{arm label: column}`` or a list in the order of
        the returned ``arms`` (control first). Needed by every estimator but ipw and snipw.
    estimators, clip, alpha, control
        As :func:`tp.ope.evaluate`.
    switch_lambda, dros_lambda : float or None
        Fixed λ of Switch-DR and DRos; ``None`` (the default, as :func:`tp.ope.evaluate` and
        ``tp ope``) lets SLOPE choose from its grid, on the merged sums.

    Returns
    -------
    dict
        ``n``, ``n_arms``, ``alpha``, ``estimates`` (per estimator ``value``, ``se``, ``ci_low``,
        ``ci_high``, ``interval = "normal"``), ``diagnostics``, ``lambdas`` and ``arms``. The same
        bits under any partitioning; equal to :func:`tp.ope.evaluate` within 1e-12.
    """
    needed = [action, reward, propensity, policy]
    _check_columns(df, needed, "ope")
    labels = [r[0] for r in df.select(action).distinct().collect()]
    if not labels:
        raise ValueError("ope: the log has no rows")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels):
        label_col: Any = np.asarray(labels, dtype=np.int64)
    else:
        label_col = [str(v) for v in labels]
    if isinstance(estimators, (list, tuple)):
        estimators = ",".join(estimators)
    arms, context = _native.ope_context(
        [("action", label_col)], control, estimators, q_hat is not None, clip, switch_lambda, dros_lambda, alpha
    )
    q_cols: List[str] = []
    if q_hat is not None:
        if isinstance(q_hat, dict):
            unknown = [a for a in q_hat if str(a) not in arms]
            if unknown or len(q_hat) != len(arms):
                raise ValueError(f"ope: q_hat must name one column per arm {arms}, got keys {list(q_hat)}")
            by_label = {str(a): c for a, c in q_hat.items()}
            q_cols = [by_label[a] for a in arms]
        else:
            q_cols = list(q_hat)
            if len(q_cols) != len(arms):
                raise ValueError(f"ope: q_hat has {len(q_cols)} columns, expected one per arm {arms}")
        _check_columns(df, q_cols, "ope")

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        from tp import _native as nat  # noqa: PLC0415

        def one(batch: Any) -> bytes:
            cols = [(role, _arrow_column(name, batch.column(name))) for role, name in
                    (("action", action), ("reward", reward), ("propensity", propensity), ("policy", policy))]
            for role in ("reward", "propensity"):
                cols = [(r, np.asarray(v, dtype=np.float64) if r == role else v) for r, v in cols]
            q = None
            if q_cols:
                q = np.column_stack([np.asarray(batch.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
                                     for c in q_cols]) if batch.num_rows else np.zeros((0, len(q_cols)))
            return nat.ope_map(cols, q, arms, context)

        return _summarize(batches, one, nat.ope_merge)

    sums = _reduce(df.select(*dict.fromkeys(needed + q_cols)), mapper, _native.ope_merge, "ope")
    report = json.loads(_native.ope_finish(sums, context))
    report["arms"] = arms
    return report


# --- segments ------------------------------------------------------------------------------------


def _centers(centers: Any) -> np.ndarray:
    c = getattr(centers, "cluster_centers_", centers)
    c = np.ascontiguousarray(np.asarray(c, dtype=np.float64))
    if c.ndim != 2:
        raise ValueError(f"centers: expected a (k, d) array, got shape {c.shape}")
    return c


def _matrix(batch: Any, columns: Sequence[str]) -> np.ndarray:
    if batch.num_rows == 0:
        return np.zeros((0, len(columns)))
    return np.column_stack(
        [np.asarray(_arrow_column(c, batch.column(c)), dtype=np.float64) for c in columns]
    )


def kmeans_assign(df: Any, centers: Any, columns: Sequence[str], out: str = "segment") -> Any:
    """The nearest of fitted K-Means ``centers`` for every row of ``df`` (row-local: the labels of
    one machine, whatever the partitioning).

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    centers : array of shape (k, d), or a fitted estimator with ``cluster_centers_``
    columns : list of str
        The ``d`` feature columns, in the centers' order.
    out : str, default="segment"
        Name of the appended label column (int64, 0..k-1).
    """
    import pyarrow as pa  # noqa: PLC0415
    from pyspark.sql.types import LongType, StructField, StructType  # noqa: PLC0415

    c = _centers(centers)
    columns = list(columns)
    if len(columns) != c.shape[1]:
        raise ValueError(f"kmeans_assign: {len(columns)} columns for centers of width {c.shape[1]}")
    _check_columns(df, columns, "kmeans_assign")
    if out in df.columns:
        raise ValueError(f"kmeans_assign: the DataFrame already has a column '{out}': pass another out=")
    schema = StructType(df.schema.fields + [StructField(out, LongType(), False)])

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        from tp import _native as nat  # noqa: PLC0415

        for batch in batches:
            labels, _ = nat.kmeans_assign(_matrix(batch, columns), c)
            yield pa.RecordBatch.from_arrays(
                list(batch.columns) + [pa.array(labels, type=pa.int64())], names=list(batch.schema.names) + [out]
            )

    return df.mapInArrow(mapper, schema)


def kmeans_summary(df: Any, centers: Any, columns: Sequence[str]) -> Dict[str, Any]:
    """Sizes, means (the centers one Lloyd step would move to) and inertia of ``df`` assigned to
    ``centers``: exact sums, so the same bits under any partitioning.

    Returns
    -------
    dict
        ``sizes`` (k ints), ``means`` (k × d array, NaN rows for empty clusters), ``inertia``.
    """
    c = _centers(centers)
    columns = list(columns)
    _check_columns(df, columns, "kmeans_summary")

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        from tp import _native as nat  # noqa: PLC0415

        return _summarize(batches, lambda b: nat.kmeans_assign(_matrix(b, columns), c)[1], nat.kmeans_merge)

    sums = _reduce(df.select(*columns), mapper, _native.kmeans_merge, "kmeans_summary")
    s = json.loads(_native.kmeans_finish(sums, c))
    means = np.array([np.nan if v is None else v for v in s["means"]], dtype=np.float64).reshape(c.shape)
    return {"sizes": s["sizes"], "means": means, "inertia": s["inertia"]}
