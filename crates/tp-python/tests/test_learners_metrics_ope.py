"""Meta-learners, tp.metrics and tp.ope against the CLI and closed forms."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import tp
from conftest import tp_binary

COVARIATES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def run_cli(args):
    binary = tp_binary()
    if binary is None:
        pytest.skip("no tp binary: build it with `cargo build -p tp-cli` or set TP_BIN")
    run = subprocess.run([str(binary), *args], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(
    "cls,method,learner",
    [(tp.XLearner, "x", "linear"), (tp.DRLearner, "dr", "linear"), (tp.TLearner, "t", "gbt"), (tp.SLearner, "s", "rf"), (tp.RLearner, "r", "linear")],
)
def test_meta_learners_equal_the_cli(hillstrom_head, tmp_path, cls, method, learner):
    df = pd.read_csv(hillstrom_head)
    est = cls(learner=learner, control="No E-Mail").fit(df[COVARIATES], df["segment"], df["visit"])
    out = tmp_path / "cate.csv"
    summary = run_cli([
        "uplift", "--data", str(hillstrom_head), "--treatment", "segment", "--outcome", "visit",
        "--control", "No E-Mail", "--covariates", ",".join(COVARIATES), "--method", method,
        "--learner", learner, "--seed", "0", "--out", str(out), "--json",
    ])
    table = pd.read_csv(out, float_precision="round_trip")
    assert est.arms_ == summary["arms"]
    for k, arm in enumerate(est.arms_[1:]):
        np.testing.assert_array_equal(est.train_effect_[:, k], table[f"tau_{arm}"].to_numpy())
        assert est.ate_[k] == summary["effects"][k]["ate"]
    assert est.summary_["diagnostics"] == summary["diagnostics"]
    # a new row's effect comes from the saved model the CLI would write
    assert est.effect(df[COVARIATES].head(5)).shape == (5, 2)


def test_x_learner_recovers_a_linear_effect_and_bootstrap_intervals_cover():
    rng = np.random.default_rng(2)
    n = 4000
    X = rng.normal(size=(n, 3))
    T = rng.integers(0, 2, n)
    tau = 1.0 + 2.0 * X[:, 0]
    y = X[:, 1] + T * tau + rng.normal(size=n)
    est = tp.XLearner(bootstrap=30).fit(X, T, y)
    assert np.sqrt(np.mean((est.effect(X) - tau) ** 2)) < 0.15
    assert abs(est.ate_ - tau.mean()) < 3 * est.ate_se_ + 0.05
    lo, hi = est.effect_interval(X[:200])
    assert np.mean((lo <= tau[:200]) & (tau[:200] <= hi)) > 0.8
    with pytest.raises(ValueError, match="bootstrap"):
        tp.XLearner().fit(X, T, y).effect_interval(X)
    with pytest.raises(ValueError, match="learner='svm'"):
        tp.XLearner(learner="svm").fit(X, T, y)


def test_metrics_equal_tp_evaluate(hillstrom_head, tmp_path):
    df = pd.read_csv(hillstrom_head)
    two = df[df["segment"] != "Mens E-Mail"].reset_index(drop=True)
    rng = np.random.default_rng(0)
    score = two["history"].to_numpy() / 1000 + rng.normal(scale=0.01, size=len(two))
    path = tmp_path / "scored.csv"
    pd.DataFrame({"w": (two["segment"] == "Womens E-Mail").astype(int), "y": two["visit"], "s": score}).to_csv(
        path, index=False, float_format="%.17g"
    )
    cli = run_cli(["evaluate", "--data", str(path), "--treatment", "w", "--outcome", "y", "--score", "s", "--json"])
    ours = tp.metrics.evaluate(two["visit"], (two["segment"] == "Womens E-Mail").astype(int), score)
    for key in ("qini_auc", "uplift_auc", "uplift_at_30", "rate_autoc", "rate_autoc_se"):
        assert ours[key] == cli[key], key
    w = (two["segment"] == "Womens E-Mail").astype(int)
    assert tp.metrics.qini_auc_score(two["visit"], w, score) == cli["qini_auc"]
    assert tp.metrics.uplift_at_k(two["visit"], w, score, k=0.3) == cli["uplift_at_30"]
    assert tp.metrics.rate(two["visit"], w, score)["estimate"] == cli["rate_autoc"]


def test_metrics_of_a_perfect_score_beat_a_random_one():
    rng = np.random.default_rng(1)
    n = 5000
    T = rng.integers(0, 2, n)
    tau = rng.uniform(-0.2, 0.4, n)
    y = (rng.uniform(size=n) < 0.3 + T * tau).astype(float)
    good = tp.metrics.evaluate(y, T, tau)
    bad = tp.metrics.evaluate(y, T, rng.normal(size=n))
    assert good["qini_auc"] > bad["qini_auc"] + 0.1
    assert good["rate_autoc"] > 2 * good["rate_autoc_se"]
    with pytest.raises(ValueError, match="3 arms"):
        tp.metrics.evaluate(y, rng.integers(0, 3, n), tau)


def test_ope_ipw_of_treat_all_is_the_closed_form_on_an_rct():
    rng = np.random.default_rng(3)
    n = 3000
    a = rng.integers(0, 3, n)
    r = rng.normal(loc=np.array([0.0, 0.5, 1.0])[a], size=n)
    p = np.full(n, 1 / 3)
    policy = np.full(n, 2)
    out = tp.ope.evaluate(a, r, p, policy, estimators=["ipw", "snipw"])
    ipw = np.mean((a == 2) * r / p)
    assert abs(out["estimates"]["ipw"]["value"] - ipw) < 1e-12
    snipw = np.sum((a == 2) * r / p) / np.sum((a == 2) / p)
    assert abs(out["estimates"]["snipw"]["value"] - snipw) < 1e-12
    assert out["arms"] == ["0", "1", "2"]
    names = [c["baseline"] for c in out["comparisons"]]
    assert "treat-none" in names
    # probabilities in place of arms give the same value
    probs = np.zeros((n, 3))
    probs[:, 2] = 1.0
    same = tp.ope.evaluate(a, r, p, probs, estimators="ipw")
    assert same["estimates"]["ipw"]["value"] == out["estimates"]["ipw"]["value"]
    with pytest.raises(ValueError, match="rows"):
        tp.ope.evaluate(a, r, p[:-1], policy)


def test_ope_defaults_equal_tp_ope_json_slope_lambdas_included(tmp_path):
    """Same log, policy, reward model and current practice: tp.ope.evaluate with its defaults gives
    `tp ope --json`'s summary, number for number, SLOPE's choice of the Switch-DR and DRos λ
    included (the CLI tunes them by default; a fixed λ would differ)."""
    rng = np.random.default_rng(11)
    n, labels = 3000, np.array(["control", "email", "sms"])
    x = rng.uniform(size=n)
    # a skewed logging policy: importance weights up to ~40, so the λ matters
    logits = np.column_stack([np.zeros(n), 3.0 * (x - 0.5), -2.5 + 2.0 * x])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    a = (rng.uniform(size=(n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    reward = np.array([0.0, 0.4, 0.9])[a] * x + rng.normal(0, 1, n)
    q = np.column_stack([k * 0.45 * x + rng.normal(0, 0.3, n) for k in range(3)])
    pd.DataFrame({"arm": labels[a], "reward": reward, "propensity": p[np.arange(n), a]}).to_csv(
        tmp_path / "log.csv", index=False
    )
    pd.DataFrame({"arm": labels[np.where(x > 0.6, 2, np.where(x > 0.3, 1, 0))]}).to_csv(
        tmp_path / "policy.csv", index=False
    )
    pd.DataFrame({f"q_{lab}": q[:, k] for k, lab in enumerate(labels)}).to_csv(tmp_path / "q.csv", index=False)
    pd.DataFrame({"arm": labels[rng.integers(0, 3, n)]}).to_csv(tmp_path / "current.csv", index=False)
    cli = run_cli([
        "ope", "--log", str(tmp_path / "log.csv"), "--action", "arm", "--reward", "reward",
        "--propensity", "propensity", "--policy", str(tmp_path / "policy.csv"), "--q-hat", str(tmp_path / "q.csv"),
        "--current", str(tmp_path / "current.csv"), "--json",
    ])
    # the CLI's inputs as it read them (CSV floats round-trip exactly)
    log = pd.read_csv(tmp_path / "log.csv", float_precision="round_trip")
    qq = pd.read_csv(tmp_path / "q.csv", float_precision="round_trip")
    policy = pd.read_csv(tmp_path / "policy.csv")["arm"]
    current = pd.read_csv(tmp_path / "current.csv")["arm"]
    out = tp.ope.evaluate(log["arm"], log["reward"], log["propensity"], policy, q_hat=qq.to_numpy(), current=current)
    assert out.pop("skipped") == []
    assert out == cli
    assert set(out["lambdas"]) == {"switch-dr", "dros"}
    # the tuned λ is not the old fixed default's: that one gives other numbers
    fixed = tp.ope.evaluate(
        log["arm"], log["reward"], log["propensity"], policy, q_hat=qq.to_numpy(), switch_lambda=100.0, dros_lambda=100.0
    )
    assert fixed["lambdas"] == {"switch-dr": 100.0, "dros": 100.0} != out["lambdas"]
    tuned_values = (out["estimates"]["switch-dr"]["value"], out["estimates"]["dros"]["value"])
    fixed_values = (fixed["estimates"]["switch-dr"]["value"], fixed["estimates"]["dros"]["value"])
    assert tuned_values != fixed_values


def test_design_matches_the_cli_documentation():
    assert tp.ope.design(mde=0.1, sd=1.0)["n_treated"] == 1570
    mde = tp.ope.design(sd=1.0, n=1570)["mde"]
    assert 0.099 < mde <= 0.1
    with pytest.raises(ValueError, match="exactly one"):
        tp.ope.design(mde=0.1)
