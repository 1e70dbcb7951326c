"""scikit-learn peer of tp-segment's benchmark (`crates/tp-segment/examples/segment_bench.rs`).

Builds the same inputs from the same SplitMix64 formulas as
`crates/tp-segment/examples/bench_data.rs`:

- NMF: 20,000 x 300 counts of rank 6 (W, H exponential, H 70 % zeros,
  X = floor(5 WH + u)); NMF(n_components=6, init="nndsvda") with solver
  cd (tol 1e-4, 1e-5, 1e-6), mu (Frobenius) and mu (KL), max_iter 1000.
- K-Means: 1,000,000 x 16 blobs around 8 centers; Lloyd from the first 8 rows
  (both sides start from the same centers, so the inertia must agree), then a
  full KMeans(n_init=1) with k-means++.

Prints one JSON line per task with `seconds` (fit only, data generation
excluded) and the objective / inertia. Run in a fresh process:

    OMP_WAIT_POLICY=PASSIVE python xtask/peers/segment_peer.py [nmf|kmeans|all] [--quick]
"""

import argparse
import json
import time

import numpy as np

M1, M2, M3 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def splitmix64(z):
    z = z + M3
    z = (z ^ (z >> np.uint64(30))) * M1
    z = (z ^ (z >> np.uint64(27))) * M2
    return z ^ (z >> np.uint64(31))


def uniform(stream, idx):
    with np.errstate(over="ignore"):
        z = splitmix64(np.uint64(stream) * np.uint64(1 << 32) + idx.astype(np.uint64))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def nmf_counts(n, m, k):
    w = -np.log(1.0 - uniform(1, np.arange(n * k))).reshape(n, k)
    idx = np.arange(k * m)
    h = np.where(uniform(3, idx) < 0.3, -np.log(1.0 - uniform(2, idx)), 0.0).reshape(k, m)
    return np.floor(5.0 * (w @ h) + uniform(4, np.arange(n * m)).reshape(n, m))


def kmeans_blobs(n, d, k):
    centers = (10.0 * (uniform(5, np.arange(k * d)) - 0.5)).reshape(k, d)
    with np.errstate(over="ignore"):
        c = (splitmix64(np.arange(n, dtype=np.uint64) ^ np.uint64(0xABCD)) % np.uint64(k)).astype(np.int64)
    base = 3 * np.arange(n * d, dtype=np.uint64)
    s = uniform(6, base) + uniform(6, base + np.uint64(1)) + uniform(6, base + np.uint64(2)) - 1.5
    return centers[c] + 3.0 * s.reshape(n, d)


def nmf(quick):
    from sklearn.decomposition import NMF

    n, m, k = (2000, 300, 6) if quick else (20_000, 300, 6)
    x = nmf_counts(n, m, k)
    for name, kw, tols in [("cd", dict(solver="cd"), [1e-4, 1e-5, 1e-6]),
                           ("mu", dict(solver="mu"), [1e-4]),
                           ("mu_kl", dict(solver="mu", beta_loss="kullback-leibler"), [1e-4])]:
        for tol in tols:
            model = NMF(n_components=k, init="nndsvda", tol=tol, max_iter=1000, random_state=0, **kw)
            t0, c0 = time.perf_counter(), time.process_time()
            model.fit_transform(x)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(json.dumps({"task": "nmf", "solver": name, "rows": n, "cols": m, "k": k, "tol": tol,
                              "seconds": round(secs, 4), "cpu_seconds": round(cpu, 2), "objective": model.reconstruction_err_,
                              "n_iter": model.n_iter_}), flush=True)


def kmeans(quick):
    from sklearn.cluster import KMeans

    n, d, k = (100_000, 16, 8) if quick else (1_000_000, 16, 8)
    x = kmeans_blobs(n, d, k)
    init = x[:k].copy()
    t0, c0 = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd").fit(x)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"task": "kmeans_from_init", "algorithm": "lloyd", "rows": n, "dims": d, "k": k,
                      "seconds": round(secs, 4), "cpu_seconds": round(cpu, 2), "inertia": km.inertia_, "n_iter": km.n_iter_}), flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(x)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"task": "kmeans_full", "algorithm": "kmeans++_lloyd", "n_init": 1, "rows": n,
                      "seconds": round(secs, 4), "cpu_seconds": round(cpu, 2), "inertia": km.inertia_, "n_iter": km.n_iter_}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("task", nargs="?", default="all", choices=["nmf", "kmeans", "all"])
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.task in ("nmf", "all"):
        nmf(a.quick)
    if a.task in ("kmeans", "all"):
        kmeans(a.quick)


if __name__ == "__main__":
    main()
