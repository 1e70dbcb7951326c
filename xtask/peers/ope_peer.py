"""numpy peer of tp-ope's DR estimator with a percentile bootstrap.

Same log as `crates/tp-ope/examples/dr_bootstrap.rs`, bit for bit: n logged
rows x k arms, uniform logging (pscore = 1/k), a target that puts 0.6 on arm
i % k, a fixed reward model, 0/1 rewards; row i's action and reward come from
outputs 2i + 1 and 2i + 2 of SplitMix64 started at the seed (wrapping uint64
arithmetic), so the DR value matches ours exactly and only the bootstrap draws
differ. DR per-row terms (obp's definition)

    DR_i = sum_a pi_e(a|x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i)),  w_i = pi_e(a_i|x_i) / pscore_i

then B bootstrap replicates: resample n rows with replacement, take the mean,
report the (alpha/2, 1 - alpha/2) percentiles (obp's estimate_confidence_interval_by_bootstrap
does the same with random_state.choice in a Python loop; this vectorizes the draw
per replicate, which is the fastest plain-numpy form).

Prints one JSON line: sizes, value, interval, and `estimator_seconds` (terms +
bootstrap, data generation excluded) and
`cpu_seconds` (process CPU time of the same span). Run in a fresh process with
OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE python xtask/peers/ope_peer.py --rows 1000000 --arms 5 --bootstrap 1000
"""

import argparse
import json
import time

import numpy as np


G = np.uint64(0x9E3779B97F4A7C15)


def splitmix(seed: int, j: np.ndarray) -> np.ndarray:
    """Outputs j (1-based, uint64 array) of SplitMix64 started at seed."""
    z = np.uint64(seed) + j * G
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--arms", type=int, default=5)
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    n, k = a.rows, a.arms
    rng = np.random.default_rng(a.seed)
    i = np.arange(n)
    target = np.full((n, k), 0.4 / (k - 1))
    target[i, i % k] = 0.6
    q = 0.05 + 0.02 * np.arange(k)[None, :] + 0.001 * (i % 10)[:, None]
    j = np.arange(n, dtype=np.uint64) * np.uint64(2)
    action = (((splitmix(a.seed, j + np.uint64(1)) >> np.uint64(32)) * np.uint64(k)) >> np.uint64(32)).astype(np.int64)
    u = (splitmix(a.seed, j + np.uint64(2)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    pscore = np.full(n, 1.0 / k)
    reward = (u < 0.05 + 0.02 * action).astype(float)

    t0, c0 = time.perf_counter(), time.process_time()
    w = target[i, action] / pscore
    terms = (target * q).sum(axis=1) + w * (reward - q[i, action])
    value = terms.mean()
    boot = np.empty(a.bootstrap)
    for b in range(a.bootstrap):
        boot[b] = terms[rng.integers(0, n, size=n)].mean()
    lo, hi = np.percentile(boot, [100 * a.alpha / 2, 100 * (1 - a.alpha / 2)])
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"rows": n, "arms": k, "bootstrap": a.bootstrap, "value": float(value),
                      "ci_low": float(lo), "ci_high": float(hi), "estimator_seconds": round(secs, 3), "cpu_seconds": round(cpu, 2)}))


if __name__ == "__main__":
    main()
