"""scikit-learn conventions, input kinds and errors, shared by every estimator."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import tp

ESTIMATORS = [
    lambda: tp.CausalForest(n_estimators=20, random_state=1),
    lambda: tp.UpliftForest(n_estimators=20, min_samples_leaf=20, random_state=1),
]


def data(n=400, seed=0, binary=False):
    """Covariates, arms and an outcome; `binary`: a 0/1 outcome (every estimator takes it)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    T = rng.integers(0, 2, n)
    y = X[:, 0] + T * (1 + X[:, 1]) + rng.normal(size=n)
    return X, T, (y > 0.5).astype(np.int64) if binary else y


@pytest.mark.parametrize("make", ESTIMATORS)
def test_init_stores_params_and_clone_copies_them(make):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone

    est = make()
    params = est.get_params()
    assert params and all(not k.endswith("_") for k in params)
    twin = clone(est)
    assert twin.get_params() == params and twin is not est
    est.set_params(random_state=9)
    assert est.get_params()["random_state"] == 9
    with pytest.raises(ValueError, match="invalid parameter"):
        est.set_params(no_such_param=1)
    assert sklearn.__version__


@pytest.mark.parametrize("make", ESTIMATORS)
def test_fit_returns_self_and_sets_only_trailing_underscore_attributes(make):
    X, T, y = data(binary=True)
    est = make()
    before = set(vars(est))
    assert est.fit(X, T, y) is est
    new = {k for k in set(vars(est)) - before if not k.startswith("_")}
    assert new and all(k.endswith("_") for k in new), new


@pytest.mark.parametrize("make", ESTIMATORS)
def test_unfitted_estimator_raises_not_fitted(make):
    X, _, _ = data(binary=True)
    with pytest.raises(tp.NotFittedError, match="not fitted"):
        make().effect(X)
    sk = pytest.importorskip("sklearn.exceptions")
    assert issubclass(tp.NotFittedError, ValueError) and sk.NotFittedError.__mro__


@pytest.mark.parametrize("make", ESTIMATORS)
def test_pickle_of_a_clone_of_a_fitted_estimator_is_unfitted(make):
    from sklearn.base import clone

    X, T, y = data(binary=True)
    est = make().fit(X, T, y)
    twin = pickle.loads(pickle.dumps(clone(est)))
    assert not hasattr(twin, "oob_effect_") and twin.get_params() == est.get_params()


FRAME_KINDS = ["numpy", "pandas", "polars", "pyarrow"]


def frame(kind, X, names):
    if kind == "numpy":
        return X
    if kind == "pandas":
        return pd.DataFrame(X, columns=names)
    if kind == "polars":
        pl = pytest.importorskip("polars")
        return pl.DataFrame({n: X[:, j] for j, n in enumerate(names)})
    pa = pytest.importorskip("pyarrow")
    return pa.table({n: X[:, j] for j, n in enumerate(names)})


def vec(kind, v, name):
    if kind == "numpy":
        return v
    if kind == "pandas":
        return pd.Series(v, name=name)
    if kind == "polars":
        pl = pytest.importorskip("polars")
        return pl.Series(name, v)
    pa = pytest.importorskip("pyarrow")
    return pa.array(v)


@pytest.mark.parametrize("kind", FRAME_KINDS)
def test_every_input_kind_gives_the_same_bits(kind):
    X, T, y = data()
    ref = tp.CausalForest(n_estimators=20).fit(X, T, y)
    names = ["a", "b", "c"]
    est = tp.CausalForest(n_estimators=20).fit(frame(kind, X, names), vec(kind, T, "w"), vec(kind, y, "out"))
    np.testing.assert_array_equal(est.oob_effect_, ref.oob_effect_)
    np.testing.assert_array_equal(est.effect(frame(kind, X[:30], names)), ref.effect(X[:30]))
    if kind == "numpy":
        assert not hasattr(est, "feature_names_in_")
    else:
        assert list(est.feature_names_in_) == names
    assert est.n_features_in_ == 3


def mixed_frame(n=600):
    """Covariates of every type the Arrow route reads: float, int32, bool, text."""
    X, T, y = data(n)
    df = pd.DataFrame(
        {
            "a": X[:, 0],
            "b": np.round(X[:, 1] * 10).astype(np.int32),
            "c": X[:, 2] > 0,
            "region": np.where(X[:, 2] > 0.3, "north", np.where(X[:, 2] < -0.3, "south", "east")),
        }
    )
    return df, T, y


def arrow_frames(df):
    """The same covariates as pyarrow tables in three chunks (plain, large and categorical text)
    and as polars frames (plain and categorical text)."""
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    table = pa.Table.from_pandas(df, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, 250), table.slice(250, 100), table.slice(350)])
    assert chunked.column("a").num_chunks == 3
    region = chunked.column("region")
    return {
        "pyarrow": chunked,
        "pyarrow large_string": chunked.set_column(3, "region", region.cast(pa.large_string())),
        "pyarrow dictionary": chunked.set_column(3, "region", region.dictionary_encode()),
        "polars": pl.from_pandas(df),
        "polars categorical": pl.from_pandas(df).with_columns(pl.col("region").cast(pl.Categorical)),
    }


def test_arrow_columns_give_the_bits_of_the_numpy_route():
    df, T, y = mixed_frame()
    ref = tp.CausalForest(n_estimators=20).fit(df, T, y)  # pandas: numpy arrays and lists of str
    for name, frame in arrow_frames(df).items():
        cols, _, _ = tp._base.features(frame)
        assert all(isinstance(c, tp._native.ArrowColumn) for _, c in cols), name
        est = tp.CausalForest(n_estimators=20).fit(frame, T, y)
        assert est._model.features == ref._model.features == ["a", "b", "c", "region=north", "region=south"]
        np.testing.assert_array_equal(est.oob_effect_, ref.oob_effect_, err_msg=name)
        np.testing.assert_array_equal(est.effect(frame), ref.effect(df), err_msg=name)


def test_arrow_missing_values_raise_the_numpy_routes_messages():
    df, T, y = mixed_frame()
    text = df.astype({"region": object})
    text.loc[300, "region"] = None  # in the second of three chunks: the row counts across chunks
    number = df.copy()
    number.loc[290, "a"] = np.nan
    for bad in (text, number):
        with pytest.raises(ValueError) as want:
            tp.CausalForest(n_estimators=20).fit(bad, T, y)
        assert "row 300" in str(want.value) or "row 290" in str(want.value), want.value
        for name, frame in arrow_frames(bad).items():
            with pytest.raises(ValueError) as got:
                tp.CausalForest(n_estimators=20).fit(frame, T, y)
            assert str(got.value) == str(want.value), name


def test_string_covariates_are_one_hot_encoded_and_new_rows_align_by_name():
    X, T, y = data(600)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["region"] = np.where(X[:, 2] > 0.3, "north", np.where(X[:, 2] < -0.3, "south", "east"))
    est = tp.CausalForest(n_estimators=20).fit(df, T, y)
    assert est._model.features == ["a", "b", "c", "region=north", "region=south"]
    # new rows holding only one category (the one dropped at fit time) still line up
    new = df[df["region"] == "east"].head(10)
    full = est.effect(df)[new.index]
    np.testing.assert_array_equal(est.effect(new), full)


def test_bad_input_raises_value_error_with_the_cli_message():
    X, T, y = data()
    X = X.copy()
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"x1.*row 7|row 7.*x1"):
        tp.CausalForest(n_estimators=20).fit(X, T, y)
    X, T, y = data()
    with pytest.raises(ValueError, match="single arm"):
        tp.CausalForest(n_estimators=20).fit(X, np.zeros(len(y), dtype=int), y)
    with pytest.raises(ValueError, match="arm '2' of column 'T' has 3 rows"):
        T3 = T.copy()
        T3[:3] = 2
        tp.CausalForest(n_estimators=20).fit(X, T3, y)
    with pytest.raises(ValueError, match="holds floats"):
        tp.CausalForest(n_estimators=20).fit(X, T + 0.5, y)
    with pytest.raises(ValueError, match="rows but X has"):
        tp.CausalForest(n_estimators=20).fit(X, T[:-1], y)
    with pytest.raises(ValueError, match="2-D"):
        tp.CausalForest(n_estimators=20).fit(X[:, 0], T, y)
    with pytest.raises(ValueError, match="tune='sometimes'"):
        tp.CausalForest(n_estimators=20, tune="sometimes").fit(X, T, y)
    with pytest.raises(TypeError, match="random_state"):
        tp.CausalForest(random_state="seven").fit(X, T, y)
    est = tp.CausalForest(n_estimators=20).fit(X, T, y)
    with pytest.raises(ValueError, match="fitted on"):
        est.effect(X[:, :2])
    with pytest.raises(ValueError, match="alpha"):
        est.effect_interval(X, alpha=1.5)


def test_verbose_reports_progress_only_when_asked(capsys):
    X, T, y = data()
    tp.CausalForest(n_estimators=20).fit(X, T, y)
    assert capsys.readouterr().err == ""
    tp.CausalForest(n_estimators=20, verbose=1).fit(X, T, y)
    err = capsys.readouterr().err
    assert "fitting 20 trees on 400 rows" in err and "done in" in err


def test_fit_releases_the_gil():
    import threading
    import time

    X, T, y = data(3000)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    tp.CausalForest(n_estimators=200).fit(X, T, y)
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # a thread that held the GIL for the whole fit would have let the ticker run at most once or twice
    assert len(during) > 5, (len(during), end - start)
