"""Peer of `cargo xtask bench policy`: econml's PolicyTree at depth 2 on the same data.

There is no Python port of R's policytree (exact search); econml's PolicyTree grows the tree
greedily (best single split per node, on every distinct threshold), so it solves an easier problem
than our exact depth-2 search and its in-sample value can only be compared, not matched.

The data are `crates/tp-policy/examples/policy_tree_timing.rs`'s, bit for bit: u(j) = (h_j >> 11)
* 2^-53 with h_j output j (1-based) of SplitMix64 started at the seed; x[i, j] = u(1 + i p + j),
eps[i, a] = u(1 + n p + i K + a), R[i, a] = (x[i, a mod p] - 0.5)(1 + a/K) + 2(eps[i, a] - 0.5)
for a > 0 and R[i, 0] = 2(eps[i, 0] - 0.5).

Prints one JSON line: fit seconds, the tree's in-sample value sum_i R[i, pi(x_i)], leaves.

    OMP_WAIT_POLICY=PASSIVE python policy_peer.py --rows 10000 --features 30 --arms 20 --seed 42
"""

import argparse
import json
import time

import numpy as np

G = np.uint64(0x9E3779B97F4A7C15)


def uniform(seed: int, j: np.ndarray) -> np.ndarray:
    """SplitMix64 outputs j (1-based, uint64 array) started at seed, as uniforms in [0, 1)."""
    z = np.uint64(seed) + j * G
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--features", type=int, default=30)
    p.add_argument("--arms", type=int, default=20)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    n, d, k = a.rows, a.features, a.arms
    x = uniform(a.seed, np.arange(1, n * d + 1, dtype=np.uint64)).reshape(n, d)
    eps = uniform(a.seed, np.arange(n * d + 1, n * d + n * k + 1, dtype=np.uint64)).reshape(n, k)
    arm = np.arange(k)
    signal = (x[:, arm % d] - 0.5) * (1.0 + arm / k)
    signal[:, 0] = 0.0
    r = signal + 2.0 * (eps - 0.5)

    from econml.policy import PolicyTree

    t0 = time.perf_counter()
    # min_balancedness_tol=0.5 lifts econml's default balance constraint (0.45), as policytree has none
    tree = PolicyTree(max_depth=2, min_samples_leaf=1, min_balancedness_tol=0.5, random_state=a.seed)
    tree.fit(x, r)
    secs = time.perf_counter() - t0
    pi = tree.predict(x)
    value = float(r[np.arange(n), pi].sum())
    print(json.dumps({"rows": n, "features": d, "arms": k, "fit_seconds": round(secs, 3), "value": value,
                      "leaves": int(tree.tree_model_.get_n_leaves()) if hasattr(tree, "tree_model_") else None}))


if __name__ == "__main__":
    main()
