"""Peer for `tp simulate --preset criteo`: the same Criteo-uplift-shaped table, written the way a
data scientist would write it in Python (numpy, vectorized over all rows; pyarrow for Parquet).

    python simulate_criteo.py --customers N --seed S --out DIR

Writes DIR/criteo.parquet (snappy) with the columns of ours: f0..f11, treatment, visit,
conversion (int64), propensity, mu0, mu1, tau, tau_visit (float64). The model is the one
crates/tp-sim/src/criteo.rs documents: 12 standard normals mixed into three correlated blocks and
pushed through non-Gaussian transforms; 85% treated at random; logistic visit and
conversion-given-visit probabilities with heterogeneous lifts; mu = P(visit) * P(conversion | visit)
per arm, tau = mu1 - mu0, tau_visit = the visit-probability lift. The random draws differ from
ours (numpy's PCG64 instead of per-row ChaCha streams), the distribution is the same, so the two
files agree on treated share and mean tau up to sampling error.
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


def features(u):
    v0 = u[:, 0]
    v1 = 0.7 * u[:, 0] + 0.71 * u[:, 1]
    v2 = 0.5 * u[:, 0] - 0.4 * u[:, 1] + 0.77 * u[:, 2]
    v3 = 0.6 * u[:, 2] + 0.8 * u[:, 3]
    v4 = u[:, 4]
    v5 = -0.6 * u[:, 4] + 0.8 * u[:, 5]
    v6 = 0.4 * u[:, 4] + 0.3 * u[:, 0] + 0.87 * u[:, 6]
    v7 = 0.5 * u[:, 5] + 0.87 * u[:, 7]
    v8 = u[:, 8]
    v9 = 0.8 * u[:, 8] + 0.6 * u[:, 9]
    v10 = 0.3 * u[:, 9] + 0.95 * u[:, 10]
    return [
        v0,
        np.exp(0.5 * v1),
        np.floor(3.0 * np.exp(0.6 * v2)),
        (v3 > 0.8).astype(np.float64),
        np.sinh(v4),
        sigmoid(1.7 * v5),
        np.maximum(v6, 0.0),
        (v7 > -0.7).astype(np.float64) + (v7 > 0.0) + (v7 > 0.9),
        v8,
        sigmoid(0.8 * v9) * 10.0,
        np.abs(v10),
        u[:, 11].copy(),
    ]


def simulate(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = features(rng.standard_normal((n, N_FEATURES)))
    visit_base = (
        -4.0
        + 0.55 * x[0]
        + 0.5 * np.tanh(x[1] - 1.0)
        + 0.35 * x[3]
        + 0.1 * np.minimum(x[2], 10.0)
        - 0.25 * np.clip(x[4], -3.0, 3.0)
        + 0.2 * x[8]
    )
    visit_lift = 0.25 + 0.35 * x[3] - 0.3 * (x[6] > 0.8) + 0.1 * (x[7] - 1.5)
    conv_base = -3.0 + 0.45 * x[0] + 0.6 * x[5] - 0.3 * x[10] + 0.08 * x[9]
    conv_lift = 0.1 + 0.5 * (x[5] - 0.5) - 0.25 * x[10] + 0.2 * x[3]
    v0, v1 = sigmoid(visit_base), sigmoid(visit_base + visit_lift)
    c0, c1 = sigmoid(conv_base), sigmoid(conv_base + conv_lift)
    treated = rng.random(n) < TREATED_SHARE
    visit = rng.random(n) < np.where(treated, v1, v0)
    conversion = visit & (rng.random(n) < np.where(treated, c1, c0))
    mu0, mu1 = v0 * c0, v1 * c1
    columns = {f"f{j}": x[j] for j in range(N_FEATURES)}
    columns.update(
        treatment=treated.astype(np.int64),
        visit=visit.astype(np.int64),
        conversion=conversion.astype(np.int64),
        propensity=np.where(treated, TREATED_SHARE, 1.0 - TREATED_SHARE),
        mu0=mu0,
        mu1=mu1,
        tau=mu1 - mu0,
        tau_visit=v1 - v0,
    )
    return pa.table(columns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, required=True, help="rows")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output directory (created)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(simulate(args.customers, args.seed), args.out / "criteo.parquet", compression="snappy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
