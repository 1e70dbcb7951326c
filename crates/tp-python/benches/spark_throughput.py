"""Per-core throughput of tp.spark's map steps (what each Spark task runs), measured in one
process on one thread, and the end-to-end time of the tp.spark functions on local[2].

Run from the repository root with the package installed (a release build) and pyspark present:

    RAYON_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python crates/tp-python/benches/spark_throughput.py

Prints one line per stage: rows, seconds (best of 2), rows per second per core.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import pyarrow as pa

import tp
import tp.spark
from tp import _native


def best(f, reps=2):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def report(stage, n, secs):
    print(f"{stage:34s} {n:>10,d} rows {secs:8.3f} s  {n / secs:>12,.0f} rows/s/core", flush=True)


def main():
    rng = np.random.default_rng(1)
    # profiles: 1M event lines, 50k customers, 500 items in 3 hierarchy columns
    n_ev, n_items = 1_000_000, 500
    catalog = pa.table(
        {
            "item_id": np.arange(n_items, dtype=np.int64),
            "department": [f"D{i % 12}" for i in range(n_items)],
            "commodity": [f"C{i % 60}" for i in range(n_items)],
            "base_price": rng.uniform(0.5, 9.0, n_items),
            "healthy": (np.arange(n_items) % 2).astype(np.int64),
        }
    )
    events = {
        "customer_id": rng.integers(0, 50_000, n_ev).astype(np.int64),
        "item_id": rng.integers(0, n_items, n_ev).astype(np.int64),
        "day": rng.integers(0, 700, n_ev).astype(np.int64),
        "quantity": rng.integers(1, 4, n_ev).astype(np.float64),
        "value": np.round(rng.uniform(0.5, 30.0, n_ev), 2),
        "promo": rng.integers(0, 2, n_ev).astype(np.int64),
    }
    ev_cols = list(events.items())
    cat_cols = tp.spark._local_columns(catalog)
    params = _native.profile_params(json.dumps({"as_of": 700.0}))
    state = None

    def prof():
        nonlocal state
        state = _native.profile_map(ev_cols, cat_cols, params)

    report("profiles: map (state of 1 part)", n_ev, best(prof))

    # score: a T-learner (linear) and an X-learner (gbt) on 10 covariates
    n_fit, n_score, d = 20_000, 1_000_000, 10
    X = rng.normal(size=(n_fit, d))
    t = rng.integers(0, 2, n_fit)
    y = X[:, 0] + t * (X[:, 1] > 0) + rng.normal(size=n_fit)
    Z = np.asfortranarray(rng.normal(size=(n_score, d)))
    cols = [(f"x{j}", np.ascontiguousarray(Z[:, j])) for j in range(d)]
    for name, est in (("linear T-learner", tp.TLearner(learner="linear")), ("gbt X-learner", tp.XLearner(learner="gbt"))):
        est.fit(X, t, y)
        m = est._model
        report(f"score: {name}", n_score, best(lambda: m.predict(cols, False)))

    # ope: 1M log rows, 3 arms, all seven estimators with fixed λ, and with SLOPE's grid
    n = 1_000_000
    x = rng.random(n)
    p0 = 0.2 + 0.5 * x
    a = np.where(rng.random(n) < p0, 0, rng.integers(1, 3, n))
    prop = np.where(a == 0, p0, (1 - p0) / 2)
    arms = np.array(["control", "email", "sms"])
    cols = [
        ("action", list(arms[a])),
        ("reward", a * (x - 0.4) + rng.normal(size=n)),
        ("propensity", prop),
        ("policy", list(arms[np.where(x > 0.4, 2, 0)])),
    ]
    q = np.ascontiguousarray(np.column_stack([k * (x - 0.4) for k in range(3)]))
    label_col = [("action", ["control", "email", "sms"])]
    for what, sl in (("7 estimators, fixed λ", 100.0), ("7 estimators, SLOPE λ", None)):
        labels, ctx = _native.ope_context(label_col, None, None, True, None, sl, sl, 0.05)
        report(f"ope: map ({what})", n, best(lambda: _native.ope_map(cols, q, labels, ctx)))
    labels, ctx = _native.ope_context(label_col, None, "ipw,snipw,dr", True, None, 100.0, 100.0, 0.05)
    report("ope: map (ipw, snipw, dr)", n, best(lambda: _native.ope_map(cols, q, labels, ctx)))
    one = tp.ope.evaluate(arms[a], cols[1][1], prop, arms[np.where(x > 0.4, 2, 0)], q_hat=q,
                          estimators="ipw,snipw,dr")
    report("ope: tp.ope.evaluate (same 3, ref)", n,
           best(lambda: tp.ope.evaluate(arms[a], cols[1][1], prop, arms[np.where(x > 0.4, 2, 0)], q_hat=q,
                                        estimators="ipw,snipw,dr")))
    del one

    # kmeans: 1M rows × 8 features, k = 7
    X = np.ascontiguousarray(rng.normal(size=(1_000_000, 8)))
    C = np.ascontiguousarray(rng.normal(size=(7, 8)))
    report("kmeans: assign + summary (k=7, d=8)", len(X), best(lambda: _native.kmeans_assign(X, C)))

    # merge: cost of one merge of two OPE summaries and of two 50k-customer profile states
    s = _native.ope_map(cols, q, labels, ctx)
    t0 = time.perf_counter()
    _native.ope_merge(s, s)
    print(f"ope merge of two summaries: {time.perf_counter() - t0:.4f} s, {len(s):,d} bytes each")
    t0 = time.perf_counter()
    _native.profile_merge(state, state)
    print(f"profile merge of two 50k-customer states: {time.perf_counter() - t0:.2f} s, {len(state):,d} bytes each")


if __name__ == "__main__":
    sys.exit(main())
