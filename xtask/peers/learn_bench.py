"""Side-by-side data and peers for `cargo xtask bench learn`.

  learn_bench.py gen OUT_DIR [--quick] [--rows N] [--only sim_reg|starbucks]
                                              write the inputs (untimed):
      OUT_DIR/sim_reg    simulated regression, 1M train + 200k test rows x 20 features
                         (numpy default_rng(20261129); --quick: 100k + 20k; --rows N: N + N/5)
      OUT_DIR/starbucks  Starbucks promotion training set, purchase ~ V1..V7, 80/20 split
                         with default_rng(7) (source: ../shared/data/starbucks/Training.csv)
  learn_bench.py show FILE                    print the last JSON line of FILE (the quality probe)
  learn_bench.py peer DATA_DIR TASK [THREADS] fit the peer, print one JSON line
      TASK gbdt -> LightGBM with settings comparable to tp's GradientBoosting defaults
      TASK rf   -> scikit-learn RandomForest with tp's RandomForest defaults

Ours: cargo run --release -p tp-learn --example learn_bench -- DATA_DIR TASK [THREADS]
Both print {"fit_predict_s": ..., "rmse"|"log_loss": ...} on the test rows.
"""

import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write(out: pathlib.Path, x: np.ndarray, y: np.ndarray, n_train: int, kind: str, source: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(x, dtype="<f8").tofile(out / "x.f64")
    np.ascontiguousarray(y, dtype="<f8").tofile(out / "y.f64")
    meta = {"n": int(x.shape[0]), "p": int(x.shape[1]), "n_train": int(n_train), "kind": kind, "source": source}
    (out / "meta.json").write_text(json.dumps(meta) + "\n")


def gen(out: pathlib.Path, quick: bool, rows: int | None, only: str | None) -> None:
    n_train, n_test, p = (100_000, 20_000, 20) if quick else (1_000_000, 200_000, 20)
    if rows is not None:
        n_train, n_test = rows, rows // 5
    if only in (None, "sim_reg"):
        gen_sim(out, n_train, n_test, p)
    if only in (None, "starbucks"):
        gen_starbucks(out)


def gen_sim(out: pathlib.Path, n_train: int, n_test: int, p: int) -> None:
    rng = np.random.default_rng(20261129)
    n = n_train + n_test
    x = rng.uniform(size=(n, p))
    y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4]
         + 3 * x[:, 5] * x[:, 6] - 2 * (x[:, 7] > 0.5) + rng.normal(size=n))
    write(out / "sim_reg", x, y, n_train, "regression", "friedman1-like: 8 of 20 features carry signal, N(0,1) noise")


def gen_starbucks(out: pathlib.Path) -> None:
    csv = ROOT.parent / "shared" / "data" / "starbucks" / "Training.csv"
    raw = np.genfromtxt(csv, delimiter=",", names=True, dtype=None, encoding="utf-8")
    xs = np.column_stack([raw[f"V{k}"].astype(float) for k in range(1, 8)])
    ys = raw["purchase"].astype(float)
    perm = np.random.default_rng(7).permutation(len(ys))
    n_tr = int(round(0.8 * len(ys)))
    write(out / "starbucks", xs[perm], ys[perm], n_tr, "binary", str(csv))


def load(data: pathlib.Path):
    meta = json.loads((data / "meta.json").read_text())
    n, p, n_train = meta["n"], meta["p"], meta["n_train"]
    x = np.fromfile(data / "x.f64", dtype="<f8").reshape(n, p)
    y = np.fromfile(data / "y.f64", dtype="<f8")
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:], meta["kind"] == "binary"


def peer(data: pathlib.Path, task: str, threads: int) -> None:
    x, y, xt, yt, binary = load(data)
    start = time.perf_counter()
    if task == "gbdt":
        import lightgbm as lgb

        params = dict(n_estimators=100, learning_rate=0.1, max_depth=6, num_leaves=64, min_child_samples=20,
                      reg_lambda=1.0, min_child_weight=1e-3, min_split_gain=0.0, max_bin=255, subsample=1.0,
                      colsample_bytree=1.0, n_jobs=threads, verbose=-1, random_state=0)
        if binary:
            model = lgb.LGBMClassifier(objective="binary", **params).fit(x, y)
            pred = model.predict_proba(xt)[:, 1]
        else:
            model = lgb.LGBMRegressor(objective="regression", **params).fit(x, y)
            pred = model.predict(xt)
        peer_name = f"lightgbm {lgb.__version__}"
    elif task == "rf":
        import sklearn
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        if binary:
            model = RandomForestClassifier(n_estimators=100, max_features="sqrt", min_samples_leaf=1,
                                           n_jobs=threads, random_state=0).fit(x, y)
            pred = model.predict_proba(xt)[:, 1]
        else:
            model = RandomForestRegressor(n_estimators=100, max_features=max(1, x.shape[1] // 3),
                                          min_samples_leaf=5, n_jobs=threads, random_state=0).fit(x, y)
            pred = model.predict(xt)
        peer_name = f"scikit-learn {sklearn.__version__}"
    else:
        raise SystemExit(f"unknown task {task}: expected gbdt or rf")
    elapsed = time.perf_counter() - start
    if binary:
        q = np.clip(pred, 1e-15, 1 - 1e-15)
        metric = ("log_loss", float(-np.mean(yt * np.log(q) + (1 - yt) * np.log(1 - q))))
    else:
        metric = ("rmse", float(np.sqrt(np.mean((pred - yt) ** 2))))
    print(json.dumps({"side": peer_name, "task": task, "threads": threads, "fit_predict_s": round(elapsed, 4),
                      metric[0]: round(metric[1], 6)}))


def main() -> None:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "gen":
        rows = int(args[args.index("--rows") + 1]) if "--rows" in args else None
        only = args[args.index("--only") + 1] if "--only" in args else None
        gen(pathlib.Path(args[1]), "--quick" in args, rows, only)
    elif len(args) == 2 and args[0] == "show":
        lines = [l for l in pathlib.Path(args[1]).read_text().splitlines() if l.strip()]
        print(lines[-1] if lines else "{}")
    elif len(args) >= 3 and args[0] == "peer":
        peer(pathlib.Path(args[1]), args[2], int(args[3]) if len(args) > 3 else 2)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
