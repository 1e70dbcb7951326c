"""Golden coefficients for tp-learn's linear learners, from scikit-learn.

Writes testdata/learn/linear_golden.json: a stated input (200 x 5, numpy
default_rng(20261129)), and the coefficients of LinearRegression, Ridge and
LogisticRegression (lbfgs, tight tol), unweighted and weighted.

Run: cargo xtask golden learn
 (= OMP_WAIT_POLICY=PASSIVE .venv/bin/python xtask/peers/learn_golden.py [OUTPUT])
"""

import json
import pathlib
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

SEED = 20261129
N, P = 200, 5
ALPHA = 2.5
C = 0.5


def main() -> None:
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(N, P)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0]) + np.array([0.0, 1.0, -2.0, 5.0, 0.0])
    w = rng.uniform(0.5, 2.0, size=N)
    beta = np.array([1.0, -0.5, 2.0, 0.0, 0.25])
    y = 0.7 + x @ beta + rng.normal(size=N)
    eta = -0.3 + (x - x.mean(axis=0)) @ (beta * 0.6)
    yb = (rng.uniform(size=N) < 1.0 / (1.0 + np.exp(-eta))).astype(float)

    cases = []
    for weighted in (False, True):
        sw = w if weighted else None
        ols = LinearRegression().fit(x, y, sample_weight=sw)
        cases.append({"model": "ols", "weighted": weighted, "params": {},
                      "coef": ols.coef_.tolist(), "intercept": float(ols.intercept_)})
        ridge = Ridge(alpha=ALPHA, solver="cholesky").fit(x, y, sample_weight=sw)
        cases.append({"model": "ridge", "weighted": weighted, "params": {"alpha": ALPHA},
                      "coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_)})
        logit = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(x, yb, sample_weight=sw)
        check = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(x, yb, sample_weight=sw)
        gap = float(np.max(np.abs(logit.coef_ - check.coef_)))
        assert gap < 1e-7, f"lbfgs and newton-cholesky disagree by {gap}"
        cases.append({"model": "logistic", "weighted": weighted, "params": {"C": C, "l2": 1.0 / C},
                      "coef": logit.coef_[0].tolist(), "intercept": float(logit.intercept_[0])})

    out = {
        "generator": {
            "script": "xtask/peers/learn_golden.py",
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "input": {"seed": SEED, "n": N, "p": P, "x": x.tolist(), "y": y.tolist(), "y_binary": yb.tolist(),
                  "weights": w.tolist()},
        "tolerance": 1e-6,
        "note": "logistic objective: C * sum w_i logloss_i + 0.5 |beta|^2, i.e. tp l2 = 1/C; intercept unpenalized",
        "cases": cases,
    }
    root = pathlib.Path(__file__).resolve().parents[2]
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "testdata" / "learn" / "linear_golden.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
