"""The shared statistics against independent computations and known properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from specgap.monitor import stats


def test_trend_matches_kendall_on_independent_noise():
    rng = np.random.default_rng(1)
    x = np.arange(200, dtype=float)
    y = 0.01 * x + rng.normal(0, 1, 200)
    t = stats.trend(x, y)
    tau, p2 = st.kendalltau(x, y)
    assert t.tau == pytest.approx(tau)
    # without serial correlation the one-sided p is half the two-sided one (inflation may only raise it)
    assert t.p_up >= p2 / 2 * 0.999
    assert t.low <= t.slope <= t.high
    assert t.p_up < t.p_down


def test_trend_is_more_cautious_with_serial_correlation():
    rng = np.random.default_rng(2)
    e = np.zeros(300)
    for i in range(1, 300):
        e[i] = 0.8 * e[i - 1] + rng.normal()
    x = np.arange(300, dtype=float)
    y = 0.004 * x + e
    _, p2 = st.kendalltau(x, y)
    assert stats.trend(x, y).p_up > p2 / 2


def test_partial_corr_equals_correlation_of_residuals():
    rng = np.random.default_rng(3)
    z = rng.normal(size=500)
    a = z + rng.normal(size=500)
    b = 0.5 * z + 0.3 * a + rng.normal(size=500)
    r = np.corrcoef(np.vstack([a, b, z]))
    rp, p, (lo, hi) = stats.partial_corr(r, 500, 0, 1)
    Z = np.column_stack([np.ones(500), z])
    ra = a - Z @ np.linalg.lstsq(Z, a, rcond=None)[0]
    rb = b - Z @ np.linalg.lstsq(Z, b, rcond=None)[0]
    expected = np.corrcoef(ra, rb)[0, 1]
    assert rp == pytest.approx(expected, abs=1e-9)
    assert lo < rp < hi
    t = expected * math.sqrt(497 / (1 - expected**2))
    assert p == pytest.approx(2 * st.t.sf(abs(t), 497))


def test_holm_matches_its_definition():
    rng = np.random.default_rng(4)
    p = list(rng.uniform(0, 0.1, 12))
    adj = stats.holm(p)
    m = len(p)
    order = np.argsort(p)
    for i in range(m):
        rank_i = int(np.where(order == i)[0][0])
        expected = max(min(1.0, (m - k) * p[order[k]]) for k in range(rank_i + 1))
        assert adj[i] == pytest.approx(expected)


def test_weighted_kappa_bounds():
    rng = np.random.default_rng(5)
    a = rng.integers(1, 6, 2000)
    assert stats.weighted_kappa(a, a) == pytest.approx(1.0)
    assert abs(stats.weighted_kappa(a, rng.integers(1, 6, 2000))) < 0.1
    assert stats.weighted_kappa(a, 6 - a) < 0


def test_quadratic_finds_an_interior_peak():
    x = np.linspace(0, 100, 120)
    y = -((x - 40) ** 2) / 1000 + np.random.default_rng(6).normal(0, 0.1, 120)
    q = stats.quadratic(x, y)
    assert q.curvature < 0 and q.p_concave < 0.001
    assert 30 < q.vertex < 50


def test_eiv_slope_without_noise_is_ordinary_least_squares():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 2))
    y = X @ [0.5, -1.0] + rng.normal(size=500)
    Z = np.column_stack([y, X])
    Z = Z - Z.mean(0)
    b, cov, _ = stats.eiv_slope(Z.T @ Z, 499, 0.0)
    ols, res, *_ = np.linalg.lstsq(Z[:, 1:], Z[:, 0], rcond=None)
    assert b == pytest.approx(ols)
    assert cov == pytest.approx(res[0] / (499 - 2) * np.linalg.inv(Z[:, 1:].T @ Z[:, 1:]))


def test_eiv_slope_takes_a_known_measurement_noise_out():
    # y depends on quality q only; x goes with q; the covariate is q measured with noise of variance 0.5
    rng = np.random.default_rng(4)
    n = 20000
    q = rng.normal(size=n)
    x = 0.7 * q + rng.normal(size=n)
    y = q + rng.normal(size=n)
    Z = np.column_stack([y, x, q + rng.normal(0, math.sqrt(0.5), n)])
    Z = Z - Z.mean(0)
    naive, *_ = np.linalg.lstsq(Z[:, 1:], Z[:, 0], rcond=None)
    b, cov, _ = stats.eiv_slope(Z.T @ Z, n - 1, 0.5)
    se = math.sqrt(cov[0, 0])
    assert naive[0] > 10 * se                      # the noisy covariate leaves quality in x's slope
    assert abs(b[0]) < 3 * se and abs(b[1] - 1) < 0.05
    assert stats.eiv_slope(Z.T @ Z, n - 1, 5.0) is None   # more noise than the covariate varies


def _normal_wilcoxon(x):
    """scipy's one-sided Wilcoxon p by the normal approximation; scipy before 1.11 calls it "approx"."""
    try:
        return st.wilcoxon(x, alternative="greater", method="asymptotic").pvalue
    except ValueError:
        return st.wilcoxon(x, alternative="greater", method="approx").pvalue


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_statistics_from_counts_equal_those_of_the_repeated_data(seed):
    """Wilcoxon, Spearman, numpy's quantile and weighted kappa from (value, count) pairs: the numbers of the
    data with every value repeated, without repeating it (what SG805 computes on logs of any size)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 6, 3000).astype(float)       # ties and zeros, as rating differences have
    y = np.round(x * 0.3 + rng.normal(0, 1, 3000), 1)
    pairs, count = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
    vx, vy, w = pairs[:, 0], pairs[:, 1], count.astype(float)
    assert stats.wilcoxon_greater(vx, w) == pytest.approx(_normal_wilcoxon(x), rel=1e-9)
    r, p = stats.spearman(vx, vy, w)
    ref = st.spearmanr(x, y)
    assert (r, p) == pytest.approx((ref[0], ref[1]), rel=1e-9)
    q = np.linspace(0, 1, 11)
    assert stats.weighted_quantile(vy, w, q) == pytest.approx(np.quantile(y, q), rel=1e-12)
    a, b = x.astype(int), np.round(y).astype(int)
    ab, cab = np.unique(np.column_stack([a, b]), axis=0, return_counts=True)
    assert stats.weighted_kappa(ab[:, 0], ab[:, 1], cab.astype(float)) == pytest.approx(stats.weighted_kappa(a, b))
