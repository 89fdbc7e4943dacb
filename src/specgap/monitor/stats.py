"""Statistics the checks share: robust trends, correlations, proportions, agreement, multiple testing.

Everything returns plain floats so results serialize to JSON as they are. Tests of trend over steps
correct for serial correlation (effective sample size from the lag-1 autocorrelation of the
detrended series), since training curves are smoother than independent noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class Trend:
    slope: float        # Theil-Sen slope per unit of x
    low: float          # 95% interval of the slope
    high: float
    tau: float          # Kendall's tau of y against x
    p_up: float         # one-sided p-value for an increasing trend (serial-correlation corrected)
    p_down: float
    n: int


def lag1_inflation(resid: np.ndarray) -> float:
    """Variance inflation n/n_eff from positive lag-1 autocorrelation (1 when there is none)."""
    if len(resid) < 4 or np.std(resid) == 0:
        return 1.0
    r1 = float(np.corrcoef(resid[:-1], resid[1:])[0, 1])
    if not math.isfinite(r1) or r1 <= 0:
        return 1.0
    r1 = min(r1, 0.95)
    return (1 + r1) / (1 - r1)


def trend(x: np.ndarray, y: np.ndarray) -> Trend:
    """Theil-Sen slope with Mann-Kendall test of monotone trend, corrected for serial correlation."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(y)
    slope, intercept, low, high = stats.theilslopes(y, x)
    tau, p2 = stats.kendalltau(x, y)
    if not math.isfinite(tau) or not math.isfinite(p2):
        return Trend(float(slope), float(low), float(high), 0.0, 1.0, 1.0, n)
    z = stats.norm.isf(p2 / 2) * np.sign(tau)
    z /= math.sqrt(lag1_inflation(y - (intercept + slope * x)))
    return Trend(float(slope), float(low), float(high), float(tau),
                 float(stats.norm.sf(z)), float(stats.norm.cdf(z)), n)


@dataclass
class Quadratic:
    curvature: float    # coefficient of x^2 (x scaled to [0, 1])
    p_concave: float    # one-sided p-value for curvature < 0
    vertex: float       # x (original units) where the fitted parabola peaks
    n: int


def quadratic(x: np.ndarray, y: np.ndarray) -> Quadratic:
    """OLS fit y ~ 1 + x + x^2 with a t-test of the curvature, corrected for serial correlation."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(y)
    lo, span = x.min(), (x.max() - x.min()) or 1.0
    u = (x - lo) / span
    X = np.column_stack([np.ones(n), u, u * u])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = n - 3
    if dof <= 0:
        return Quadratic(0.0, 1.0, float("nan"), n)
    s2 = float(resid @ resid) / dof * lag1_inflation(resid)
    cov = s2 * np.linalg.pinv(X.T @ X)
    se = math.sqrt(max(cov[2, 2], 0.0))
    t = beta[2] / se if se > 0 else 0.0
    vertex = lo + span * (-beta[1] / (2 * beta[2])) if beta[2] != 0 else float("nan")
    return Quadratic(float(beta[2]), float(stats.t.cdf(t, dof)), float(vertex), n)


def partial_corr(r: np.ndarray, n: int, i: int = 0, j: int = 1) -> tuple[float, float, tuple[float, float]]:
    """Partial correlation of variables i and j given all the others in correlation matrix `r`.

    Returns (r_partial, two-sided p-value, 95% interval) using the t test with n - k degrees of
    freedom and Fisher's z for the interval.
    """
    k = r.shape[0]
    prec = np.linalg.pinv(r)
    rp = float(-prec[i, j] / math.sqrt(prec[i, i] * prec[j, j]))
    rp = max(min(rp, 0.999999), -0.999999)
    dof = n - k
    if dof <= 0:
        return rp, 1.0, (-1.0, 1.0)
    t = rp * math.sqrt(dof / (1 - rp * rp))
    p = float(2 * stats.t.sf(abs(t), dof))
    se = 1 / math.sqrt(max(n - (k - 2) - 3, 1))
    z = math.atanh(rp)
    return rp, p, (math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se))


def eiv_slope(c: np.ndarray, dof: int, noise: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Regression of variable 0 on the others when the last is measured with known noise.

    `c`: centred cross-product matrix (y first); `dof`: its degrees of freedom; `noise`: the variance of
    the measurement error of the last variable. The classical correction for errors in variables
    (Fuller 1987, ch. 2): its error variance is taken out of its sum of squares before solving, and the
    covariance of the slopes adds the error's own contribution. Returns (slopes, their covariance,
    the corrected cross-product matrix), or None when the stated noise exceeds the variable's spread.
    """
    k = c.shape[0] - 1
    corrected = c.copy()
    corrected[k, k] -= noise * dof
    if corrected[k, k] <= 1e-9 * c[k, k] or dof <= k + 1:
        return None
    S, C, s = corrected[1:, 1:], c[1:, 1:], c[1:, 0]
    Si = np.linalg.pinv(S)
    b = Si @ s
    s_vv = max(float(c[0, 0] - 2 * b @ s + b @ C @ b), 0.0) / (dof - k)
    uu = np.zeros((k, k))
    uu[-1, -1] = noise
    cov = Si @ (C * s_vv + dof * uu @ np.outer(b, b) @ uu) @ Si
    return b, cov, corrected


def williams_p(r12: float, r13: float, r23: float, n: int) -> float:
    """One-sided p-value that r12 > r13, two correlations sharing variable 1 (Williams's t, Steiger 1980)."""
    if n <= 3:
        return 1.0
    det = 1 - r12 * r12 - r13 * r13 - r23 * r23 + 2 * r12 * r13 * r23
    rbar = (r12 + r13) / 2
    denom = 2 * (n - 1) / (n - 3) * det + rbar * rbar * (1 - r23) ** 3
    if denom <= 0:
        return 1.0
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / denom)
    return float(stats.t.sf(t, n - 3))


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(method="wilson")
    return float(ci.low), float(ci.high)


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's h, the effect size of a difference between two proportions (0.2 small, 0.5 medium, 0.8 large)."""
    return 2 * math.asin(math.sqrt(min(max(p1, 0), 1))) - 2 * math.asin(math.sqrt(min(max(p2, 0), 1)))


def weighted_kappa(a: np.ndarray, b: np.ndarray, count: np.ndarray | None = None) -> float:
    """Cohen's kappa with quadratic weights for two raters' ordinal ratings (integers); `count`: how many
    items have each pair of ratings (one each when omitted)."""
    cats = np.union1d(np.unique(a), np.unique(b))
    if len(cats) < 2:
        return float("nan")
    ia = np.searchsorted(cats, a)
    ib = np.searchsorted(cats, b)
    m = len(cats)
    obs = np.bincount(ia * m + ib, weights=count, minlength=m * m).reshape(m, m) / \
        (len(a) if count is None else float(count.sum()))
    exp = np.outer(obs.sum(1), obs.sum(0))
    w = (np.subtract.outer(np.arange(m), np.arange(m)) / (m - 1)) ** 2
    denom = float((w * exp).sum())
    return 1 - float((w * obs).sum()) / denom if denom > 0 else float("nan")


def holm(pvals: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error control, valid under any dependence)."""
    m = len(pvals)
    order = sorted(range(m), key=lambda i: pvals[i])
    adj = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvals[i]))
        adj[i] = running
    return adj


def fmt_p(p: float) -> str:
    """A p-value for people: `p<0.001` or `p=0.023`."""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def r_severity(r: float) -> str:
    """Severity from a correlation-sized effect, on Cohen's conventional 0.1 / 0.3 / 0.5 marks."""
    a = abs(r)
    return "high" if a >= 0.3 else "medium" if a >= 0.1 else "low"


def d_severity(d: float) -> str:
    """Severity from a standardized mean difference, on Cohen's conventional 0.2 / 0.5 / 0.8 marks."""
    a = abs(d)
    return "high" if a >= 0.5 else "medium" if a >= 0.2 else "low"


def midranks(v: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Average ranks of the values `v`, each occurring `count` times (the ranks of the repeated data)."""
    u, inv = np.unique(v, return_inverse=True)
    c = np.bincount(inv, weights=count)
    return (np.cumsum(c) - (c - 1) / 2)[inv]


def wilcoxon_greater(d: np.ndarray, count: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value (d > 0) of the differences `d`, each occurring `count` times:
    scipy's asymptotic test (zeros dropped, ties corrected, no continuity correction) without repeating them."""
    nz = d != 0
    d, w = d[nz], count[nz].astype(float)
    if w.sum() == 0:
        return 1.0
    _, inv = np.unique(np.abs(d), return_inverse=True)
    c = np.bincount(inv, weights=w)
    r_plus = float((w * midranks(np.abs(d), w))[d > 0].sum())
    n = float(w.sum())
    se = math.sqrt((n * (n + 1) * (2 * n + 1) - float((c ** 3 - c).sum()) / 2) / 24)
    return float(stats.norm.sf((r_plus - n * (n + 1) / 4) / se)) if se > 0 else 1.0


def spearman(x: np.ndarray, y: np.ndarray, count: np.ndarray) -> tuple[float, float]:
    """Spearman's r and its two-sided p-value (t approximation, as scipy's) of pairs occurring `count` times."""
    rx, ry = midranks(x, count), midranks(y, count)
    n = float(count.sum())
    mx, my = (count * rx).sum() / n, (count * ry).sum() / n
    sxy = float((count * (rx - mx) * (ry - my)).sum())
    sxx, syy = float((count * (rx - mx) ** 2).sum()), float((count * (ry - my) ** 2).sum())
    if sxx <= 0 or syy <= 0:
        return float("nan"), float("nan")
    r = max(min(sxy / math.sqrt(sxx * syy), 1.0), -1.0)
    if abs(r) == 1.0 or n <= 2:
        return r, 0.0
    t = r * math.sqrt((n - 2) / ((r + 1.0) * (1.0 - r)))
    return r, float(2 * stats.t.sf(abs(t), n - 2))


def weighted_quantile(v: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """numpy's default (linear) quantile of the values `v` repeated `w` times, without repeating them."""
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    ends = np.cumsum(w)                                    # sorted position (0-based) of each value's last copy + 1
    h = (ends[-1] - 1) * np.asarray(q, float)
    lo = np.floor(h)
    at = lambda pos: v[np.searchsorted(ends, pos, side="right")]   # noqa: E731
    a, b = at(lo), at(np.minimum(lo + 1, ends[-1] - 1))
    return a + (h - lo) * (b - a)
