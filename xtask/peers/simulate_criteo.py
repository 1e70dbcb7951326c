"""Peer for `tp simulate --preset criteo`: a Criteo-uplift-shaped campaign, written the way a data
scientist would write it in Python (numpy, vectorized; pyarrow for Parquet).

    python simulate_criteo.py --customers N --seed S --out DIR

Writes DIR/campaign.parquet (customer_id, f0..f11, treatment, visit, conversion) and
DIR/truth.parquet (customer_id, mu0, mu1, tau): 12 correlated Gaussian features, 85% treated at
random, a logistic visit model whose effect varies with the features (positive for most, negative
for some), tau = P(visit | treated) - P(visit | control) per customer.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_FEATURES = 12
TREATED_SHARE = 0.85


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def simulate(n: int, seed: int):
    rng = np.random.default_rng(seed)
    # correlated features: a fixed random mixing of independent normals
    mixing = np.eye(N_FEATURES) + 0.3 * rng.standard_normal((N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
    x = rng.standard_normal((n, N_FEATURES)) @ mixing.T
    beta = rng.normal(0.0, 0.4, N_FEATURES)
    baseline = -3.0 + x @ beta
    effect = 0.25 + 0.35 * x[:, 0] - 0.25 * x[:, 1] + 0.2 * (x[:, 2] > 0)
    mu0 = sigmoid(baseline)
    mu1 = sigmoid(baseline + effect)
    treatment = (rng.random(n) < TREATED_SHARE).astype(np.int8)
    p = np.where(treatment == 1, mu1, mu0)
    visit = (rng.random(n) < p).astype(np.int8)
    conversion = (visit & (rng.random(n) < 0.06)).astype(np.int8)
    ids = np.arange(n, dtype=np.int64)
    campaign = {"customer_id": ids}
    campaign.update({f"f{j}": x[:, j] for j in range(N_FEATURES)})
    campaign.update({"treatment": treatment, "visit": visit, "conversion": conversion})
    truth = {"customer_id": ids, "mu0": mu0, "mu1": mu1, "tau": mu1 - mu0}
    return pa.table(campaign), pa.table(truth)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    campaign, truth = simulate(args.customers, args.seed)
    pq.write_table(campaign, args.out / "campaign.parquet", compression="snappy")
    pq.write_table(truth, args.out / "truth.parquet", compression="snappy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
