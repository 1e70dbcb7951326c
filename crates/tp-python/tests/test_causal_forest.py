"""tp.CausalForest: CLI equality, effects, intervals, conventions."""

from __future__ import annotations

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest

import tp
from conftest import TESTDATA, tp_binary

COVARIATES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def cli_tau(data, tmp_path, extra):
    """`tp uplift --method causal-forest` on `data`: the output table (live binary or stored)."""
    binary = tp_binary()
    if binary is None:
        pytest.skip("no tp binary: build it with `cargo build -p tp-cli` or set TP_BIN")
    out = tmp_path / "cate.csv"
    cmd = [
        str(binary), "uplift", "--data", str(data), "--treatment", "segment", "--outcome", "visit",
        "--control", "No E-Mail", "--covariates", ",".join(COVARIATES), "--method", "causal-forest",
        "--seed", "0", "--out", str(out), "--json", *extra,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return pd.read_csv(out, float_precision="round_trip"), json.loads(run.stdout)


def test_oob_effect_equals_the_cli_bit_for_bit_three_arms(hillstrom_head, tmp_path):
    df = pd.read_csv(hillstrom_head)
    cf = tp.CausalForest(random_state=0, control="No E-Mail").fit(df[COVARIATES], df["segment"], df["visit"])
    table, summary = cli_tau(hillstrom_head, tmp_path, [])
    assert cf.arms_ == summary["arms"] == ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    for k, arm in enumerate(cf.arms_[1:]):
        np.testing.assert_array_equal(cf.oob_effect_[:, k], table[f"tau_{arm}"].to_numpy())
        np.testing.assert_array_equal(cf.oob_effect_se_[:, k], table[f"tau_se_{arm}"].to_numpy())
        assert cf.ate_[k] == summary["effects"][k]["ate"]
        assert cf.ate_se_[k] == summary["effects"][k]["ate_se"]
    for a, arm in enumerate(cf.arms_):
        np.testing.assert_array_equal(cf.dr_scores_[:, a], table[f"gamma_{arm}"].to_numpy())


def test_oob_effect_equals_the_cli_bit_for_bit_binary(hillstrom_head, tmp_path):
    df = pd.read_csv(hillstrom_head)
    two = df[df["segment"] != "Mens E-Mail"]
    path = tmp_path / "two_arms.csv"
    # the CLI reads the same rows: keep the original text of each line
    lines = open(hillstrom_head).read().splitlines()
    keep = [lines[0]] + [lines[i + 1] for i in two.index]
    path.write_text("\n".join(keep) + "\n")
    cf = tp.CausalForest(random_state=0).fit(two[COVARIATES], two["segment"] == "Womens E-Mail", two["visit"])
    # the CLI with labels: control 'No E-Mail' given explicitly
    table, summary = cli_tau(path, tmp_path, [])
    assert cf.oob_effect_.shape == (len(two),)
    np.testing.assert_array_equal(cf.oob_effect_, table["tau"].to_numpy())
    assert cf.ate_ == summary["ate"]
    lo, hi = cf.ate_interval_
    assert lo < cf.ate_ < hi


def simulated(n=3000, seed=0, arms=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    T = rng.integers(0, arms, n)
    tau = np.stack([k * (1.0 + X[:, 0]) for k in range(arms)], axis=1)
    y = X[:, 1] + tau[np.arange(n), T] + rng.normal(scale=0.5, size=n)
    return X, T, y, tau


def test_effects_recover_a_simulated_truth_with_covering_intervals():
    X, T, y, tau = simulated()
    cf = tp.CausalForest(n_estimators=400).fit(X, T, y)
    rmse = np.sqrt(np.mean((cf.oob_effect_ - tau[:, 1]) ** 2))
    assert rmse < 0.3, rmse
    assert abs(cf.ate_ - tau[:, 1].mean()) < 0.1
    Xn, _, _, taun = simulated(n=500, seed=1)
    eff = cf.effect(Xn)
    assert eff.shape == (500,)
    assert np.sqrt(np.mean((eff - taun[:, 1]) ** 2)) < 0.3
    lo, hi = cf.effect_interval(Xn, alpha=0.05)
    assert np.all(lo <= eff) and np.all(eff <= hi)
    coverage = np.mean((lo <= taun[:, 1]) & (taun[:, 1] <= hi))
    assert coverage > 0.7, coverage
    lo90, hi90 = cf.effect_interval(Xn, alpha=0.1)
    assert np.all(hi90 - lo90 < hi - lo)
    np.testing.assert_allclose((hi - lo) / 2, 1.959963984540054 * cf.effect_se(Xn), rtol=1e-12)


def test_multi_arm_effects_have_one_column_per_treated_arm():
    X, T, y, tau = simulated(arms=3)
    cf = tp.CausalForest(n_estimators=200).fit(X, T, y)
    assert cf.arms_ == ["0", "1", "2"]
    assert cf.oob_effect_.shape == (3000, 2) and cf.ate_.shape == (2,)
    assert abs(cf.ate_[0] - 1.0) < 0.15 and abs(cf.ate_[1] - 2.0) < 0.15
    assert cf.effect(X[:7]).shape == (7, 2)


def test_pickle_round_trips_through_the_model_file_and_predicts_the_same_bits(tmp_path):
    X, T, y, _ = simulated(n=800)
    cf = tp.CausalForest(n_estimators=50).fit(X, T, y)
    back = pickle.loads(pickle.dumps(cf))
    np.testing.assert_array_equal(back.effect(X), cf.effect(X))
    np.testing.assert_array_equal(back.effect_interval(X)[0], cf.effect_interval(X)[0])
    np.testing.assert_array_equal(back.oob_effect_, cf.oob_effect_)
    # the pickled model is tp's model file: `tp score` reads what save_model writes
    path = tmp_path / "model.json"
    cf.save_model(str(path))
    doc = json.loads(path.read_text())
    assert "forest" in str(doc["method"]).lower() and doc["features"] == ["x0", "x1", "x2", "x3"]
    binary = tp_binary()
    if binary is not None:
        data = tmp_path / "new.csv"
        pd.DataFrame(X[:50], columns=["x0", "x1", "x2", "x3"]).to_csv(data, index=False)
        out = tmp_path / "scores.csv"
        subprocess.run([str(binary), "score", "--model", str(path), "--data", str(data), "--out", str(out)], check=True)
        np.testing.assert_array_equal(pd.read_csv(out, float_precision="round_trip")["tau"].to_numpy(), cf.effect(X[:50]))


def test_same_seed_same_bits_other_seed_other_forest():
    X, T, y, _ = simulated(n=600)
    a = tp.CausalForest(n_estimators=20, random_state=3).fit(X, T, y).oob_effect_
    b = tp.CausalForest(n_estimators=20, random_state=3).fit(X, T, y).oob_effect_
    c = tp.CausalForest(n_estimators=20, random_state=4).fit(X, T, y).oob_effect_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
