"""EconML's side of `cargo xtask bench coverage`: CausalForestDML's 90% intervals on the harness's data.

    coverage_econml.py OUT.json TREES TP CASE...      CASE = KIND:N:SEED (see coverage_prepare.py)

For each case: the same data as the harness (coverage_prepare.make), CausalForestDML with discrete
treatment, default nuisances and cross-fitting, `n_estimators` TREES, random_state SEED; effect and
effect_interval(alpha=0.1) of every training row (EconML's in-sample `effect(X)`, as users call it),
per treated arm (T0=0, T1=k). Figures: coverage of the true effect, mean width, PEHE, fit seconds.
Results are merged into OUT.json (keyed "KIND N SEED"), which the harness reads; running EconML takes
minutes per case on two cores, so the harness does not rerun it (`cargo xtask bench coverage --econml`
does). Run with OMP_WAIT_POLICY=PASSIVE.
"""

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coverage_prepare import make  # noqa: E402


def main():
    out, trees, tp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    from econml.dml import CausalForestDML
    import econml

    results = {}
    if os.path.exists(out):
        with open(out) as f:
            results = json.load(f)
    for case in sys.argv[4:]:
        kind, n, seed = case.split(":")
        df = make(kind, int(n), int(seed), tp)
        x = df[[c for c in df.columns if c.startswith("x")]].to_numpy(dtype=float)
        w = df["w"].to_numpy().astype(int)
        y = df["y"].to_numpy(dtype=float)
        taus = [df["tau"].to_numpy()] if "tau" in df else [df[c].to_numpy() for c in df.columns if c.startswith("tau")]
        start = time.perf_counter()
        est = CausalForestDML(discrete_treatment=True, n_estimators=trees, random_state=int(seed), n_jobs=1)
        est.fit(y, w, X=x)
        arms = []
        for k, tau in enumerate(taus, start=1):
            t = est.effect(x, T0=0, T1=k)
            lo, hi = est.effect_interval(x, T0=0, T1=k, alpha=0.1)
            arms.append({
                "coverage": float(np.mean((lo <= tau) & (tau <= hi))),
                "width": float(np.mean(hi - lo)),
                "pehe": float(np.sqrt(np.mean((t - tau) ** 2))),
            })
        fit_s = time.perf_counter() - start
        key = f"{kind} {len(y)} {seed}"
        results[key] = {"arms": arms, "fit_s": round(fit_s, 1), "trees": trees, "econml": econml.__version__}
        print(key, json.dumps(results[key]), flush=True)
        with open(out + ".tmp", "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
        os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
