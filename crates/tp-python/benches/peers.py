"""tp vs EconML / causalml in one Python process: time and peak memory of each estimator.

Run from the repository root (a venv with tp, econml and causalml installed):

    OMP_WAIT_POLICY=PASSIVE python crates/tp-python/benches/peers.py [--trees 500] [--rows N] [--only TASK]

``--only`` runs one task in this process (tp-cf, econml-cf, tp-x-linear, causalml-x-linear,
tp-x-gbt, causalml-x-gbt), so that a whole-process timer can pair tp with a peer, each in a fresh
process with nothing imported but what its task needs.

Data: the Hillstrom RCT (testdata/uplift/hillstrom.csv), women's e-mail vs no e-mail, outcome
`spend`, covariates one-hot encoded once and shared by every estimator. Each task is timed from
fit to the last prediction; peak memory is the largest resident set size above the level at the
task's start, sampled every 5 ms by a thread reading /proc/self/statm (it sees Rust, C and
Python allocations alike).
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np
import pandas as pd

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Peak:
    def __enter__(self):
        self.base = rss()
        self.peak = self.base
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        self.t0 = time.perf_counter()
        return self

    def _poll(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss())
        self.mib = (self.peak - self.base) / 2**20


TASKS = ["tp-cf", "econml-cf", "tp-x-linear", "causalml-x-linear", "tp-x-gbt", "causalml-x-gbt"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--rows", type=int, default=0, help="first N rows only (0 = all)")
    ap.add_argument("--only", choices=TASKS, default=None, help="run this task only")
    args = ap.parse_args()
    run = (lambda task: True) if args.only is None else (lambda task: task == args.only)
    df = pd.read_csv("testdata/uplift/hillstrom.csv")
    df = df[df["segment"] != "Mens E-Mail"].reset_index(drop=True)
    if args.rows:
        df = df.head(args.rows)
    cov = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]
    X = pd.get_dummies(df[cov], drop_first=True, dtype=float).to_numpy()
    T = (df["segment"] == "Womens E-Mail").astype(int).to_numpy()
    y = df["spend"].to_numpy(dtype=float)
    print(f"{len(y)} rows x {X.shape[1]} covariates, {args.trees} trees; load: {os.getloadavg()}")
    rows = []

    if run("tp-cf"):
        import tp

        with Peak() as m:
            cf = tp.CausalForest(n_estimators=args.trees, random_state=0).fit(X, T, y)
            eff = cf.effect(X)
            lo, hi = cf.effect_interval(X, alpha=0.05)
        rows.append(("tp.CausalForest", m.seconds, m.mib, float(np.mean(eff))))

    if run("econml-cf"):
        from econml.dml import CausalForestDML

        with Peak() as m:
            ec = CausalForestDML(n_estimators=args.trees, discrete_treatment=True, random_state=0)
            ec.fit(y, T, X=X)
            eff = ec.effect(X)
            lo, hi = ec.effect_interval(X, alpha=0.05)
        rows.append(("econml CausalForestDML", m.seconds, m.mib, float(np.mean(eff))))

    for learner in ("linear", "gbt"):
        if run(f"tp-x-{learner}"):
            import tp

            with Peak() as m:
                xl = tp.XLearner(learner=learner).fit(X, T, y)
                eff = xl.effect(X)
            rows.append((f"tp.XLearner({learner})", m.seconds, m.mib, float(np.mean(eff))))
        if run(f"causalml-x-{learner}"):
            from causalml.inference.meta import BaseXRegressor

            if learner == "linear":
                from sklearn.linear_model import LinearRegression as Base

                base, kw = Base, {}
            else:
                from sklearn.ensemble import HistGradientBoostingRegressor as Base

                base, kw = Base, {"random_state": 0}
            with Peak() as m:
                cx = BaseXRegressor(learner=base(**kw))
                eff = cx.fit_predict(X, T, y)
            rows.append((f"causalml BaseXRegressor({base.__name__})", m.seconds, m.mib, float(np.mean(eff))))

    print(f"| {'task':<48} | {'seconds':>8} | {'peak MiB':>9} | {'mean effect':>11} |")
    print(f"|{'-' * 50}|{'-' * 10}:|{'-' * 11}:|{'-' * 13}:|")
    for name, s, mib, mean in rows:
        print(f"| {name:<48} | {s:>8.2f} | {mib:>9.1f} | {mean:>11.4f} |")


if __name__ == "__main__":
    main()
