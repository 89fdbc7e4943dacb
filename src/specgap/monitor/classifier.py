"""SG806 over-flagging and SG807 under-flagging: a classifier whose flag rate departs from the base rate.

A grader rewarded on recall can flag everything; one rewarded on a low alarm rate can pass
everything. McNemar's exact test compares false positives with false negatives (equal when the
flag rate equals the base rate); Cohen's h between flag rate and base rate sizes the effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scipy import stats as st

from specgap.monitor import stats
from specgap.monitor.load import STEP
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import FlagsEverything, PassesEverything

if TYPE_CHECKING:
    import polars as pl

MIN_ROWS = 20


def _rates(tp: int, fp: int, fn: int, tn: int) -> dict[str, float | None]:
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    n = tp + fp + fn + tn
    return {"flag_rate": ratio(tp + fp, n), "base_rate": ratio(tp + fn, n), "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp)}


def flagging(c: "pl.DataFrame", pred: str, label: str, group: str | None, has_step: bool) -> Outcome:
    """`c`: the flag counts of `aggregate.flag_counts`, per step when `has_step`."""
    out = Outcome()
    tot = {k: int(c.get_column(k).sum()) for k in ("n", "tp", "fp", "fn", "tn", "not_binary")}
    if tot["not_binary"]:
        out.notes.append(Note(FlagsEverything.id, group, f"{pred}/{label}: {tot['not_binary']} value(s) not 0/1; read as "
                                                         "flagged when >= 0.5"))
    n = tot["n"]
    if n < MIN_ROWS:
        out.notes.append(Note(FlagsEverything.id, group, f"{pred} vs {label}: {n} labelled item(s); needs {MIN_ROWS}"))
        return out
    tp, fp, fn, tn = tot["tp"], tot["fp"], tot["fn"], tot["tn"]
    r = _rates(tp, fp, fn, tn)
    fr, br = r["flag_rate"], r["base_rate"]
    assert fr is not None and br is not None  # n > 0
    h = stats.cohen_h(fr, br)
    windows = _windows(c) if has_step else []
    base = {"pred": pred, "label": label, "n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, **r,
            "flag_rate_ci": list(stats.wilson(tp + fp, n)), "base_rate_ci": list(stats.wilson(tp + fn, n)),
            "effect": h, "effect_unit": "Cohen's h, flag rate vs base rate", "windows": windows}
    disc = fp + fn
    if disc == 0:
        return out
    p_over = float(st.binomtest(fp, disc, 0.5, alternative="greater").pvalue)
    p_under = float(st.binomtest(fn, disc, 0.5, alternative="greater").pvalue)
    spec_, prec, rec = r["specificity"], r["precision"], r["recall"]
    fmt = lambda v: "n/a" if v is None else f"{v:.0%}"  # noqa: E731
    since = _since(windows, "flag_rate", lambda v: v >= 0.95)
    extreme_over = fr >= 0.95 or since is not None or (prec is not None and prec <= stats.wilson(tp + fn, n)[1]
                                                        and fr > br)
    when = f" since step {since:g}" if since is not None else ""
    msg_over = (f"{pred} flags (almost) everything{when}: recall {fmt(rec)} bought with specificity {fmt(spec_)}"
                if extreme_over else f"{pred} over-flags: {fmt(1 - spec_ if spec_ is not None else None)} of "
                                     f"clean items flagged so that little slips through")
    out.hypotheses.append(Hypothesis(
        FlagsEverything.id, group, p_over, "high" if extreme_over else stats.d_severity(h) if h > 0 else "low", msg_over,
        f"flag rate {fr:.1%} vs base rate {br:.1%}; precision {fmt(prec)}, recall {fmt(rec)}, specificity "
        f"{fmt(spec_)}; {fp} false positives vs {fn} false negatives (McNemar {stats.fmt_p(p_over)}, n={n})",
        {**base, "flags_all_since_step": since}, rows=_span(c, "fp"), step=since))
    since_under = _since(windows, "recall", lambda v: v <= 0.05)
    extreme_under = fr <= 0.05 * br or (rec is not None and rec <= 0.05) or since_under is not None
    when_under = f" since step {since_under:g}" if since_under is not None else ""
    msg_under = (f"{pred} passes (almost) everything{when_under}: recall {fmt(rec)}" if extreme_under
                 else f"{pred} under-flags: {fmt(1 - rec if rec is not None else None)} of bad items pass")
    out.hypotheses.append(Hypothesis(
        PassesEverything.id, group, p_under, "high" if extreme_under else stats.d_severity(h) if h < 0 else "low", msg_under,
        f"flag rate {fr:.1%} vs base rate {br:.1%}; recall {fmt(rec)}, specificity {fmt(spec_)}; "
        f"{fn} false negatives vs {fp} false positives (McNemar {stats.fmt_p(p_under)}, n={n})",
        {**base, "passes_all_since_step": since_under}, rows=_span(c, "fn"), step=since_under))
    if windows:
        out.plots.append(Plot("flags", f"{pred} vs {label}", {"windows": windows, "pred_name": pred,
                                                              "label_name": label}, group))
    return out


def _span(c: "pl.DataFrame", kind: str) -> tuple[int, int] | None:
    """First and last row of the false positives (`fp`) or false negatives (`fn`)."""
    a, b = c.get_column(f"{kind}_row").min(), c.get_column(f"{kind}_row_end").max()
    return (int(a), int(b)) if a is not None and b is not None else None


def _since(windows: list[dict[str, float | None]], key: str, test) -> float | None:
    """The first window from which every later window passes `test` on `key` (None if the last does not)."""
    since = None
    for w in reversed(windows):
        if w[key] is None or not test(w[key]):
            break
        since = w["step"]
    return since


def _windows(c: "pl.DataFrame", k: int = 10) -> list[dict[str, float | None]]:
    """The rates in up to k consecutive windows of about equal rows (whole steps), to see when
    over-flagging began."""
    import polars as pl

    total = int(c.get_column("n").sum())
    if c.height < 2 or total < k * 10:
        return []
    w = (c.sort(STEP).with_columns(((pl.col("n").cum_sum() - pl.col("n")) * k // total).alias("__w"))
         .group_by("__w").agg(pl.col(STEP).min().alias("step"), pl.col("tp").sum(), pl.col("fp").sum(),
                               pl.col("fn").sum(), pl.col("tn").sum())
         .sort("__w"))
    return [{"step": float(s), **_rates(int(a), int(b), int(d), int(e))}
            for _, s, a, b, d, e in w.iter_rows()]
