"""Untimed inputs of `cargo xtask bench coverage`: one numeric CSV per data set with its true effects.

    coverage_prepare.py KIND N SEED OUT.csv [TP]

Header: x*, w (0 = control), y, and the true effects `tau` (binary) or `tau1`, `tau2`, ... (one per
treated arm). KIND:
    acic1 .. acic5  ACIC 2016 setting 1-5 (4,802 rows whatever N; one-hot categoricals), tau = mu1 - mu0
    linear          the forest tests' linear world: 5 N(0,1) covariates, P(W=1) = logistic(0.8(x1 - x2)),
                    y = 1 + x1 + 0.5 x2 + tau W + N(0,1), tau = 1 + x1
    sigmoid         the forest tests' coverage world: as linear with logistic(0.5(x1 - x2)),
                    tau = 1 + sigmoid(2 x1)
    arms3           the multi-arm coverage world: 3 arms, softmax logits 0.5(x1 - x2) per treated arm,
                    tau1 = 1 + 0.5 sigmoid(2 x3), tau2 = -0.5 sigmoid(2 x4)
    retail          `tp simulate --preset retail` (N households): the customers table's numeric
                    columns, coupon vs control, window spend, tau = tau_coupon (needs TP)
    criteo          `tp simulate --preset criteo` (N rows): f0..f11, treatment, visit, tau = tau_visit
                    (needs TP)
    urf             randomized binary-outcome campaign (the uplift forest's bench world): 10 U(-1,1)
                    covariates, tau = 0.1 [x1 > 0] + 0.05 x2 on a 0.1 + 0.05 x3 base rate
The simulated worlds draw from numpy's default_rng(SEED); the same arguments give the same file.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ACIC = "/work/shared/data/acic2016"


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def frame(x, w, y, taus):
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    df["w"] = w.astype(int)
    df["y"] = y
    if len(taus) == 1:
        df["tau"] = taus[0]
    else:
        for k, t in enumerate(taus):
            df[f"tau{k + 1}"] = t
    return df


def acic(setting):
    x = pd.read_csv(os.path.join(ACIC, "x.csv"))
    z = pd.read_csv(os.path.join(ACIC, f"zymu_{setting}.csv"))
    x = pd.get_dummies(x, columns=["x_2", "x_21", "x_24"], dtype=float).to_numpy(dtype=float)
    w = z["z"].to_numpy()
    y = np.where(w == 1, z["y1"], z["y0"])
    return frame(x, w, y, [(z["mu1"] - z["mu0"]).to_numpy()])


def normal_world(n, seed, arms, confounding, tau):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    logit = confounding * (x[:, 0] - x[:, 1])
    logits = np.column_stack([np.zeros(n)] + [logit] * (arms - 1))
    e = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    u = rng.uniform(size=n)
    w = np.minimum((u[:, None] > np.cumsum(e, axis=1)).sum(axis=1), arms - 1)
    taus = [tau(a, x) for a in range(1, arms)]
    effect = np.zeros(n)
    for a in range(1, arms):
        effect[w == a] = taus[a - 1][w == a]
    y = 1.0 + x[:, 0] + 0.5 * x[:, 1] + effect + rng.standard_normal(n)
    return frame(x, w, y, taus)


def retail(n, seed, tp):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([tp, "simulate", "--preset", "retail", "--customers", str(n), "--seed", str(seed),
                        "--out", os.path.join(d, "w")], check=True, stdout=subprocess.DEVNULL)
        c = pd.read_csv(os.path.join(d, "w", "customers.csv"))
        k = pd.read_csv(os.path.join(d, "w", "campaign.csv"))
        t = pd.read_csv(os.path.join(d, "w", "truth.csv"))
    c["homeowner"] = c["homeowner"].astype(str).str.lower().eq("true").astype(float)
    x = c.drop(columns=["customer_id"]).to_numpy(dtype=float)
    return frame(x, k["treatment"].to_numpy(), k["outcome"].to_numpy(dtype=float), [t["tau_coupon"].to_numpy()])


def criteo(n, seed, tp):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([tp, "simulate", "--preset", "criteo", "--customers", str(n), "--seed", str(seed),
                        "--format", "csv", "--out", os.path.join(d, "w")], check=True, stdout=subprocess.DEVNULL)
        c = pd.read_csv(os.path.join(d, "w", "criteo.csv"))
        t = pd.read_csv(os.path.join(d, "w", "criteo_truth.csv"))
    x = c[[f"f{j}" for j in range(12)]].to_numpy(dtype=float)
    return frame(x, c["treatment"].to_numpy(), c["visit"].to_numpy(dtype=float), [t["tau_visit"].to_numpy()])


def urf(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 10))
    w = rng.integers(0, 2, size=n)
    tau = np.where(x[:, 0] > 0, 0.1, 0.0) + 0.05 * x[:, 1]
    rate = np.clip(0.1 + 0.05 * x[:, 2] + w * tau, 0, 1)
    y = (rng.uniform(size=n) < rate).astype(float)
    return frame(x, w, y, [tau])


def make(kind, n, seed, tp=None):
    if kind.startswith("acic"):
        return acic(int(kind[4:]))
    if kind == "linear":
        return normal_world(n, seed, 2, 0.8, lambda a, x: 1.0 + x[:, 0])
    if kind == "sigmoid":
        return normal_world(n, seed, 2, 0.5, lambda a, x: 1.0 + sigmoid(2.0 * x[:, 0]))
    if kind == "arms3":
        return normal_world(
            n, seed, 3, 0.5,
            lambda a, x: 1.0 + 0.5 * sigmoid(2.0 * x[:, 2]) if a == 1 else -0.5 * sigmoid(2.0 * x[:, 3]),
        )
    if kind == "retail":
        return retail(n, seed, tp)
    if kind == "criteo":
        return criteo(n, seed, tp)
    if kind == "urf":
        return urf(n, seed)
    sys.exit(f"unknown kind {kind}")


def main():
    kind, n, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    tp = sys.argv[5] if len(sys.argv) > 5 else None
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    make(kind, n, seed, tp).to_csv(out, index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
