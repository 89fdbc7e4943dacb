"""SG804 for pairwise preferences: does the judge prefer the longer of two outputs?

The proxy is "A chosen" (1, 0, or 0.5 for a tie); a logistic regression of the choice on the log
length ratio (with model and prompt terms, and the truth's choice when given: `length_control`).
The fit needs no rows: every row of one cell (group, model A, model B, prompt, truth's choice, length
ratio) has the same covariates, so the cell's count and sum of choices carry all the likelihood
says about it. The cells are computed by `cells` on any engine and add up across shards. On logs
above `run.LARGE_ROWS` rows the log length ratio is binned to `BIN_WIDTH` (the cell's mean ratio is
its covariate), which keeps the cells few; below, it is exact.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from specgap.monitor import aggregate, stats
from specgap.monitor import length_control as lc
from specgap.monitor.length import MIN_ROWS, _controls, _grade
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import LengthBias

if TYPE_CHECKING:
    import polars as pl

BIN_WIDTH = 0.1          # log length ratio bin on large logs: about a 10% length difference
EXACT_ROWS = 2_000_000   # up to this many rows the ratio is not binned
DL, SIGN, BIN = "__dl", "__dl_sign", "__dl_bin"


def levels(truth: str | None, model_a: str | None, model_b: str | None, prompt: str | None) -> list[str]:
    """The cell keys besides the group: labels, the truth's choice, the ratio's sign and its bin (or value)."""
    return [c for c in (model_a, model_b, prompt, truth) if c] + [SIGN, BIN]


def prepare(len_a: "pl.Expr", len_b: "pl.Expr", width: float) -> "list[pl.Expr]":
    """The log length ratio (missing when a length is negative), its sign and its bin (the value itself when
    `width` is 0): bins never straddle zero, so the share of longer outputs chosen stays exact."""
    import polars as pl

    dl = pl.when((len_a >= 0) & (len_b >= 0)).then(len_a.log1p() - len_b.log1p())
    return [dl.alias(DL), dl.sign().alias(SIGN), ((dl / width).floor() if width > 0 else dl).alias(BIN)]


def cells(frame: "pl.LazyFrame", proxy: str, truth: str | None, model_a: str | None, model_b: str | None,
          prompt: str | None, by: list[str] | None = None, per_step: bool = False) -> "pl.LazyFrame":
    """Per cell: the count, the sums of the choice, the log ratio (and the truth's choice), and the extremes
    of the choice (to recognize its coding). Needs the columns of `prepare`."""
    cols = [proxy, DL] + ([truth] if truth else [])
    return aggregate.moments(frame, cols, by, False, levels(truth, model_a, model_b, prompt), extrema=True)


def _as_choice(lo: float, hi: float) -> tuple[bool, str | None]:
    """Whether a choice column is AlpacaEval-style 1 (first) / 2 (second) coding, from its extremes."""
    if lo >= 1 and hi <= 2 and hi > 1:
        return True, "choice coded 1 (first) / 2 (second) read as P(first preferred) = 2 - value"
    return False, None


def _codes(c: "pl.DataFrame", cols: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """Integer codes of the labels in `cols` over one shared, sorted set of labels (-1: missing)."""
    import polars as pl

    values = [c.get_column(x).cast(pl.String) for x in cols]
    levels = pl.concat(values).drop_nulls().unique().sort().to_list()
    index = {v: i for i, v in enumerate(levels)}
    return [v.replace_strict(index, default=-1, return_dtype=pl.Int64).to_numpy() for v in values], levels


def pairwise(c: "pl.DataFrame", proxy: str, truth: str | None, group: str | None, model_a: str | None = None,
             model_b: str | None = None, prompt: str | None = None) -> Outcome:
    """SG804 from the cells of one group (`cells`, combined over shards)."""
    out = Outcome()
    n = int(c.get_column("n").sum()) if c.height else 0
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} comparable pairs; pairwise length bias needs {MIN_ROWS}"))
        return out
    flip, how = _as_choice(float(c.get_column("lo0").min()), float(c.get_column("hi0").max()))
    if how:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {how}"))
    cn = c.get_column("n").to_numpy().astype(float)
    sy = c.get_column("s0").to_numpy().astype(float)
    sy = 2 * cn - sy if flip else sy
    lo, hi = float(c.get_column("lo0").min()), float(c.get_column("hi0").max())
    if (2 - hi if flip else lo) < 0 or (2 - lo if flip else hi) > 1:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: a pairwise choice must be 1 (A), 0 (B) or 0.5 (tie)"))
        return out
    dl = c.get_column("s1").to_numpy().astype(float) / cn
    yt = None
    if truth:
        tv = c.get_column(truth).to_numpy().astype(float)
        yt = 2 - tv if _as_choice(float(tv.min()), float(tv.max()))[0] else tv
    models = None
    if model_a and model_b:
        (ca, cb), levels = _codes(c, [model_a, model_b])
        models = (ca, cb, levels)
    prompts = None
    if prompt:
        (cp,), lp = _codes(c, [prompt])
        prompts = (cp, lp)
    s1 = c.get_column("s1").to_numpy().astype(float)
    ss = np.clip(c.get_column("q1").to_numpy().astype(float) - s1 * dl, 0.0, None)
    binned = float(ss.max()) > 1e-9 * float(c.get_column("q1").sum())   # ratios vary inside their cells
    sxy = c.get_column("x0_1").to_numpy().astype(float)
    spread = ((2 * s1 - sxy) if flip else sxy, ss) if binned else None
    fit = lc.pairwise(cn, sy, dl, yt, models, prompts, spread)
    if not fit.converged:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: the length model did not converge; estimates are approximate"))
    z = fit.beta_len / fit.se_len if fit.se_len > 0 else 0.0
    p1 = float(st.norm.sf(z))
    truth_note, truth_stats = "", {}
    if yt is not None:
        # the truth itself may prefer longer answers (they can be better): the judge must pay more than it
        # does, not only more than zero. A truth choice is a noisy copy of quality, so as a covariate alone
        # it would leave part of quality's link to length in the judge's length term.
        tf = lc.pairwise(cn, cn * yt, dl, None, models, prompts, (yt * s1, ss) if binned else None)
        p_more = float(st.norm.sf((fit.beta_len - tf.beta_len) / math.hypot(fit.se_len, tf.se_len)))
        p1 = max(p1, p_more)
        truth_note = f"; {truth} itself: x{math.exp(tf.beta_len * math.log(2)):.2f} per doubling"
        truth_stats = {"truth_log_odds_per_log_ratio": tf.beta_len, "p_judge_pays_more_than_truth": p_more}
    sign = c.get_column(SIGN).to_numpy()
    longer = sign != 0
    chose = np.where(sign > 0, sy, cn - sy)[longer].sum()
    p_longer = float(chose / cn[longer].sum()) if longer.any() else float("nan")
    odds = math.exp(fit.beta_len * math.log(2))
    # effect as a correlation-sized number: the log odds ratio per doubling mapped to r (Chinn 2000)
    r_eff = (fit.beta_len * math.log(2)) * math.sqrt(3) / math.pi
    r_eff = r_eff / math.sqrt(1 + r_eff * r_eff)
    controls = _controls(fit.n_models, fit.n_prompts, truth)
    severity, confidence, caveat = _grade(r_eff, fit.beta_len > 0, truth, fit.n_models or fit.n_prompts)
    extra = f"; {fit.ranking.describe('win rates')}" if fit.ranking else ""
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, severity,
        f"the judge ({proxy}) prefers the longer output" + (f" beyond what {truth} prefers" if truth else
                                                            " of the same model and prompt" if controls != "no controls"
                                                            else ""),
        f"odds of choosing A x{odds:.2f} per doubling of its length relative to B ({stats.fmt_p(p1)}, n={n}, "
        f"{controls}){truth_note}; chose the longer output {p_longer:.0%}; win rate of A {fit.win_rate:.1%} vs "
        f"{fit.lc_win_rate:.1%} length-controlled{extra}" + (f". Caveat: {caveat}" if caveat else ""),
        {"effect": r_eff, "effect_unit": "length log-odds as a correlation", "odds_ratio_per_doubling": odds,
         "log_odds_per_log_ratio": fit.beta_len,
         "log_odds_ci": [fit.beta_len - 1.96 * fit.se_len, fit.beta_len + 1.96 * fit.se_len], "n": n,
         "proxy": proxy, "truth": truth, "controls": controls, "models": fit.n_models, "prompts": fit.n_prompts,
         "p_prefer_longer": p_longer, "win_rate": fit.win_rate, "length_controlled_win_rate": fit.lc_win_rate,
         **truth_stats, **(fit.ranking.to_stats() if fit.ranking else {}), **({"caveat": caveat} if caveat else {})},
        rows=(int(c.get_column("row").min()), int(c.get_column("row_end").max())), max_confidence=confidence))
    out.plots.append(Plot("pairwise", f"{proxy}: win rate of A by length ratio",
                          {**fit.bins, "proxy_name": proxy}, group))
    return out


def on_rows(df: "pl.DataFrame", proxy: str, truth: str | None, len_a: "pl.Expr", len_b: "pl.Expr",
            group: str | None, model_a: str | None = None, model_b: str | None = None,
            prompt: str | None = None) -> Outcome:
    """SG804 on a log in memory: its exact cells (ratios not binned), then `pairwise`."""
    c = cells(df.lazy().with_columns(prepare(len_a, len_b, 0.0)), proxy, truth, model_a, model_b, prompt).collect()
    return pairwise(c, proxy, truth, group, model_a, model_b, prompt)
