"""Quality probes of the forest scale cases (`cargo xtask bench forest-1m`, `forest-criteo`, `forest-100k`).

    forest_scale_probe.py json STDOUT               # the last JSON line a side printed (forest_scale)
    forest_scale_probe.py criteo CATE.parquet DATA.parquet
        PEHE of `tau` against the simulator's `tau_visit`, and the share of rows whose
        [tau_lo, tau_hi] covers it, over every row
"""

import json
import sys


def main():
    kind = sys.argv[1]
    if kind == "json":
        with open(sys.argv[2]) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        print(lines[-1])
    elif kind == "criteo":
        import numpy as np
        import pyarrow.parquet as pq

        cate = pq.read_table(sys.argv[2], columns=["tau", "tau_lo", "tau_hi"])
        truth = pq.read_table(sys.argv[3], columns=["tau_visit"]).column("tau_visit").to_numpy()
        tau = cate.column("tau").to_numpy()
        lo, hi = cate.column("tau_lo").to_numpy(), cate.column("tau_hi").to_numpy()
        ok = np.isfinite(tau)
        err = tau[ok] - truth[ok]
        covered = (lo[ok] <= truth[ok]) & (truth[ok] <= hi[ok])
        print(json.dumps({
            "pehe": float(np.sqrt(np.mean(err**2))),
            "coverage90": float(np.mean(covered)),
            "ate_true": float(np.mean(truth)),
            "ate_hat": float(np.mean(tau[ok])),
            "rows": int(ok.sum()),
        }))
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
