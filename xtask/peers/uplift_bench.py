"""Side-by-side data, peers and scoring for `cargo xtask bench uplift`.

  uplift_bench.py gen OUT_DIR [--quick] [--only NAME]   write the inputs (untimed; NAME = acic1..acic5 or
                                              sim writes that one only, into OUT_DIR itself):
      OUT_DIR/acic{1..5}  ACIC 2016 settings 1-5 (source: ../shared/data/acic2016, via causallib):
                          4,802 rows; the 55 numeric covariates of x.csv plus one-hot columns of the
                          categorical x_2, x_21, x_24 (82 columns); w = z; y = y1 if z else y0;
                          tau = mu1 - mu0 (the truth)
      OUT_DIR/sim         1,000,000 x 20 simulated rows (numpy default_rng(20261129); --quick: 100,000):
                          x ~ U(0,1)^20, e(x) = 0.2 + 0.6 x_1, mu0 = friedman-like on x_0..x_7,
                          tau(x) = 0.5 + x_0 + sin(pi x_1), y = mu0 + w tau + N(0, 1)
  uplift_bench.py peer DATA_DIR LEARNER OUT   fit on all rows, predict tau on the same rows, write OUT
      LEARNER causalml-x -> causalml BaseXRegressor(LGBMRegressor()), propensity from LGBMClassifier()
                            (passed as p: causalml's default elastic-net CV propensity would dominate
                            the 1M-row timing, and ours uses the same learner family throughout)
      LEARNER econml-dr  -> EconML DRLearner with LGBMClassifier propensity, LGBMRegressor regression
                            and final models, cv=5
  uplift_bench.py score DATA_DIR TAU_HAT      print {"pehe", "ate_bias", "ate_hat", "ate_true", "n"}

Ours: target/release/examples/uplift_bench DATA_DIR METHOD OUT (tp-uplift, GBT learners).
Data files are little-endian f64: x.f64 (row-major n x p), w.f64, y.f64, tau.f64; meta.json has n, p.
PEHE = sqrt(mean((tau_hat - tau)^2)) over all rows (in-sample, as in the ACIC 2016 scoring);
ATE bias = mean(tau_hat) - mean(tau).
"""

import csv
import json
import pathlib
import sys
import time
from importlib.metadata import version

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACIC = ROOT.parent / "shared" / "data" / "acic2016"
CATEGORICAL = ("x_2", "x_21", "x_24")
SEED = 7


def write(out: pathlib.Path, x, w, y, tau, source: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, v in (("x", x), ("w", w), ("y", y), ("tau", tau)):
        np.ascontiguousarray(v, dtype="<f8").tofile(out / f"{name}.f64")
    meta = {"n": int(x.shape[0]), "p": int(x.shape[1]), "source": source}
    (out / "meta.json").write_text(json.dumps(meta) + "\n")


def acic_covariates() -> np.ndarray:
    with open(ACIC / "x.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    names = list(rows[0].keys())
    cols = []
    for name in names:
        values = [r[name] for r in rows]
        if name in CATEGORICAL:
            for level in sorted(set(values)):
                cols.append([1.0 if v == level else 0.0 for v in values])
        else:
            cols.append([float(v) for v in values])
    return np.array(cols, dtype=float).T


def gen(out: pathlib.Path, quick: bool, only) -> None:
    target = (lambda name: out) if only else (lambda name: out / name)
    x = acic_covariates() if only != "sim" else None
    for k in range(1, 6):
        if only not in (None, f"acic{k}"):
            continue
        z = np.genfromtxt(ACIC / f"zymu_{k}.csv", delimiter=",", names=True)
        w = z["z"].astype(float)
        y = np.where(w == 1, z["y1"], z["y0"])
        write(target(f"acic{k}"), x, w, y, z["mu1"] - z["mu0"], f"{ACIC}/zymu_{k}.csv")
    if only not in (None, "sim"):
        return
    n, p = (100_000, 20) if quick else (1_000_000, 20)
    rng = np.random.default_rng(20261129)
    xs = rng.uniform(size=(n, p))
    e = 0.2 + 0.6 * xs[:, 1]
    w = (rng.uniform(size=n) < e).astype(float)
    mu0 = (10 * np.sin(np.pi * xs[:, 0] * xs[:, 1]) + 20 * (xs[:, 2] - 0.5) ** 2 + 10 * xs[:, 3] + 5 * xs[:, 4]
           + 3 * xs[:, 5] * xs[:, 6] - 2 * (xs[:, 7] > 0.5))
    tau = 0.5 + xs[:, 0] + np.sin(np.pi * xs[:, 1])
    y = mu0 + w * tau + rng.normal(size=n)
    write(target("sim"), xs, w, y, tau, "simulated, see uplift_bench.py")


def load(data: pathlib.Path):
    meta = json.loads((data / "meta.json").read_text())
    n, p = meta["n"], meta["p"]
    read = lambda name: np.fromfile(data / f"{name}.f64", dtype="<f8")
    return read("x").reshape(n, p), read("w"), read("y"), read("tau")


def peer(data: pathlib.Path, learner: str, out: pathlib.Path) -> None:
    x, w, y, _ = load(data)
    from lightgbm import LGBMClassifier, LGBMRegressor

    start = time.perf_counter()
    if learner == "causalml-x":
        from causalml.inference.meta import BaseXRegressor

        p = LGBMClassifier(verbose=-1, random_state=SEED).fit(x, w).predict_proba(x)[:, 1]
        model = BaseXRegressor(learner=LGBMRegressor(verbose=-1, random_state=SEED))
        model.fit(X=x, treatment=w.astype(int), y=y, p=p)
        tau_hat = np.asarray(model.predict(X=x, p=p)).reshape(-1)
        name = f"causalml {version('causalml')}"
    elif learner == "econml-dr":
        from econml.dr import DRLearner

        model = DRLearner(model_propensity=LGBMClassifier(verbose=-1, random_state=SEED),
                          model_regression=LGBMRegressor(verbose=-1, random_state=SEED),
                          model_final=LGBMRegressor(verbose=-1, random_state=SEED), cv=5, random_state=SEED)
        model.fit(y, w.astype(int), X=x)
        tau_hat = np.asarray(model.effect(x)).reshape(-1)
        name = f"econml {version('econml')}"
    else:
        sys.exit(f"unknown learner {learner!r}: use causalml-x or econml-dr")
    seconds = time.perf_counter() - start
    np.ascontiguousarray(tau_hat, dtype="<f8").tofile(out)
    print(json.dumps({"learner": name, "fit_predict_s": seconds, "n": int(x.shape[0])}))


def score(data: pathlib.Path, tau_hat_path: pathlib.Path) -> None:
    _, _, _, tau = load(data)
    tau_hat = np.fromfile(tau_hat_path, dtype="<f8")
    if tau_hat.shape != tau.shape or not np.all(np.isfinite(tau_hat)):
        sys.exit(f"{tau_hat_path}: expected {tau.shape[0]} finite values, got {tau_hat.shape[0]}")
    pehe = float(np.sqrt(np.mean((tau_hat - tau) ** 2)))
    print(json.dumps({"pehe": pehe, "ate_bias": float(tau_hat.mean() - tau.mean()),
                      "ate_hat": float(tau_hat.mean()), "ate_true": float(tau.mean()), "n": int(tau.shape[0])}))


def main(argv) -> None:
    if len(argv) >= 2 and argv[0] == "gen":
        rest = argv[2:]
        only = rest[rest.index("--only") + 1] if "--only" in rest else None
        if only not in (None, "sim", *(f"acic{k}" for k in range(1, 6))):
            sys.exit(f"unknown data set {only!r}: use acic1..acic5 or sim")
        gen(pathlib.Path(argv[1]), "--quick" in rest, only)
    elif len(argv) == 4 and argv[0] == "peer":
        peer(pathlib.Path(argv[1]), argv[2], pathlib.Path(argv[3]))
    elif len(argv) == 3 and argv[0] == "score":
        score(pathlib.Path(argv[1]), pathlib.Path(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
