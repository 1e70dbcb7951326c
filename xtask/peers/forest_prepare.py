"""Untimed inputs of `cargo xtask bench forest`, one numeric CSV per data set (header: x*, w, y[, tau]).

    forest_prepare.py acic SETTING DIR      # ACIC 2016 setting 1-5: one-hot categoricals, tau = mu1 - mu0
    forest_prepare.py cf-sim N P SEED DIR   # confounded continuous-outcome world with known tau
    forest_prepare.py starbucks SEED DIR    # Starbucks training set, 70/30 train/test split
    forest_prepare.py urf-sim N P SEED DIR  # randomized binary-outcome campaign, train and test
"""

import os
import sys

import numpy as np
import pandas as pd

ACIC = "/work/shared/data/acic2016"
STARBUCKS = "/work/shared/data/starbucks/Training.csv"


def write(df, path):
    df.to_csv(path, index=False, float_format="%.10g")


def frame(x, w, y, tau=None):
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    df["w"] = w.astype(int)
    df["y"] = y
    if tau is not None:
        df["tau"] = tau
    return df


def acic(setting, out):
    x = pd.read_csv(os.path.join(ACIC, "x.csv"))
    z = pd.read_csv(os.path.join(ACIC, f"zymu_{setting}.csv"))
    x = pd.get_dummies(x, columns=["x_2", "x_21", "x_24"], dtype=float).to_numpy(dtype=float)
    w = z["z"].to_numpy()
    y = np.where(w == 1, z["y1"], z["y0"])
    write(frame(x, w, y, (z["mu1"] - z["mu0"]).to_numpy()), os.path.join(out, "data.csv"))


def cf_sim(n, p, seed, out):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, p))
    e = 0.25 + 0.5 * x[:, 1]
    w = (rng.uniform(size=n) < e).astype(int)
    tau = 1.0 + x[:, 0]
    y = x[:, 1] + x[:, 2] + tau * w + rng.normal(size=n)
    write(frame(x, w, y, tau), os.path.join(out, "data.csv"))


def starbucks(seed, out):
    d = pd.read_csv(STARBUCKS)
    x = d[[f"V{j}" for j in range(1, 8)]].to_numpy(dtype=float)
    w = (d["Promotion"] == "Yes").to_numpy().astype(int)
    y = d["purchase"].to_numpy(dtype=float)
    test = np.random.default_rng(seed).uniform(size=len(d)) < 0.3
    write(frame(x[~test], w[~test], y[~test]), os.path.join(out, "train.csv"))
    write(frame(x[test], w[test], y[test]), os.path.join(out, "test.csv"))


def urf_sim(n, p, seed, out):
    rng = np.random.default_rng(seed)
    for name, m in (("train", n), ("test", max(n // 4, 1000))):
        x = rng.uniform(-1, 1, size=(m, p))
        w = rng.integers(0, 2, size=m)
        uplift = np.where(x[:, 0] > 0, 0.1, 0.0) + 0.05 * x[:, 1]
        rate = np.clip(0.1 + 0.05 * x[:, 2] + w * uplift, 0, 1)
        y = (rng.uniform(size=m) < rate).astype(float)
        write(frame(x, w, y, uplift), os.path.join(out, f"{name}.csv"))


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    out = args[-1]
    os.makedirs(out, exist_ok=True)
    if kind == "acic":
        acic(int(args[0]), out)
    elif kind == "cf-sim":
        cf_sim(int(args[0]), int(args[1]), int(args[2]), out)
    elif kind == "starbucks":
        starbucks(int(args[0]), out)
    elif kind == "urf-sim":
        urf_sim(int(args[0]), int(args[1]), int(args[2]), out)
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
