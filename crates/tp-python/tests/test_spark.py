"""tp.spark on local[2]: every function gives the one-machine result at several partitionings,
including partitionings with empty and one-row partitions.

One Spark session serves the module (started and stopped by the fixture). Skipped when pyspark or
a Java runtime is missing (CI installs both and fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pytest

# .ci/run sets TP_SPARK_TESTS=1 after installing pyspark and Java: then a missing piece fails
if os.environ.get("TP_SPARK_TESTS") == "1":
    import pandas as pd
    import pyarrow as pa
    import pyspark  # noqa: F401
else:
    pytest.importorskip("pyspark")
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime: Spark cannot start", allow_module_level=True)

import tp  # noqa: E402
import tp.spark  # noqa: E402
from tp import _native  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # executors run this interpreter (its venv has tp, numpy and pyarrow)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tp-spark-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def partitionings(spark, pdf):
    """The same rows as Spark DataFrames split several ways: one partition; 5 contiguous ones;
    more slices than rows at the head (empty and one-row partitions)."""
    schema = spark.createDataFrame(pdf.head(1)).schema
    rows = [tuple(r) for r in pdf.itertuples(index=False, name=None)]
    sc = spark.sparkContext
    head, tail = rows[:6], rows[6:]
    # 6 rows over 10 slices: 4 empty partitions, 6 one-row partitions, then the rest in 2
    mixed = sc.parallelize(head, 10).union(sc.parallelize(tail, 2))
    out = {
        "one": spark.createDataFrame(sc.parallelize(rows, 1), schema),
        "five": spark.createDataFrame(sc.parallelize(rows, 5), schema),
        "empty-and-single": spark.createDataFrame(mixed, schema),
    }
    parts = out["empty-and-single"].rdd.glom().map(len).collect()
    assert parts.count(0) >= 4 and parts.count(1) >= 6, parts
    return out


def assert_close(a, b, rel):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    tol = rel * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    bad = np.abs(a - b) > tol
    assert not bad.any(), (a[bad][:5], b[bad][:5])


# --- profiles ------------------------------------------------------------------------------------


def test_profiles_equal_one_machine(spark):
    rng = np.random.default_rng(5)
    catalog = pd.DataFrame(
        {
            "item_id": np.arange(20, dtype=np.int64),
            "department": [["PRODUCE", "SNACKS", "DAIRY"][i % 3] for i in range(20)],
            "price_tier": [["budget", "mid", "premium"][(i // 3) % 3] for i in range(20)],
            "base_price": rng.uniform(0.5, 8.0, 20),
            "healthy": (np.arange(20) % 2).astype(np.int64),
        }
    )
    n = 1500
    events = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 120, n).astype(np.int64),
            "item_id": rng.integers(0, 20, n).astype(np.int64),
            "day": rng.integers(0, 200, n).astype(np.int64),
            "quantity": rng.integers(1, 4, n).astype(np.float64),
            "value": np.round(rng.uniform(0.5, 30.0, n), 2),
            "promo": rng.random(n) < 0.3,
        }
    )
    params = {"half_life_days": 45.0, "shrinkage_strength": 3.0}
    cols = [(c, tp.spark._arrow_column(c, pa.array(events[c]))) for c in events.columns]
    cat = tp.spark._local_columns(catalog)
    one = dict(_native.profile_local(cols, cat, _native.profile_params(json.dumps(params))))
    for name, df in partitionings(spark, events).items():
        got = tp.spark.profiles(df, catalog, params)
        assert list(got.columns) == list(one), name
        for c in got.columns:
            if got[c].dtype.kind in "fi":
                assert_close(got[c].to_numpy(), one[c], 1e-12)
            else:
                assert list(got[c]) == list(one[c]), (name, c)
    # the reference day: the latest event day, found by one aggregate
    assert got["l3.recency_days"].min() == 0.0


def test_profiles_errors_name_the_problem(spark):
    catalog = pd.DataFrame({"item_id": np.arange(3, dtype=np.int64), "department": ["a", "b", "c"]})
    df = spark.createDataFrame(pd.DataFrame({"customer_id": [1], "item_id": [1], "day": [3]}))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['quantity', 'value'\]"):
        tp.spark.profiles(df, catalog)
    with pytest.raises(ValueError, match="unknown parameter 'half_life'"):
        tp.spark.profiles(df, catalog, {"half_life": 3})


# --- scoring -------------------------------------------------------------------------------------


def test_score_is_the_one_machine_bits(spark):
    rng = np.random.default_rng(11)
    n = 600
    X = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "spend": rng.gamma(2.0, 30.0, n),
            "channel": [["web", "store", "phone"][i] for i in rng.integers(0, 3, n)],
        }
    )
    t = rng.integers(0, 2, n)
    y = X["spend"].to_numpy() * 0.01 + t * (X["age"].to_numpy() > 40) * 1.5 + rng.normal(0, 1, n)
    est = tp.TLearner(learner="linear").fit(X, t, y)
    # new rows: a category absent from most partitions must still line up
    Z = X.iloc[:200].copy()
    Z["id"] = np.arange(200, dtype=np.int64)
    one = est.effect(Z[["age", "spend", "channel"]])
    for name, df in partitionings(spark, Z).items():
        got = tp.spark.score(df, est).toPandas().sort_values("id")
        assert list(got.columns) == ["age", "spend", "channel", "id", "tau"], name
        np.testing.assert_array_equal(got["tau"].to_numpy(), one)
    with pytest.raises(ValueError, match="lacks column"):
        tp.spark.score(df.drop("channel"), est)


# --- off-policy evaluation -----------------------------------------------------------------------


def _log(n, seed):
    rng = np.random.default_rng(seed)
    arms = np.array(["control", "email", "sms"])
    x = rng.random(n)
    p = np.column_stack([0.2 + 0.5 * x, (0.8 - 0.5 * x) / 2, (0.8 - 0.5 * x) / 2])
    a = np.array([rng.choice(3, p=row) for row in p])
    r = a * (x - 0.4) + rng.normal(0, 1, n)
    q = np.column_stack([k * (x - 0.4) + rng.normal(0, 0.2, n) for k in range(3)])
    pol = np.where(x > 0.4, 2, 0)
    return pd.DataFrame(
        {
            "arm": arms[a],
            "reward": r,
            "propensity": p[np.arange(n), a],
            "policy": arms[pol],
            "q_control": q[:, 0],
            "q_email": q[:, 1],
            "q_sms": q[:, 2],
        }
    )


def test_ope_same_bits_under_any_partitioning_and_equals_evaluate(spark):
    log = _log(700, 3)
    q = {"control": "q_control", "email": "q_email", "sms": "q_sms"}
    one = tp.ope.evaluate(
        log["arm"], log["reward"], log["propensity"], log["policy"],
        q_hat=log[["q_control", "q_email", "q_sms"]].to_numpy(),
    )
    reports = {}
    for name, df in partitionings(spark, log).items():
        reports[name] = tp.spark.ope(df, "arm", "reward", "propensity", "policy", q_hat=q)
    first = json.dumps(reports["one"], sort_keys=True)
    for name, rep in reports.items():
        assert json.dumps(rep, sort_keys=True) == first, name
    rep = reports["one"]
    assert rep["arms"] == one["arms"] == ["control", "email", "sms"]
    assert set(rep["estimates"]) == set(one["estimates"]) == {"dm", "ipw", "snipw", "dr", "sndr", "switch-dr", "dros"}
    for est, e in one["estimates"].items():
        for k in ("value", "se", "ci_low", "ci_high"):
            assert_close(rep["estimates"][est][k], e[k], 1e-12)
    for k in ("ess", "mean_weight", "max_weight"):
        assert_close(rep["diagnostics"][k], one["diagnostics"][k], 1e-12)
    # SLOPE's λ chosen on the merged sums: one choice whatever the partitioning
    dfs = partitionings(spark, log)
    tuned = [
        tp.spark.ope(dfs[k], "arm", "reward", "propensity", "policy", q_hat=q,
                     estimators=["switch-dr", "dros"], switch_lambda=None, dros_lambda=None)
        for k in ("one", "empty-and-single")
    ]
    assert set(tuned[0]["lambdas"]) == {"switch-dr", "dros"}
    assert json.dumps(tuned[0], sort_keys=True) == json.dumps(tuned[1], sort_keys=True)


def test_ope_refuses_what_it_cannot_merge(spark):
    log = _log(50, 4)
    df = spark.createDataFrame(log)
    with pytest.raises(ValueError, match="dr needs a reward model: pass q_hat"):
        tp.spark.ope(df, "arm", "reward", "propensity", "policy", estimators="dr")
    bad = log.copy()
    bad.loc[7, "policy"] = "push"
    with pytest.raises(Exception, match="holds arm 'push'"):
        tp.spark.ope(spark.createDataFrame(bad), "arm", "reward", "propensity", "policy", estimators="ipw")


# --- segments ------------------------------------------------------------------------------------


def test_kmeans_assign_and_summary(spark):
    rng = np.random.default_rng(8)
    centers = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    X = np.vstack([c + rng.normal(0, 1.0, (120, 2)) for c in centers])
    pdf = pd.DataFrame({"id": np.arange(len(X), dtype=np.int64), "f0": X[:, 0], "f1": X[:, 1]})
    labels, sums = _native.kmeans_assign(np.ascontiguousarray(X), centers)
    one = json.loads(_native.kmeans_finish(sums, centers))
    d = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, d.argmin(axis=1))
    for name, df in partitionings(spark, pdf).items():
        got = tp.spark.kmeans_assign(df, centers, ["f0", "f1"]).toPandas().sort_values("id")
        np.testing.assert_array_equal(got["segment"].to_numpy(), labels)
        s = tp.spark.kmeans_summary(df, centers, ["f0", "f1"])
        assert s["sizes"] == one["sizes"], name
        assert s["inertia"] == one["inertia"], name
        np.testing.assert_array_equal(s["means"].ravel(), np.asarray(one["means"]))
    for k in range(3):
        np.testing.assert_allclose(s["means"][k], X[labels == k].mean(axis=0), rtol=1e-12)
    assert sum(s["sizes"]) == len(X)
