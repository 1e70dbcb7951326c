"""tp.UpliftForest: CLI equality, recovery of a simulated uplift, errors, pickling."""

from __future__ import annotations

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest

import tp
from conftest import tp_binary

COVARIATES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def cli(data, tmp_path, extra, outcome="visit"):
    """`tp uplift --method uplift-forest` on `data`: the output table and the JSON summary."""
    binary = tp_binary()
    if binary is None:
        pytest.skip("no tp binary: build it with `cargo build -p tp-cli` or set TP_BIN")
    out = tmp_path / "cate.csv"
    cmd = [
        str(binary), "uplift", "--data", str(data), "--treatment", "segment", "--outcome", outcome,
        "--control", "No E-Mail", "--covariates", ",".join(COVARIATES), "--method", "uplift-forest",
        "--seed", "0", "--out", str(out), "--json", *extra,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return run, (pd.read_csv(out, float_precision="round_trip") if run.returncode == 0 else None)


def test_oob_effect_equals_the_cli_bit_for_bit(hillstrom_head, tmp_path):
    df = pd.read_csv(hillstrom_head)
    uf = tp.UpliftForest(random_state=0, control="No E-Mail", criterion="ed", min_samples_leaf=50)
    uf.fit(df[COVARIATES], df["segment"], df["visit"])
    run, table = cli(hillstrom_head, tmp_path, ["--criterion", "ed", "--min-samples-leaf", "50"])
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert uf.arms_ == summary["arms"] == ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    for k, arm in enumerate(uf.arms_[1:]):
        np.testing.assert_array_equal(uf.oob_effect_[:, k], table[f"tau_{arm}"].to_numpy())
        np.testing.assert_array_equal(uf.oob_effect_se_[:, k], table[f"tau_se_{arm}"].to_numpy())
        assert uf.mean_uplift_[k] == summary["mean_uplift"][k]
    np.testing.assert_array_equal(uf.observed_rate_, summary["observed_rate"])
    cli_importance = dict((name, v) for name, v in summary["variable_importance"])
    assert list(uf.feature_importances_) == [cli_importance[f] for f in uf._model.features]
    # the saved model scores new rows as `tp score` would: the same trees give the same uplift
    twin = pickle.loads(pickle.dumps(uf))
    np.testing.assert_array_equal(twin.effect(df[COVARIATES].head(100)), uf.effect(df[COVARIATES].head(100)))


def test_a_non_binary_outcome_raises_the_cli_message(hillstrom_head, tmp_path):
    df = pd.read_csv(hillstrom_head)
    with pytest.raises(ValueError, match=r"needs a 0/1 outcome, but column 'spend' is .* at data row \d+") as err:
        tp.UpliftForest(n_estimators=5).fit(df[COVARIATES], df["segment"], df["spend"])
    run, _ = cli(hillstrom_head, tmp_path, [], outcome="spend")
    assert run.returncode == 2
    # the same sentence after the source's name (the CLI names the file, Python 'data')
    assert str(err.value).split(": ", 1)[1] in run.stderr, (str(err.value), run.stderr)


def simulated(n=6000, seed=0):
    """Treatment raises the visit rate from 0.2 to 0.35 where x0 > 0 and leaves it elsewhere."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    T = rng.integers(0, 2, n)
    tau = np.where(X[:, 0] > 0, 0.15, 0.0)
    y = (rng.random(n) < 0.2 + 0.05 * (X[:, 1] > 0) + T * tau).astype(np.int64)
    return X, T, y, tau


def test_oob_uplift_finds_the_treated_half_and_new_rows_follow():
    X, T, y, tau = simulated()
    uf = tp.UpliftForest(n_estimators=100, random_state=3).fit(X, T, y)
    hi, lo = uf.oob_effect_[tau > 0].mean(), uf.oob_effect_[tau == 0].mean()
    # truth: 0.15 and 0; a forest that saw nothing would give both ~0.075
    assert hi > 0.10 and lo < 0.04, (hi, lo)
    assert np.corrcoef(uf.oob_effect_, tau)[0, 1] > 0.6
    assert np.argmax(uf.feature_importances_) == 0
    Xn, _, _, tau_n = simulated(2000, seed=1)
    pred = uf.effect(Xn)
    assert pred[tau_n > 0].mean() - pred[tau_n == 0].mean() > 0.08
    lo_b, hi_b = uf.effect_interval(Xn, alpha=0.1)
    assert np.all(lo_b <= pred) and np.all(pred <= hi_b) and np.all(hi_b > lo_b)
    assert abs(uf.mean_uplift_ - uf.oob_effect_.mean()) < 1e-12
    np.testing.assert_allclose(uf.observed_rate_, [y[T == 0].mean(), y[T == 1].mean()])


def test_bad_parameters_are_value_errors():
    X, T, y, _ = simulated(500)
    with pytest.raises(ValueError, match="criterion='gini': expected one of 'kl', 'ed', 'chi', 'cts'"):
        tp.UpliftForest(criterion="gini").fit(X, T, y)
    with pytest.raises(ValueError, match="max_depth=0"):
        tp.UpliftForest(max_depth=0).fit(X, T, y)
    with pytest.raises(ValueError, match="single arm"):
        tp.UpliftForest().fit(X, np.zeros(len(y), dtype=int), y)
