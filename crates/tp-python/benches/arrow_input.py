"""Arrow C stream route vs numpy route for frame inputs: time and peak memory of one prediction.

Run from the repository root (a venv with tp, pandas, pyarrow and polars installed):

    OMP_WAIT_POLICY=PASSIVE python crates/tp-python/benches/arrow_input.py [--rows 1000000] [--route arrow|numpy] [--kind pyarrow|polars]

A linear S-learner is fitted on 2,000 rows, then predicts the effect for ``--rows`` rows of a
pyarrow Table (or polars frame) of 10 float64 columns, one int32 column and 2 text columns (one
plain, one categorical), in 8 chunks. The prediction itself is a few milliseconds; what the
figure measures is getting the columns into Rust: ``--route arrow`` hands the pyarrow / polars
columns over through the Arrow C stream interface, ``--route numpy`` goes through numpy arrays and
lists of Python str (the route every input took before). Run each route in a fresh process:
peak memory is the largest resident set above the level before the call, sampled every 5 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from peers import Peak  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--route", choices=["arrow", "numpy"], default="arrow")
    ap.add_argument("--kind", choices=["pyarrow", "polars"], default="pyarrow")
    args = ap.parse_args()
    import pyarrow as pa

    import tp
    from tp._base import features

    rng = np.random.default_rng(0)
    n = args.rows
    cols = {f"f{j}": rng.normal(size=n) for j in range(10)}
    cols["count"] = rng.integers(0, 50, size=n, dtype=np.int32)
    regions = np.array(["north", "south", "east", "west"])
    cols["region"] = regions[rng.integers(0, 4, size=n)]
    cols["channel"] = pa.array(np.array(["web", "phone", "store"])[rng.integers(0, 3, size=n)]).dictionary_encode()
    table = pa.table(cols)
    step = -(-n // 8)
    table = pa.concat_tables([table.slice(i, step) for i in range(0, n, step)])
    X = table
    if args.kind == "polars":
        import polars as pl

        X = pl.from_arrow(table)
    small = table.slice(0, 2000).to_pandas()
    T = rng.integers(0, 2, size=2000)
    y = rng.normal(size=2000) + T * small["f0"].to_numpy()
    est = tp.SLearner(learner="linear").fit(small, T, y)
    del small
    with Peak() as m:
        t0 = time.perf_counter()
        cols_in, _, _ = features(X, arrow=args.route == "arrow")
        t1 = time.perf_counter()
        tau, _ = est._model.predict(cols_in, False)
    print(
        f"{args.kind} {n} rows x {table.num_columns} columns ({table.column('f0').num_chunks} chunks), "
        f"route {args.route}: {m.seconds:.3f} s (Python side {t1 - t0:.3f} s), peak +{m.mib:.1f} MiB, "
        f"mean effect {float(np.mean(tau)):.6f}; load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
