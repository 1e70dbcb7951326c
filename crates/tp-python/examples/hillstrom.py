"""The worked example of docs/python.md: the Hillstrom e-mail RCT from pandas.

Run from the repository root: python crates/tp-python/examples/hillstrom.py
"""

import numpy as np
import pandas as pd

import tp

df = pd.read_csv("testdata/uplift/hillstrom.csv")
covariates = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]
X, T, y = df[covariates], df["segment"], df["spend"]

# 1. CATE: one causal forest for both e-mails against no e-mail (control named explicitly)
cf = tp.CausalForest(n_estimators=500, control="No E-Mail", random_state=0).fit(X, T, y)
print("arms:", cf.arms_)
for k, arm in enumerate(cf.arms_[1:]):
    lo, hi = cf.ate_interval_[0][k], cf.ate_interval_[1][k]
    print(f"ATE {arm}: {cf.ate_[k]:.3f} $ per customer (95% CI {lo:.3f} to {hi:.3f})")
tau = cf.oob_effect_  # out-of-bag, n x 2
lo, hi = cf.effect_interval(X.head(3), alpha=0.1)
print("first three customers, effect of each e-mail:\n", np.round(cf.effect(X.head(3)), 3))
print("90% intervals (lower):\n", np.round(lo, 3))

# 2. Policy: send the e-mail with the larger expected spend net of a $0.10 cost, or none
cost = np.array([0.0, 0.10, 0.10])
rewards = cf.dr_scores_ - cost  # doubly robust value of each arm per customer
Xnum = pd.get_dummies(X, drop_first=True, dtype=float)
learn = np.arange(len(df)) % 2 == 0  # learn the tree on half the customers, judge it on the other half
tree = tp.PolicyTree(depth=2).fit(Xnum[learn], rewards[learn])
assign = tree.predict(Xnum[~learn])
print("policy tree shares:", {cf.arms_[a]: round(float(np.mean(assign == a)), 3) for a in range(3)})

# 3. Off-policy check of that policy on the held-out half of the randomized log (propensity 1/3)
arm_index = T.map({a: i for i, a in enumerate(cf.arms_)}).to_numpy()[~learn]
net = (y.to_numpy() - cost[T.map({a: i for i, a in enumerate(cf.arms_)}).to_numpy()])[~learn]
report = tp.ope.evaluate(
    arm_index, net, np.full(len(net), 1 / 3), assign, q_hat=(cf.arm_outcomes_ - cost)[~learn],
    estimators=["ipw", "dr"],
)
for name, e in report["estimates"].items():
    print(f"policy value by {name}: {e['value']:.3f} (95% CI {e['ci_low']:.3f} to {e['ci_high']:.3f})")
for c in report["comparisons"]:
    print(f"  vs {c['baseline']} ({c['estimator']}): {c['difference']:+.3f} [{c['ci_low']:.3f}, {c['ci_high']:.3f}]")

# 4. How well the forest ranks customers for the women's e-mail (treated vs control rows only)
two = (T != "Mens E-Mail").to_numpy()
m = tp.metrics.evaluate(y[two], (T[two] == "Womens E-Mail").astype(int), tau[two, 1])
print({k: round(v, 4) for k, v in m.items()})

# 5. The A/B test that would confirm a $0.10 gain (spend sd from the data)
print(tp.ope.design(mde=0.10, sd=float(y.std())))
