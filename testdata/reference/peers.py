"""Peer figures for the external-reference tests (`crates/tp-uplift/tests/uplift/reference.rs`).

    OMP_WAIT_POLICY=PASSIVE python testdata/reference/peers.py cf   # EconML CausalForestDML, ACIC 1-5
    OMP_WAIT_POLICY=PASSIVE python testdata/reference/peers.py x    # causalml X-learner, ACIC 1-5
    OMP_WAIT_POLICY=PASSIVE python testdata/reference/peers.py urf  # causalml uplift forest, Hillstrom

Each writes `testdata/reference/<kind>.json` beside this script (rewritten after every fit, so an
interrupted run keeps what it finished). Inputs are the repository's own copies: ACIC 2016 in
`testdata/acic2016/`, Hillstrom in `testdata/uplift/hillstrom.csv`. The Rust test rebuilds exactly
the same matrices (same column order, same rows), so both sides fit the same numbers.

- ACIC covariates: `x.csv` in file order, each categorical column (`x_2`, `x_21`, `x_24`) replaced
  in place by one 0/1 column per level in sorted order; arm `z`; outcome `y1` if `z == 1` else `y0`;
  τ = mu1 − mu0. PEHE = sqrt(mean((τ̂ − τ)²)) over the rows the model was fitted on (ACIC 2016
  scored in-sample), the peer's `effect(X)` / `predict(X)`.
- `cf`: `CausalForestDML(discrete_treatment=True, n_estimators=300, random_state=seed)`, default
  nuisances and cv, seeds 1..5 (outermost, so an interrupted run has every setting at the first
  seeds). The seed-to-seed SD is the test's noise scale. 300 trees: the fewest at which tp's forest
  tunes its split rule and leaf size by default, and few enough for CI.
- `x`: causalml `BaseXRegressor(LGBMRegressor())` with the propensity from `LGBMClassifier()` passed
  as `p` (as `cargo xtask bench uplift` runs it). LightGBM at its defaults draws no random numbers,
  so a seed changes nothing; the noise scale is instead the SD over five refits that each leave one
  fifth of the rows out (rows with index % 5 == r), PEHE over the rows kept. `full` is the fit on
  all rows.
- `urf`: Hillstrom, women's e-mail (w = 1) against no e-mail (w = 0), outcome `visit`; covariates
  recency, history, mens, womens, newbie, then one 0/1 column per `zip_code` and per `channel`
  level (sorted). Rows of the two arms in file order; every third (index % 3 == 0) is held out.
  causalml `UpliftRandomForestClassifier(n_estimators=100, max_depth=4, evaluationFunction="KL")`,
  seeds 1..5, predicted on the held-out rows, scored by the normalized Qini coefficient of
  `xtask/peers/forest_probe.py` (scikit-uplift's `qini_auc_score` convention, which tp-uplift's
  `qini` matches to 1e-9 in its golden test).
"""

import csv
import json
import os
import pathlib
import platform
import sys
import time
from importlib.metadata import version

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ACIC = ROOT / "testdata" / "acic2016"
HILLSTROM = ROOT / "testdata" / "uplift" / "hillstrom.csv"
CATEGORICAL = ("x_2", "x_21", "x_24")
SEEDS = [1, 2, 3, 4, 5]
CF_TREES = 300
URF_TREES, URF_DEPTH = 100, 4

sys.path.insert(0, str(ROOT / "xtask" / "peers"))
from forest_probe import qini_auc  # noqa: E402


def one_hot(rows, names, categorical):
    cols = []
    for name in names:
        values = [r[name] for r in rows]
        if name in categorical:
            for level in sorted(set(values)):
                cols.append([1.0 if v == level else 0.0 for v in values])
        else:
            cols.append([float(v) for v in values])
    return np.array(cols, dtype=float).T


def acic(setting):
    with open(ACIC / "x.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    x = one_hot(rows, list(rows[0].keys()), CATEGORICAL)
    with open(ACIC / f"zymu_{setting}.csv", newline="") as f:
        z = list(csv.DictReader(f))
    w = np.array([int(r["z"]) for r in z])
    y = np.array([float(r["y1"] if r["z"] == "1" else r["y0"]) for r in z])
    tau = np.array([float(r["mu1"]) - float(r["mu0"]) for r in z])
    return x, w, y, tau


def hillstrom():
    with open(HILLSTROM, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["segment"] in ("Womens E-Mail", "No E-Mail")]
    names = ["recency", "history", "mens", "womens", "newbie", "zip_code", "channel"]
    x = one_hot(rows, names, ("zip_code", "channel"))
    w = np.array([1 if r["segment"] == "Womens E-Mail" else 0 for r in rows])
    y = np.array([int(r["visit"]) for r in rows])
    return x, w, y


def pehe(tau_hat, tau):
    return float(np.sqrt(np.mean((np.asarray(tau_hat).reshape(-1) - tau) ** 2)))


def summary(values):
    v = np.array(values, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else None, "n": len(v)}


def header(kind, packages, what):
    return {
        "kind": kind,
        "what": what,
        "generator": {
            "script": "testdata/reference/peers.py " + kind,
            "python": platform.python_version(),
            "packages": {p: version(p) for p in packages},
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        },
    }


def save(kind, out):
    path = HERE / f"{kind}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.replace(path)


def cf():
    from econml.dml import CausalForestDML

    out = header("cf", ["econml", "scikit-learn", "numpy"],
                 f"CausalForestDML(discrete_treatment=True, n_estimators={CF_TREES}, random_state=seed), "
                 "in-sample effect(X), PEHE against mu1 - mu0 on all 4,802 rows")
    out["trees"] = CF_TREES
    out["settings"] = {}
    data = {s: acic(s) for s in range(1, 6)}
    for seed in SEEDS:  # seeds outermost: an interrupted run has every setting at the first seeds
        for s in range(1, 6):
            x, w, y, tau = data[s]
            start = time.perf_counter()
            est = CausalForestDML(discrete_treatment=True, n_estimators=CF_TREES, random_state=seed, n_jobs=2)
            est.fit(y, w, X=x)
            fig = pehe(est.effect(x), tau)
            entry = out["settings"].setdefault(str(s), {"pehe_by_seed": {}, "fit_s": []})
            entry["pehe_by_seed"][str(seed)] = fig
            entry["fit_s"].append(round(time.perf_counter() - start, 2))
            entry.update(summary(list(entry["pehe_by_seed"].values())))
            save("cf", out)
            print(f"cf setting {s} seed {seed}: PEHE {fig:.4f} ({entry['fit_s'][-1]} s)", flush=True)


def x_learner():
    from causalml.inference.meta import BaseXRegressor
    from lightgbm import LGBMClassifier, LGBMRegressor

    out = header("x", ["causalml", "lightgbm", "scikit-learn", "numpy"],
                 "causalml BaseXRegressor(LGBMRegressor(verbose=-1)) with p from LGBMClassifier(verbose=-1), "
                 "in-sample predict(X); PEHE against mu1 - mu0")
    out["settings"] = {}

    def fit(x, w, y, tau):
        p = LGBMClassifier(verbose=-1).fit(x, w).predict_proba(x)[:, 1]
        model = BaseXRegressor(learner=LGBMRegressor(verbose=-1))
        model.fit(X=x, treatment=w, y=y, p=p)
        return pehe(model.predict(X=x, p=p), tau)

    for s in range(1, 6):
        x, w, y, tau = acic(s)
        full = fit(x, w, y, tau)
        folds = []
        for r in range(5):
            keep = np.arange(len(y)) % 5 != r
            folds.append(fit(x[keep], w[keep], y[keep], tau[keep]))
        out["settings"][str(s)] = {"full": full, "leave_fold_out": folds, "leave_fold_out_sd": summary(folds)["sd"]}
        save("x", out)
        print(f"x setting {s}: PEHE {full:.4f}, leave-fold-out {np.round(folds, 4)}", flush=True)


def urf():
    from causalml.inference.tree import UpliftRandomForestClassifier

    x, w, y = hillstrom()
    test = np.arange(len(y)) % 3 == 0
    out = header("urf", ["causalml", "scikit-learn", "numpy"],
                 f"UpliftRandomForestClassifier(control_name='0', n_estimators={URF_TREES}, max_depth={URF_DEPTH}, "
                 "evaluationFunction='KL', random_state=seed) on Hillstrom women's e-mail vs none (visit), "
                 "normalized Qini of the held-out third")
    out.update(trees=URF_TREES, max_depth=URF_DEPTH, rows_train=int((~test).sum()), rows_test=int(test.sum()),
               qini_by_seed={})
    for seed in SEEDS:
        model = UpliftRandomForestClassifier(control_name="0", n_estimators=URF_TREES, max_depth=URF_DEPTH,
                                             evaluationFunction="KL", random_state=seed, n_jobs=2)
        model.fit(x[~test], treatment=np.where(w[~test] == 1, "1", "0"), y=y[~test])
        q = float(qini_auc(y[test].astype(float), w[test].astype(float), model.predict(x[test])[:, 0]))
        out["qini_by_seed"][str(seed)] = q
        out.update(summary(list(out["qini_by_seed"].values())))
        save("urf", out)
        print(f"urf seed {seed}: Qini {q:.4f}", flush=True)


if __name__ == "__main__":
    {"cf": cf, "x": x_learner, "urf": urf}[sys.argv[1]]()
