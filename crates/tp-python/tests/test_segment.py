"""tp.KMeans and tp.NMF: scikit-learn's estimator checks, agreement with scikit-learn, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import tp


def blobs(n=600, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 6.0, 2.0], [6.0, 6.0, 3.0]])
    truth = rng.integers(0, 4, n)
    return centers[truth] + rng.normal(size=(n, 3)), truth


def low_rank(n=300, m=12, k=3, seed=0, noise=0.01):
    rng = np.random.default_rng(seed)
    return rng.random((n, k)) @ rng.random((k, m)) + noise * rng.random((n, m))


@pytest.mark.parametrize("make", [lambda: tp.KMeans(n_clusters=3), lambda: tp.NMF(n_components=2)])
def test_scikit_learn_estimator_checks_pass(make):
    checks = pytest.importorskip("sklearn.utils.estimator_checks")
    # every check runs; a failing one raises with its name
    checks.check_estimator(make())


def test_kmeans_finds_scikit_learns_optimum_on_separated_blobs():
    cluster = pytest.importorskip("sklearn.cluster")
    from sklearn.metrics import adjusted_rand_score

    X, truth = blobs()
    ours = tp.KMeans(n_clusters=4, random_state=0).fit(X)
    ref = cluster.KMeans(n_clusters=4, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(ours.labels_, ref.labels_) == 1.0
    assert adjusted_rand_score(ours.labels_, truth) > 0.95
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    order = np.lexsort(ours.cluster_centers_.T[::-1])
    ref_order = np.lexsort(ref.cluster_centers_.T[::-1])
    np.testing.assert_allclose(ours.cluster_centers_[order], ref.cluster_centers_[ref_order], rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), ours.labels_)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X)[:, ref_order][:, np.argsort(order)], rtol=1e-9)
    assert ours.score(X) == pytest.approx(-ours.inertia_, rel=1e-9)


def test_kmeans_is_deterministic_and_weights_count_as_repeated_rows():
    X, _ = blobs(300)
    a = tp.KMeans(n_clusters=4, random_state=5).fit(X)
    b = tp.KMeans(n_clusters=4, random_state=5).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    w = np.where(np.arange(300) % 2 == 0, 2.0, 1.0)
    weighted = tp.KMeans(n_clusters=4, algorithm="lloyd").fit(X, sample_weight=w)
    repeated = tp.KMeans(n_clusters=4, algorithm="lloyd").fit(np.r_[X, X[::2]])
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-9)


def test_nmf_matches_scikit_learns_fit_quality():
    decomposition = pytest.importorskip("sklearn.decomposition")
    X = low_rank(350)[:300]
    ours = tp.NMF(n_components=3, max_iter=1000, tol=1e-8)
    W = ours.fit_transform(X)
    ref = decomposition.NMF(n_components=3, init="nndsvda", max_iter=1000, tol=1e-8, random_state=0).fit(X)
    # the same objective, reached by different updates: equal to 1%
    assert ours.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=0.01)
    assert ours.reconstruction_err_ == pytest.approx(np.linalg.norm(X - W @ ours.components_), rel=1e-9)
    assert ours.explained_variance_ > 0.99
    np.testing.assert_allclose(ours.inverse_transform(W), W @ ours.components_)
    # new rows of the same factors: W with H fixed reconstructs them as well as the fit did its own
    Xn = low_rank(350)[300:]
    np.testing.assert_allclose(ours.transform(Xn) @ ours.components_, Xn, atol=0.05)
    kl = tp.NMF(n_components=3, solver="mu", beta_loss="kullback-leibler", max_iter=300).fit(X)
    assert kl.n_iter_ >= 1 and np.all(kl.components_ >= 0)


def test_frames_name_the_features_and_pickles_predict_the_same():
    X, _ = blobs(200)
    df = pd.DataFrame(X, columns=["spend", "visits", "tenure"])
    km = tp.KMeans(n_clusters=4).fit(df)
    assert list(km.feature_names_in_) == ["spend", "visits", "tenure"] and km.n_features_in_ == 3
    np.testing.assert_array_equal(km.labels_, tp.KMeans(n_clusters=4).fit(X).labels_)
    twin = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(twin.predict(df), km.labels_)
    with pytest.raises(ValueError, match="feature names should match"):
        km.predict(df[["visits", "spend", "tenure"]])
    nmf = tp.NMF(n_components=2).fit(df.abs())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(nmf)).transform(df.abs()), nmf.transform(df.abs()))


def test_bad_input_names_the_cell_and_the_fix():
    X, _ = blobs(50)
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"contains NaN \(row 7, column 2\)"):
        tp.KMeans(n_clusters=2).fit(X)
    with pytest.raises(ValueError, match=r"n_samples=3 should be >= n_clusters=4"):
        tp.KMeans(n_clusters=4).fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"Negative values.*row 0, column 1"):
        tp.NMF(n_components=1).fit(np.array([[1.0, -1.0], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="algorithm='elkan'"):
        tp.KMeans(n_clusters=2, algorithm="elkan").fit(np.ones((5, 2)))
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        tp.KMeans(n_clusters=2).fit(blobs(20)[0]).predict(np.ones((4, 2)))
    with pytest.raises(ValueError, match="column 'region' is not numeric"):
        tp.KMeans(n_clusters=2).fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "region": ["n", "s", "e"]}))


def _penalized_objective(X, W, H, alpha_W, alpha_H, l1_ratio):
    """scikit-learn's NMF objective (Frobenius) with its penalty scaling."""
    n, m = X.shape
    pw, ph = alpha_W * m, alpha_H * n
    return (
        0.5 * np.sum((X - W @ H) ** 2)
        + pw * (l1_ratio * W.sum() + 0.5 * (1 - l1_ratio) * np.sum(W**2))
        + ph * (l1_ratio * H.sum() + 0.5 * (1 - l1_ratio) * np.sum(H**2))
    )


@pytest.mark.parametrize("alpha_W,alpha_H,l1_ratio", [(0.002, "same", 1.0), (0.01, 0.0, 0.0), (0.001, 0.004, 0.5)])
def test_nmf_penalties_reach_scikit_learns_objective(alpha_W, alpha_H, l1_ratio):
    """alpha_W, alpha_H and l1_ratio mean what they mean in scikit-learn (same scaling): with the
    multiplicative updates tp reaches scikit-learn's penalized objective, the penalty moves the
    solution away from the unpenalized one, and transform solves W under the same penalty."""
    decomposition = pytest.importorskip("sklearn.decomposition")
    X = low_rank(n=400, m=15, k=4, seed=3, noise=0.05)
    kw = dict(n_components=4, init="nndsvda", solver="mu", max_iter=2000, tol=1e-7)
    ours = tp.NMF(alpha_W=alpha_W, alpha_H=alpha_H, l1_ratio=l1_ratio, random_state=0, **kw)
    W = ours.fit_transform(X)
    ref = decomposition.NMF(alpha_W=alpha_W, alpha_H=alpha_H, l1_ratio=l1_ratio, random_state=0, **kw)
    W_ref = ref.fit_transform(X)
    a_H = alpha_W if alpha_H == "same" else alpha_H
    obj = _penalized_objective(X, W, ours.components_, alpha_W, a_H, l1_ratio)
    obj_ref = _penalized_objective(X, W_ref, ref.components_, alpha_W, a_H, l1_ratio)
    assert obj == pytest.approx(obj_ref, rel=1e-4)
    plain = tp.NMF(random_state=0, **kw)
    W0 = plain.fit_transform(X)
    # the unpenalized fit is worse on the penalized objective (the penalty is applied), better on
    # the plain error
    assert obj < 0.99 * _penalized_objective(X, W0, plain.components_, alpha_W, a_H, l1_ratio)
    assert plain.reconstruction_err_ < ours.reconstruction_err_
    # transform: W for new rows under the same penalty with H fixed, as scikit-learn's transform
    Xn = low_rank(n=50, m=15, k=4, seed=4, noise=0.05)
    H = ours.components_
    ref.components_ = H

    def w_objective(Wn):  # W's part of the objective (H fixed), scaled by n_features as at fit
        return 0.5 * np.sum((Xn - Wn @ H) ** 2) + alpha_W * X.shape[1] * (
            l1_ratio * Wn.sum() + 0.5 * (1 - l1_ratio) * np.sum(Wn**2)
        )

    Wn, Wn_ref = ours.transform(Xn), ref.transform(Xn)
    assert w_objective(Wn) == pytest.approx(w_objective(Wn_ref), rel=1e-3)


def test_nmf_penalty_errors_name_the_parameter():
    X = low_rank()
    with pytest.raises(ValueError, match="alpha_W=-1"):
        tp.NMF(n_components=2, alpha_W=-1.0, solver="mu").fit(X)
    with pytest.raises(ValueError, match=r"l1_ratio=1.5: expected a value in \[0, 1\]"):
        tp.NMF(n_components=2, alpha_W=0.1, l1_ratio=1.5, solver="mu").fit(X)
    with pytest.raises(ValueError, match="alpha_H='different'"):
        tp.NMF(n_components=2, alpha_H="different", solver="mu").fit(X)
    # coordinate descent refuses a penalty (it would end at a worse objective), and says so
    with pytest.raises(ValueError, match="solver='cd' are not supported.*use solver='mu'"):
        tp.NMF(n_components=2, alpha_W=0.1).fit(X)
