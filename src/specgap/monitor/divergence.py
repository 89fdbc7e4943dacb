"""Proxy against truth over steps: divergence (SG801), over-optimization (SG802), decoupling (SG803)
and the same divergence inside sessions (SG809).

The scales of a proxy and of its ground truth are unrelated, so "the proxy rose while the truth
did not" is tested without calibrating one on the other: the proxy's rise is a Mann-Kendall trend
test, "the truth did not rise" is an equivalence test (its gain over the run is below a small
effect, 0.2 standard deviations of the truth), and the proxy's gain in its own SDs must exceed the
truth's. All must hold (intersection-union: p = the largest).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from scipy import stats as st

from specgap.monitor import aggregate, stats
from specgap.monitor.load import STEP
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import Decoupling, InSessionDivergence, OverOptimization, ProxyTruthDivergence

if TYPE_CHECKING:
    import polars as pl

MIN_STEPS = 8          # below this, a trend over steps means nothing
MAX_POINTS = 1000      # more distinct steps than this are binned (Theil-Sen is quadratic in points)
SESSION_POINTS = 200   # the same inside each session, where there may be thousands of sessions
MARGIN_D = 0.2         # "the truth did not improve": gain below Cohen's small effect
MIN_WINDOW_ROWS = 10   # rows a window needs for a correlation


def step_series(m: "pl.DataFrame", max_points: int = MAX_POINTS) -> "pl.DataFrame":
    """Per-step means of proxy (`p`) and truth (`t`) from moments over [proxy, truth], binned to `max_points`."""
    import polars as pl

    # 12 significant digits: sums added in another order (shards, groups) differ in the last bits, and
    # rank tests must not see ties broken by that noise
    per = m.select(STEP, (pl.col("s0") / pl.col("n")).round_sig_figs(12).alias("p"),
                   (pl.col("s1") / pl.col("n")).round_sig_figs(12).alias("t"), "n", "row", "row_end").sort(STEP)
    if per.height > max_points:
        per = (per.with_columns((pl.int_range(pl.len()) * max_points // pl.len()).alias("bin"))
               .group_by("bin").agg(pl.col(STEP).mean(), (pl.col("p") * pl.col("n")).sum() / pl.col("n").sum(),
                                    (pl.col("t") * pl.col("n")).sum() / pl.col("n").sum(),
                                    pl.col("n").sum(), pl.col("row").min(), pl.col("row_end").max())
               .sort(STEP).drop("bin"))
    return per


def _gain_test(x: np.ndarray, y: np.ndarray, margin: float) -> tuple[float, float, float]:
    """OLS gain over the span of x and a one-sided p-value for H0: gain >= margin (serially corrected)."""
    n = len(x)
    X = np.column_stack([np.ones(n), x - x.mean()])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = float(resid @ resid) / max(n - 2, 1) * stats.lag1_inflation(resid)
    sxx = float(((x - x.mean()) ** 2).sum())
    span = float(x.max() - x.min())
    gain = float(beta[1]) * span
    se = math.sqrt(s2 / sxx) * span if sxx > 0 else float("inf")
    p = float(st.t.cdf((gain - margin) / se, max(n - 2, 1))) if se > 0 else float(gain < margin)
    return gain, se, p


def _onset(x: np.ndarray, gap: np.ndarray) -> float | None:
    """Step where the proxy-minus-truth gap starts to climb: one break of a continuous piecewise-linear fit."""
    import ruptures as rpt

    if len(gap) < 3 * MIN_STEPS // 2:
        return None
    try:
        bk = rpt.Binseg(model="clinear", min_size=max(3, len(gap) // 20)).fit(gap.reshape(-1, 1)).predict(n_bkps=1)[0]
    except (rpt.exceptions.BadSegmentationParameters, ValueError):
        return None
    if not 0 < bk < len(gap):
        return None
    before = np.polyfit(x[:bk], gap[:bk], 1)[0] if bk >= 2 else 0.0
    after = np.polyfit(x[bk:], gap[bk:], 1)[0] if len(gap) - bk >= 2 else 0.0
    return float(x[bk]) if after > before and after > 0 else None


def _rows_from(ser: "pl.DataFrame", step: float) -> tuple[int, int] | None:
    """The first and last row of the steps from `step` on (`ser` from `step_series`)."""
    import polars as pl

    r = ser.filter(pl.col(STEP) >= step)
    return (int(r.get_column("row").min()), int(r.get_column("row_end").max())) if r.height else None


def _z(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else v * 0


def _num(v: float) -> str:
    """Steps as people write them: whole numbers in full, others to 4 significant digits."""
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def divergence(m: "pl.DataFrame", proxy: str, truth: str, group: str | None, rule_id: str = ProxyTruthDivergence.id,
               margin_sd: float | None = None) -> Outcome:
    """SG801: proxy trending up while the truth gains less than a small effect (or falls).

    `m`: per-step moments over [proxy, truth] (`aggregate.moments`)."""
    out = Outcome()
    ser = step_series(m, MAX_POINTS if rule_id == ProxyTruthDivergence.id else SESSION_POINTS)
    if ser.height < MIN_STEPS:
        out.notes.append(Note(rule_id, group, f"{proxy} vs {truth}: {ser.height} step(s) with both values; "
                                              f"a trend needs at least {MIN_STEPS}"))
        return out
    x = ser.get_column(STEP).to_numpy().astype(float)
    p = ser.get_column("p").to_numpy()
    t = ser.get_column("t").to_numpy()
    sd_t = margin_sd if margin_sd is not None else aggregate.total(m, 1)[2]
    sd_p = aggregate.total(m, 0)[2]
    if sd_t == 0 or sd_p == 0:
        out.notes.append(Note(rule_id, group, f"{proxy} vs {truth}: a metric does not vary; nothing to compare"))
        return out
    tp = stats.trend(x, p)
    gain_t, se_t, p_flat = _gain_test(x, t, MARGIN_D * sd_t)
    gain_p, se_p, _ = _gain_test(x, p, 0.0)
    # inside sessions only the per-session p-values are used: skip the change-point fit
    onset = _onset(x, _z(p) - _z(t)) if rule_id == ProxyTruthDivergence.id else None
    effect = gain_p / sd_p - gain_t / sd_t
    # the proxy must also gain more than the truth in SD units: two weak but honest co-rising metrics
    # are not a divergence (ignoring their positive noise covariance makes this conservative)
    p_more = float(st.norm.sf(effect / math.hypot(se_p / sd_p, se_t / sd_t)))
    p_value = max(tp.p_up, p_flat, p_more)
    where = f"steps {_num(x[0])}-{_num(x[-1])}"
    evidence = (f"{proxy} {gain_p:+.3g} (Theil-Sen slope {tp.slope:.3g}/step, {stats.fmt_p(tp.p_up)}) while "
                f"{truth} {gain_t:+.3g} (< {MARGIN_D} SD: {stats.fmt_p(p_flat)}) over {where}"
                + (f"; gap starts climbing at step {_num(onset)}" if onset is not None else ""))
    out.hypotheses.append(Hypothesis(
        rule_id, group, p_value, stats.d_severity(effect),
        f"{proxy} rises while {truth} does not: the proxy has come apart from the goal",
        evidence,
        {"effect": effect, "effect_unit": "proxy gain minus truth gain, in SDs", "proxy": proxy, "truth": truth,
         "proxy_gain": gain_p, "proxy_slope": tp.slope, "proxy_slope_ci": [tp.low, tp.high],
         "proxy_tau": tp.tau, "p_proxy_up": tp.p_up, "truth_gain": gain_t,
         "truth_gain_ci": [gain_t - 1.96 * se_t, gain_t + 1.96 * se_t], "p_truth_not_up": p_flat,
         "p_proxy_gains_more": p_more,
         "onset_step": onset, "n": int(ser.get_column("n").sum()), "n_steps": ser.height},
        rows=_rows_from(ser, onset if onset is not None else float(x[0])),
        step=onset if onset is not None else float(x[0])))
    if rule_id == ProxyTruthDivergence.id:
        out.plots.append(Plot("divergence", f"{proxy} vs {truth}", {
            "step": x.tolist(), "proxy": p.tolist(), "truth": t.tolist(), "proxy_name": proxy,
            "truth_name": truth, "onset": onset}, group))
        over = overoptimization(x, p, t, proxy, truth, sd_t, ser, group)
        if over.hypotheses:
            out.plots[-1].data["peak"] = over.hypotheses[0].stats["peak_step"]
        out.extend(over)
    return out


def overoptimization(x: np.ndarray, p: np.ndarray, t: np.ndarray, proxy: str, truth: str, sd_t: float,
                     ser: "pl.DataFrame", group: str | None) -> Outcome:
    """SG802: truth rises, peaks inside the run, then falls while the proxy keeps rising."""
    out = Outcome()
    q = stats.quadratic(x, t)
    lo, hi = float(x.min()), float(x.max())
    interior = math.isfinite(q.vertex) and lo + 0.1 * (hi - lo) <= q.vertex <= hi - 0.1 * (hi - lo)
    after = x >= q.vertex if interior else np.zeros(len(x), bool)
    if not interior or after.sum() < MIN_STEPS // 2 or (~after).sum() < MIN_STEPS // 2:
        return out  # no peak inside the run: nothing to test
    t_after = stats.trend(x[after], t[after])
    p_after = stats.trend(x[after], p[after])
    i_peak = int(np.argmin(np.abs(x - q.vertex)))
    peak_step = float(x[i_peak])
    k = max(1, len(t) // 20)  # the peak and the end as short averages, not single noisy points
    peak_val = float(np.mean(t[max(0, i_peak - k): i_peak + k + 1]))
    end_val = float(np.mean(t[-k:]))
    drop = (peak_val - end_val) / sd_t
    p_value = max(q.p_concave, t_after.p_down, p_after.p_up)
    out.hypotheses.append(Hypothesis(
        OverOptimization.id, group, p_value, stats.d_severity(drop),
        f"{truth} peaked at step {_num(peak_step)} and then fell while {proxy} kept rising (over-optimization)",
        f"{truth} peak {peak_val:.3g} at step {_num(peak_step)}, {end_val:.3g} at the end "
        f"({stats.fmt_p(t_after.p_down)}); {proxy} slope after the peak {p_after.slope:.3g}/step "
        f"({stats.fmt_p(p_after.p_up)})",
        {"effect": drop, "effect_unit": "truth drop from peak, in SDs", "proxy": proxy, "truth": truth,
         "peak_step": peak_step, "peak_truth": peak_val, "end_truth": end_val,
         "p_concave": q.p_concave, "p_truth_down_after": t_after.p_down, "p_proxy_up_after": p_after.p_up,
         "truth_slope_after_ci": [t_after.low, t_after.high], "n_steps": len(x),
         "n": int(ser.get_column("n").sum())},
        rows=_rows_from(ser, peak_step), step=peak_step))
    return out


def decoupling(m: "pl.DataFrame", proxy: str, truth: str, group: str | None, windows: int = 10) -> Outcome:
    """SG803: the correlation between proxy and truth falls over the run (Fisher-z trend across windows).

    Windows are runs of consecutive steps with about equal row counts; each window's correlation
    follows from the per-step moments `m` over [proxy, truth]. A window where the truth barely varies
    (a plateau late in training) has a low correlation even when the proxy tracks the truth as well as
    ever, so each correlation is corrected for the restricted range of the truth (Thorndike's case II)
    before the trend test; the variance of each Fisher z is taken by the delta method and inflated for
    serially correlated rows (Bartlett).
    """
    import polars as pl

    out = Outcome()
    m = m.sort(STEP)
    n = int(m.get_column("n").sum())
    k = min(windows, n // MIN_WINDOW_ROWS)
    if k < 3 or m.height < 3:
        out.notes.append(Note(Decoupling.id, group, f"{proxy} vs {truth}: {n} rows in {m.height} step(s); a correlation "
                                              f"trend needs 3 windows of {MIN_WINDOW_ROWS} rows"))
        return out
    mid = pl.col("n").cum_sum() - pl.col("n") / 2   # a step belongs to the window its middle row falls in
    m = m.with_columns((mid * k // n).cast(pl.Int64).alias("w"))
    w = (m.group_by("w").agg(pl.col("n", "s0", "s1", "q0", "q1", "x0_1").sum(), pl.col(STEP).min().alias("s_0"),
                             pl.col(STEP).max().alias("s_1"), pl.col("row").min())
         .sort("w").with_columns(
             (pl.col("q0") - pl.col("s0") ** 2 / pl.col("n")).alias("vp"),
             (pl.col("q1") - pl.col("s1") ** 2 / pl.col("n")).alias("vt"),
             (pl.col("x0_1") - pl.col("s0") * pl.col("s1") / pl.col("n")).alias("cpt"))
         .with_columns((pl.col("cpt") / (pl.col("vp") * pl.col("vt")).sqrt()).alias("r"),
                       (pl.col("vt") / (pl.col("n") - 1)).sqrt().alias("sd"))
         .filter((pl.col("n") >= MIN_WINDOW_ROWS) & (pl.col("vp") > 0) & (pl.col("vt") > 0)))
    if w.height < 3:
        out.notes.append(Note(Decoupling.id, group, f"{proxy} vs {truth}: too few windows where both metrics vary"))
        return out
    r = np.clip(w.get_column("r").to_numpy(), -0.999, 0.999)
    nn = w.get_column("n").to_numpy().astype(float)
    kk = aggregate.total(m, 1)[2] / w.get_column("sd").to_numpy()   # range restriction ratio S/s
    denom = np.sqrt(1 - r * r + r * r * kk * kk)
    rc = np.clip(r * kk / denom, -0.999, 0.999)
    var_r = (1 - r * r) ** 2 / (nn - 1) * _bartlett(m)
    var_z = var_r * (kk / denom**3) ** 2 / (1 - rc * rc) ** 2
    z = np.arctanh(rc)
    wt = 1 / var_z
    idx = np.arange(len(z), dtype=float)
    xm = (wt * idx).sum() / wt.sum()
    sxx = float((wt * (idx - xm) ** 2).sum())
    slope = float((wt * (idx - xm) * z).sum() / sxx)
    se = 1 / math.sqrt(sxx)
    p_value = float(st.norm.cdf(slope / se))
    drop = float(rc[0] - rc[-1])
    s0 = w.get_column("s_0").to_list()
    s1 = w.get_column("s_1").to_list()
    out.hypotheses.append(Hypothesis(
        Decoupling.id, group, p_value, stats.r_severity(drop) if drop > 0 else "low",
        f"the correlation between {proxy} and {truth} collapses over the run",
        f"r({proxy}, {truth}) {r[0]:.2f} in steps {_num(s0[0])}-{_num(s1[0])} -> {r[-1]:.2f} in steps "
        f"{_num(s0[-1])}-{_num(s1[-1])} ({rc[0]:.2f} -> {rc[-1]:.2f} corrected for the range of {truth}; "
        f"Fisher-z slope {slope:.3f}/window, {stats.fmt_p(p_value)})",
        {"effect": drop, "effect_unit": "first minus last window correlation, range-corrected", "proxy": proxy,
         "truth": truth, "r_windows": r.tolist(), "r_corrected_windows": rc.tolist(),
         "n_windows": nn.astype(int).tolist(), "z_slope": slope, "z_slope_ci": [slope - 1.96 * se, slope + 1.96 * se],
         "n": int(nn.sum())},
        rows=(int(m.get_column("row").min()), int(m.get_column("row_end").max()))))
    return out


def on_rows_in_session(df: "pl.DataFrame", proxy: str, truth: str, session: str, group: str | None) -> Outcome:
    """SG809 on a log in memory: its session cells, then `in_session`."""
    sd_t = aggregate.total(aggregate.moments(df.lazy(), [truth], per_step=False).collect(), 0)[2]
    return in_session(session_cells(df.lazy(), proxy, truth, session).collect(), sd_t, proxy, truth, session, group)


def _bartlett(m: "pl.DataFrame") -> float:
    """Variance inflation of a correlation between two serially correlated series (Bartlett, AR(1)).

    The lag-1 autocorrelation of each metric's row deviations from its window mean, rows in step order,
    from the per-step moments: consecutive rows of one step share the step's mean, and the last row of a
    step meets the first of the next, so the lag-1 products are (n_s - 1) (m_s - m_w)^2 within steps and
    (m_s - m_w)(m_s+1 - m_w) across step boundaries (in expectation, rows of a step exchangeable).
    """
    import polars as pl

    r1 = []
    for i in (0, 1):
        d = m.with_columns((pl.col(f"s{i}") / pl.col("n")).alias("mean"))
        d = d.with_columns(((pl.col(f"s{i}").sum() / pl.col("n").sum()).over("w")).alias("mw"))
        d = d.with_columns((pl.col("mean") - pl.col("mw")).alias("dev"))
        lag = d.select(((pl.col("n") - 1) * pl.col("dev") ** 2).sum()
                       + (pl.col("dev") * pl.col("dev").shift(-1).over("w")).sum()).item()
        ss = d.select((pl.col(f"q{i}") - 2 * pl.col("mw") * pl.col(f"s{i}") + pl.col("n") * pl.col("mw") ** 2).sum()).item()
        r1.append(float(lag) / float(ss) if ss and ss > 0 else 0.0)
    rho = r1[0] * r1[1]
    return (1 + rho) / (1 - rho) if math.isfinite(rho) and 0 < rho < 0.95 else 1.0


def session_cells(frame: "pl.LazyFrame", proxy: str, truth: str, session: str, by: list[str] | None = None,
                  per_step: bool = True) -> "pl.LazyFrame":
    """Per (group, session, step): the moments of [proxy, truth]. They add up across shards; a session
    is a series of its steps (rows of a session sharing a step are one point, their mean)."""
    return aggregate.moments(frame, [proxy, truth], by, True, levels=[session])


@dataclass
class SessionTally:
    """SG809's per-session tests reduced to a fixed size: how many were tested and diverged, the rows they
    cover, and the diverging sessions with the lowest p-values (p, the session's sort key, its label, its
    first row), the first `KEEP` in order."""
    tested: int = 0
    diverging: int = 0
    n: int = 0
    worst: list[tuple[float, tuple[bool, Any], str, int]] = field(default_factory=list)

    KEEP = 20

    def add(self, other: "SessionTally") -> None:
        self.tested += other.tested
        self.diverging += other.diverging
        self.n += other.n
        self.worst = heapq.nsmallest(self.KEEP, self.worst + other.worst, key=lambda w: (w[0], w[1]))


def session_tests(cells: "pl.DataFrame", sd_t: float, proxy: str, truth: str, session: str, group: str | None,
                  level: float = 0.05) -> SessionTally:
    """The divergence test inside each session of `cells` (`session_cells` of one group, whole sessions): in
    each session, each step is one point of the episode, in order (`sessions.pvalues`, all sessions at once)."""
    import polars as pl

    from specgap.monitor import sessions

    out = SessionTally(n=int(cells.get_column("n").sum()) if cells.height else 0)
    if not cells.height:
        return out
    res = sessions.pvalues(cells, sd_t, session, MIN_STEPS, SESSION_POINTS, MARGIN_D)
    out.tested = res.height
    hits = res.filter(pl.col("p") < level)
    out.diverging = hits.height
    if hits.height > out.KEEP:   # only the lowest p-values (and their ties) can be kept
        hits = hits.filter(pl.col("p") <= hits.get_column("p").sort()[out.KEEP - 1])
    worst = [(p, (sid is not None, sid), str(sid), int(row)) for sid, row, p in hits.iter_rows()]
    out.worst = heapq.nsmallest(out.KEEP, worst, key=lambda w: (w[0], w[1]))
    return out


def in_session(cells: "pl.DataFrame", sd_t: float, proxy: str, truth: str, session: str, group: str | None,
               level: float = 0.05) -> Outcome:
    """SG809 on the session cells of one group (see `in_session_parts`)."""
    return in_session_parts([lambda: cells], sd_t, proxy, truth, session, group, level)


def in_session_parts(parts: "list[Callable[[], pl.DataFrame]]", sd_t: float, proxy: str, truth: str, session: str,
                     group: str | None, level: float = 0.05) -> Outcome:
    """SG809: the divergence test inside each session; fires when more sessions diverge than chance allows.
    `parts`: loaders of `session_cells` of one group in partitions that each hold whole sessions (one at a
    time in memory); `sd_t`: the truth's standard deviation over the group's rows.

    Each session's test is an intersection-union test (valid, conservative), so under no feedback
    loop the count of sessions with p < `level` is at most Binomial(sessions, level); the finding's
    p-value is that binomial tail.
    """
    out = Outcome()
    tally = SessionTally()
    for load in parts:
        tally.add(session_tests(load(), sd_t, proxy, truth, session, group, level))
    tested = tally.tested
    if tested < 5:
        out.notes.append(Note(InSessionDivergence.id, group, f"{proxy} vs {truth}: {tested} session(s) with at least "
                                              f"{MIN_STEPS} rows; in-session divergence needs 5"))
        return out
    hits = tally.worst
    p_value = float(st.binomtest(tally.diverging, tested, level, alternative="greater").pvalue)
    share = tally.diverging / tested
    worst = ", ".join(f"{s} ({stats.fmt_p(p)})" for p, _, s, _ in hits[:5])
    out.hypotheses.append(Hypothesis(
        InSessionDivergence.id, group, p_value, stats.d_severity(stats.cohen_h(share, level)),
        f"{proxy} rises while {truth} does not inside sessions: a feedback loop on a visible metric",
        f"{tally.diverging} of {tested} sessions diverge at p<{level} (expected {level:.0%} by chance, "
        f"{stats.fmt_p(p_value)})" + (f"; worst: {worst}" if worst else ""),
        {"effect": share, "effect_unit": "share of sessions diverging", "ci": list(stats.wilson(tally.diverging, tested)),
         "sessions": tested, "diverging": [s for _, _, s, _ in hits[:20]], "proxy": proxy, "truth": truth,
         "n": tally.n},
        rows=(hits[0][3], hits[0][3]) if hits else None))
    return out
