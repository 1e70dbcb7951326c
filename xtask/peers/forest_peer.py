"""The peer side of `cargo xtask bench forest`.

    forest_peer.py cf DATA.csv TREES OUT.csv
        EconML CausalForestDML (discrete treatment, default nuisances and cv, `n_estimators` TREES),
        in-sample effect(X) of every row.
    forest_peer.py urf TRAIN.csv TEST.csv TREES DEPTH OUT.csv [seeds=S,...]
        causalml UpliftRandomForestClassifier (KL, `n_estimators` TREES, `max_depth` DEPTH: causalml
        0.18's kernel trees count split levels as tp does, root at depth 0; the legacy trees before it
        counted the root as 1), uplift of the test rows; with seeds=, one fit per `random_state`
        (fit_s is their total, prediction included).
"""

import json
import sys
import time

import numpy as np
import pandas as pd


def load(path):
    d = pd.read_csv(path)
    x = d[[c for c in d.columns if c.startswith("x")]].to_numpy(dtype=float)
    return x, d["w"].to_numpy().astype(int), d["y"].to_numpy(dtype=float)


def main():
    kind = sys.argv[1]
    if kind == "cf":
        from econml.dml import CausalForestDML

        x, w, y = load(sys.argv[2])
        trees = int(sys.argv[3])
        start = time.perf_counter()
        est = CausalForestDML(discrete_treatment=True, n_estimators=trees, random_state=7, n_jobs=-1)
        est.fit(y, w, X=x)
        tau = est.effect(x)
        fit_s = time.perf_counter() - start
        pd.DataFrame({"tau": tau}).to_csv(sys.argv[4], index=False)
    elif kind == "urf":
        from causalml.inference.tree import UpliftRandomForestClassifier

        xtr, wtr, ytr = load(sys.argv[2])
        xte, _, _ = load(sys.argv[3])
        trees, depth = int(sys.argv[4]), int(sys.argv[5])
        # seeds=1,2,3: one fit and one `uplift_s<seed>` column per random_state (default: 7, `uplift`)
        seeds = [int(s) for s in sys.argv[7].removeprefix("seeds=").split(",")] if len(sys.argv) > 7 else None
        cols = {}
        start = time.perf_counter()
        for seed in seeds or [7]:
            model = UpliftRandomForestClassifier(
                control_name="0", n_estimators=trees, max_depth=depth, evaluationFunction="KL",
                random_state=seed, n_jobs=-1,
            )
            model.fit(xtr, np.where(wtr == 1, "1", "0"), ytr.astype(int))
            cols[f"uplift_s{seed}" if seeds else "uplift"] = model.predict(xte)[:, 0]
        fit_s = time.perf_counter() - start
        pd.DataFrame(cols).to_csv(sys.argv[6], index=False)
    else:
        sys.exit(f"unknown kind {kind}")
    print(json.dumps({"fit_s": round(fit_s, 3)}))


if __name__ == "__main__":
    main()
