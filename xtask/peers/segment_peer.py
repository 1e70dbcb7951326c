"""scikit-learn peer of tp-segment's benchmark (`cargo xtask bench segment`).

Subcommands (each one process; the bench times whole processes):

    segment_peer.py make kmeans|nmf --rows N --out X.npy   # the shared input (untimed)
    segment_peer.py init X.npy --k K --seed S --out C.npy  # k-means++ centers both sides start from
    segment_peer.py kmeans X.npy --k K [--init C.npy] [--n-init N] --seed S --out R.json
    segment_peer.py nmf X.npy --k K [--solver cd|mu] [--loss frobenius|kl] [--tol T] --out R.json
    segment_peer.py show R.json                            # quality probe: prints R.json

Inputs (float64, C order, numpy .npy; `crates/tp-segment/examples/segment_bench` reads the same file):

- kmeans: n x 16 blobs around 8 centers (center coordinates 10 (u - 1/2), noise 3 (u1 + u2 + u3 - 3/2),
  u uniform from SplitMix64 streams);
- nmf: n x 300 counts of rank 6: W, H exponential (H 70 % zeros), X = floor(5 WH + u).

`R.json` holds the fit-only `fit_seconds` (data loading and imports excluded) next to the quality
figure (inertia, or scikit-learn's `reconstruction_err_`) and `n_iter`. Run with
OMP_WAIT_POLICY=PASSIVE, as the bench does.
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


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
        f.write("\n")


def make(a):
    x = kmeans_blobs(a.rows, 16, 8) if a.what == "kmeans" else nmf_counts(a.rows, 300, 6)
    np.save(a.out, np.ascontiguousarray(x, dtype=np.float64))


def init(a):
    from sklearn.cluster import kmeans_plusplus

    x = np.load(a.data)
    centers, _ = kmeans_plusplus(x, a.k, random_state=a.seed)
    np.save(a.out, np.ascontiguousarray(centers))


def kmeans(a):
    from sklearn.cluster import KMeans

    x = np.load(a.data)
    if a.init:
        model = KMeans(n_clusters=a.k, init=np.load(a.init), n_init=1, algorithm="lloyd")
    else:
        model = KMeans(n_clusters=a.k, n_init=a.n_init, random_state=a.seed, algorithm="lloyd")
    t0 = time.perf_counter()
    model.fit(x)
    secs = time.perf_counter() - t0
    write_json(a.out, {"side": "scikit-learn", "fit_seconds": secs, "inertia": float(model.inertia_),
                       "n_iter": int(model.n_iter_)})


def nmf(a):
    from sklearn.decomposition import NMF

    x = np.load(a.data)
    loss = "kullback-leibler" if a.loss == "kl" else "frobenius"
    model = NMF(n_components=a.k, init="nndsvda", solver=a.solver, beta_loss=loss, tol=a.tol,
                max_iter=a.max_iter, random_state=0)
    t0 = time.perf_counter()
    model.fit_transform(x)
    secs = time.perf_counter() - t0
    write_json(a.out, {"side": "scikit-learn", "fit_seconds": secs, "objective": float(model.reconstruction_err_),
                       "n_iter": int(model.n_iter_)})


def show(a):
    with open(a.path) as f:
        print(json.dumps(json.load(f)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("make")
    s.add_argument("what", choices=["kmeans", "nmf"])
    s.add_argument("--rows", type=int, required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=make)
    s = sub.add_parser("init")
    s.add_argument("data")
    s.add_argument("--k", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(func=init)
    s = sub.add_parser("kmeans")
    s.add_argument("data")
    s.add_argument("--k", type=int, required=True)
    s.add_argument("--init")
    s.add_argument("--n-init", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(func=kmeans)
    s = sub.add_parser("nmf")
    s.add_argument("data")
    s.add_argument("--k", type=int, required=True)
    s.add_argument("--solver", choices=["cd", "mu"], default="cd")
    s.add_argument("--loss", choices=["frobenius", "kl"], default="frobenius")
    s.add_argument("--tol", type=float, default=1e-4)
    s.add_argument("--max-iter", type=int, default=1000)
    s.add_argument("--out", required=True)
    s.set_defaults(func=nmf)
    s = sub.add_parser("show")
    s.add_argument("path")
    s.set_defaults(func=show)
    a = p.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
