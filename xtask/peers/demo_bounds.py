"""How much of the oracle profit can any targeting policy learned from the retail world reach?

    demo_bounds.py WORLD_DIR      (a directory written by `tp simulate --preset retail`)

The oracle treats a household iff its true effect (truth.csv `tau_coupon`) exceeds break-even
(cost / margin). A learned policy only sees the covariates in customers.csv (and the events), so
its share of the oracle profit is bounded by what those covariates say about τ. This script
measures that bound and where peers' CATE learners land, all out-of-fold (5 folds):

  ceiling   RandomForest fitted on the *true, noise-free* τ from the covariates: no learner that
            sees only the covariates and noisy outcomes can expect to beat it;
  latent    the same from the simulator's hidden household parameters (archetype, visit rate,
            basket, deal-hunting, lapse), with and without the per-household effect draw;
  peers     T-, DR- and R-learners with LightGBM / RandomForest on the logged outcomes, using the
            logged propensities; treat iff τ̂ > break-even;
  rules     top-k% by a single covariate (pre_promo_share), as a plain-heuristic reference.

Prints one line per policy: the share of the oracle's true profit and the share treated.
"""

import sys
import warnings

import lightgbm as lgb
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold

warnings.filterwarnings("ignore")
MARGIN, COST = 0.30, 12.73  # the retail world's defaults (world.json `economics`)


def load(path):
    return np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")


def main(d: str) -> None:
    cu, tr, ca = load(f"{d}/customers.csv"), load(f"{d}/truth.csv"), load(f"{d}/campaign.csv")
    tau = tr["tau_coupon"]
    be = COST / MARGIN
    n = len(tau)

    def profit(treat):
        return float(np.sum((MARGIN * tau - COST) * treat))

    oracle = profit(tau > be)
    print(f"n {n}: oracle ${oracle:,.0f} treats {np.mean(tau > be):.1%}; treat-all ${profit(np.ones(n)):,.0f}")

    def show(name, treat):
        print(f"  {name:58s} {profit(treat) / oracle:7.1%} of oracle, treats {np.mean(treat):5.1%}")

    kf = KFold(5, shuffle=True, random_state=1)

    def oof(fit_predict):
        out = np.zeros(n)
        for a, b in kf.split(np.arange(n)):
            out[b] = fit_predict(a, b)
        return out

    def rf(leaf=5):
        return RandomForestRegressor(300, min_samples_leaf=leaf, n_jobs=2, random_state=0)

    feats = [c for c in cu.dtype.names if c != "customer_id"]
    x = np.column_stack([cu[c].astype(float) for c in feats])
    print("ceiling (RandomForest on the true τ, out-of-fold):")
    th = oof(lambda a, b: rf().fit(x[a], tau[a]).predict(x[b]))
    show("customers.csv covariates", th > be)
    arch = tr["archetype"]
    hot = np.column_stack([(arch == a).astype(float) for a in np.unique(arch)])
    lat = np.column_stack([hot] + [tr[c] for c in ("visit_rate", "basket_mean", "promo_hunt", "lapse")])
    th = oof(lambda a, b: rf().fit(lat[a], tau[a]).predict(lat[b]))
    show("hidden household parameters, without the effect draw", th > be)
    lat2 = np.column_stack([lat, tr["delta_coupon"]])
    th = oof(lambda a, b: rf().fit(lat2[a], tau[a]).predict(lat2[b]))
    show("hidden household parameters and the effect draw", th > be)

    y, t, e = ca["outcome"], ca["treatment"].astype(float), ca["p_coupon"]
    print("peers on the logged outcomes (logged propensities):")
    for name, make in (
        ("LightGBM", lambda: lgb.LGBMRegressor(n_estimators=200, learning_rate=0.03, num_leaves=15,
                                                min_child_samples=40, subsample=0.8, subsample_freq=1,
                                                verbose=-1)),
        ("RandomForest", lambda: rf(20)),
    ):
        m0, m1 = np.zeros(n), np.zeros(n)
        for a, b in kf.split(x):
            for arm, m in ((0, m0), (1, m1)):
                s = a[t[a] == arm]
                m[b] = make().fit(x[s], y[s]).predict(x[b])
        show(f"T-learner, {name}", m1 - m0 > be)
        psi = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
        show(f"DR-learner, {name}", oof(lambda a, b: make().fit(x[a], psi[a]).predict(x[b])) > be)
        m = e * m1 + (1 - e) * m0

        def r_learner(a, b):
            w = (t[a] - e[a]) ** 2
            return make().fit(x[a], (y[a] - m[a]) / (t[a] - e[a]), sample_weight=w).predict(x[b])

        show(f"R-learner, {name}", oof(r_learner) > be)
    print("plain rule:")
    order = np.argsort(-cu["pre_promo_share"])
    for q in (0.2, 0.3):
        treat = np.zeros(n, bool)
        treat[order[: int(q * n)]] = True
        show(f"top {q:.0%} by pre_promo_share", treat)


if __name__ == "__main__":
    main(sys.argv[1])
