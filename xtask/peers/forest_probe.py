"""Quality probes of `cargo xtask bench forest` (untimed), one JSON line each.

    forest_probe.py pehe PRED.csv DATA.csv [OOB.csv]  # sqrt(mean((tau_hat - tau)^2)) over the rows (and
                                                      # `pehe_oob` of the out-of-bag predictions OOB.csv)
    forest_probe.py qini PRED.csv TEST.csv   # normalized Qini coefficient (scikit-uplift's qini_auc_score
                                             # convention: area between the Qini curve and the random line
                                             # over the same area of the perfect ranking), plus, when the
                                             # test file has a `tau` column, the uplift PEHE; with
                                             # several `uplift_s<seed>` columns (one per seed): their
                                             # mean, sd (ddof 1) and each seed's Qini
"""

import json
import sys

import numpy as np
import pandas as pd


def qini_curve(y, w, score):
    order = np.argsort(-score, kind="mergesort")
    y, w, score = y[order], w[order], score[order]
    # thresholds at the last row of each run of equal scores
    ends = np.r_[np.where(np.diff(score))[0], len(score) - 1]
    n_t = np.cumsum(w)[ends]
    n_c = np.cumsum(1 - w)[ends]
    y_t = np.cumsum(y * w)[ends]
    y_c = np.cumsum(y * (1 - w))[ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n_c > 0, y_t - y_c * n_t / np.maximum(n_c, 1), y_t)
    x = ends + 1
    return np.r_[0, x], np.r_[0, q]


def qini_auc(y, w, score):
    x, q = qini_curve(y, w, score)
    x_p, q_p = qini_curve(y, w, y * w - y * (1 - w))
    random = q[-1] * x[-1] / 2
    return (np.trapezoid(q, x) - random) / (np.trapezoid(q_p, x_p) - random)


def main():
    kind, pred, data = sys.argv[1], pd.read_csv(sys.argv[2]), pd.read_csv(sys.argv[3])
    if kind == "pehe":
        err = pred["tau"].to_numpy() - data["tau"].to_numpy()
        out = {"pehe": float(np.sqrt(np.nanmean(err**2))), "rows": int(len(err))}
        if len(sys.argv) > 4:
            oob = pd.read_csv(sys.argv[4])["tau"].to_numpy() - data["tau"].to_numpy()
            out["pehe_oob"] = float(np.sqrt(np.nanmean(oob**2)))
        print(json.dumps(out))
    elif kind == "qini":
        cols = [c for c in pred.columns if c.startswith("uplift")]
        y, w = data["y"].to_numpy(), data["w"].to_numpy()
        qinis = [float(qini_auc(y, w, pred[c].to_numpy())) for c in cols]
        out = {"qini": float(np.mean(qinis))}
        if len(cols) > 1:
            out.update(qini_sd=float(np.std(qinis, ddof=1)), qinis={c: q for c, q in zip(cols, qinis)})
        if "tau" in data:
            u = pred[cols[0]].to_numpy()
            out["pehe"] = float(np.sqrt(np.mean((u - data["tau"].to_numpy()) ** 2)))
        print(json.dumps(out))
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
