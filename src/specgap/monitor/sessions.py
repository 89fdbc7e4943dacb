"""SG809's test inside each session, on all sessions of a partition at once.

The test is `divergence.divergence` run on one session's series (Mann-Kendall and Theil-Sen for the
proxy's rise, the truth's gain against a small margin, the proxy gaining more in SD units; p = the
largest), computed here on arrays of sessions of equal length instead of one session at a time: the
per-session polars queries and scipy calls cost about 5-10 ms a session, which at 100M rows of
episodes is hours. Each step follows the scalar code (the same formulas as scipy's `theilslopes`
and `kendalltau`, and `stats.lag1_inflation`); a test holds the two equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from specgap.monitor.load import STEP

if TYPE_CHECKING:
    import polars as pl

PAIR_CELLS = 4_000_000   # pairs of points (sessions x pairs) held at once: ~32 MB per array


def series(cells: "pl.DataFrame", session: str, min_steps: int,
           max_points: int) -> tuple["pl.DataFrame", "pl.DataFrame"]:
    """Each session's points as `divergence.step_series` makes them (x = the step's position in the session,
    binned to `max_points`), and per session: its label, first row, point count and proxy SD. Sessions with
    fewer than `min_steps` steps are left out."""
    import polars as pl

    s = (cells.sort(session, STEP, "row")
         .with_columns(pl.col(session).rle_id().alias("_sid"))
         .with_columns(pl.int_range(pl.len()).over("_sid").alias("_pos"), pl.len().over("_sid").alias("_len"))
         .filter(pl.col("_len") >= min_steps))
    per = (s.group_by("_sid", maintain_order=True)
           .agg(pl.col(session).first().alias("label"), pl.col("row").first(), pl.col("n", "s0", "q0").sum()))
    pts = s.select("_sid", "_len", pl.col("_pos").cast(pl.Float64).alias("x"), "n",
                   (pl.col("s0") / pl.col("n")).round_sig_figs(12).alias("p"),
                   (pl.col("s1") / pl.col("n")).round_sig_figs(12).alias("t"),
                   pl.when(pl.col("_len") > max_points).then(pl.col("_pos") * max_points // pl.col("_len"))
                   .otherwise(pl.col("_pos")).alias("_bin"))
    long = pl.col("_len") > max_points
    binned = (pts.filter(long).group_by("_sid", "_bin")
              .agg(pl.col("x").mean(), (pl.col("p") * pl.col("n")).sum() / pl.col("n").sum(),
                   (pl.col("t") * pl.col("n")).sum() / pl.col("n").sum()))
    cols = ["_sid", "_bin", "x", "p", "t"]
    pts = pl.concat([pts.filter(~long).select(cols), binned.select(cols)])
    pts = pts.sort("_sid", "_bin").with_columns(pl.len().over("_sid").alias("_k"))
    per = per.join(pts.group_by("_sid").agg(pl.col("_k").first()), on="_sid").sort("_sid")
    return pts, per


def pvalues(cells: "pl.DataFrame", sd_t: float, session: str, min_steps: int, max_points: int,
            margin_d: float) -> "pl.DataFrame":
    """Per session with at least `min_steps` steps where both metrics vary: its label, first row and SG809 p."""
    import polars as pl

    pts, per = series(cells, session, min_steps, max_points)
    n = per.get_column("n").to_numpy().astype(float)
    s, q = per.get_column("s0").to_numpy().astype(float), per.get_column("q0").to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_p = np.where(n >= 2, np.sqrt(np.maximum(q - s * s / n, 0.0) / (n - 1)), 0.0)
    p = np.full(per.height, np.nan)
    k = per.get_column("_k").to_numpy()
    x, pp, tt = (pts.get_column(c).to_numpy() for c in ("x", "p", "t"))
    start = np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64)
    if sd_t > 0:
        for length in np.unique(k):
            idx = np.flatnonzero((k == length) & (sd_p > 0))
            step = max(1, PAIR_CELLS // max(1, length * (length - 1) // 2))
            for a in range(0, len(idx), step):
                i = idx[a:a + step]
                rows = start[i][:, None] + np.arange(length)
                p[i] = _session_p(x[rows], pp[rows], tt[rows], sd_p[i], sd_t, margin_d)
    return per.select("label", "row").with_columns(pl.Series("p", p)).filter(pl.col("p").is_not_nan())


def _session_p(x: np.ndarray, p: np.ndarray, t: np.ndarray, sd_p: np.ndarray, sd_t: float,
               margin_d: float) -> np.ndarray:
    """`divergence.divergence`'s p-value for rows of sessions (points `x` strictly increasing in each row)."""
    p_up = _trend_p_up(x, p)
    gain_t, se_t, p_flat = _gain_test(x, t, margin_d * sd_t)
    gain_p, se_p, _ = _gain_test(x, p, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = gain_p / sd_p - gain_t / sd_t
        p_more = st.norm.sf(effect / np.hypot(se_p / sd_p, se_t / sd_t))
    return np.fmax(np.fmax(p_up, p_flat), p_more)


def _lag1_inflation(r: np.ndarray) -> np.ndarray:
    """`stats.lag1_inflation` of each row of residuals."""
    out = np.ones(len(r))
    if r.shape[1] < 4:
        return out
    a, b = r[:, :-1], r[:, 1:]
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.clip((a * b).sum(1) / np.sqrt((a * a).sum(1)) / np.sqrt((b * b).sum(1)), -1, 1)
    ok = (np.std(r, axis=1) != 0) & np.isfinite(r1) & (r1 > 0)
    r1 = np.minimum(r1[ok], 0.95)
    out[ok] = (1 + r1) / (1 - r1)
    return out


def _trend_p_up(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`stats.trend(x, y).p_up` of each row: Theil-Sen line, Mann-Kendall test corrected for serial correlation.
    x has no ties in a row (the points' positions), so Kendall's ties are the y's only."""
    m, k = y.shape
    # every pair of points, by their distance d apart (slices, not an index of pairs: half the time)
    dy, dx = np.empty((m, k * (k - 1) // 2)), np.empty((m, k * (k - 1) // 2))
    a = 0
    for d in range(1, k):
        np.subtract(y[:, d:], y[:, :-d], out=dy[:, a:a + k - d])
        np.subtract(x[:, d:], x[:, :-d], out=dx[:, a:a + k - d])
        a += k - d
    dis = (dy < 0).sum(1)
    slope = np.median(np.divide(dy, dx, out=dy), axis=1, overwrite_input=True)
    intercept = np.median(y, axis=1) - slope * np.median(x, axis=1)
    # pairs tied in y, and scipy's tie terms, from the size c of each point's group of equal values
    srt = np.sort(y, axis=1)
    pos = np.broadcast_to(np.arange(k), (m, k))
    new = np.ones((m, k), bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    last = np.ones((m, k), bool)
    last[:, :-1] = new[:, 1:]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, pos, k - 1)[:, ::-1], axis=1)[:, ::-1]
    c = (end - first + 1).astype(np.int64)
    ytie = (c - 1).sum(1) // 2
    y1 = ((c - 1) * (2 * c + 5)).sum(1)
    tot = k * (k - 1) // 2
    cmd = tot - ytie - 2 * dis
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.clip(cmd / np.sqrt(tot) / np.sqrt(tot - ytie), -1.0, 1.0)
        mm = k * (k - 1.0)
        p2 = 2 * st.norm.sf(np.abs(cmd / np.sqrt((mm * (2 * k + 5) - y1) / 18)))
    exact = (ytie == 0) & ((k <= 33) | (np.minimum(dis, tot - dis) <= 1))
    known: dict[int, float] = {}
    for r in np.flatnonzero(exact):
        # the exact p depends only on the count of discordant pairs: scipy's, once per count
        if int(dis[r]) not in known:
            known[int(dis[r])] = float(st.kendalltau(x[r], y[r]).pvalue)
        p2[r] = known[int(dis[r])]
    z = st.norm.isf(p2 / 2) * np.sign(tau)
    z /= np.sqrt(_lag1_inflation(y - (intercept[:, None] + slope[:, None] * x)))
    return np.where(np.isfinite(tau) & np.isfinite(p2), st.norm.sf(z), 1.0)


def _gain_test(x: np.ndarray, y: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`divergence._gain_test` of each row: OLS gain over the span of x, one-sided p for gain >= margin."""
    k = x.shape[1]
    xc = x - x.mean(1, keepdims=True)
    sxx = (xc * xc).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b1 = (xc * y).sum(1) / sxx
        resid = y - y.mean(1, keepdims=True) - b1[:, None] * xc
        s2 = (resid * resid).sum(1) / max(k - 2, 1) * _lag1_inflation(resid)
        span = x.max(1) - x.min(1)
        gain = b1 * span
        se = np.where(sxx > 0, np.sqrt(s2 / sxx) * span, np.inf)
        p = np.where(se > 0, st.t.cdf((gain - margin) / se, max(k - 2, 1)), (gain < margin).astype(float))
    return gain, se, p
