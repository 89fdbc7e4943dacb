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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
from scipy import stats as st
from scipy.special import expit

from specgap.monitor import aggregate, stats
from specgap.monitor import length_control as lc
from specgap.monitor import pairfit as pf
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
    return pairwise_parts([lambda: c], proxy, truth, group, model_a, model_b, prompt)


Loader = Callable[[], "pl.DataFrame"]


@dataclass
class _Summary:
    """What the fit needs to know about all partitions before it starts."""
    n: int = 0
    lo: float = math.inf
    hi: float = -math.inf
    t_lo: float = math.inf
    t_hi: float = -math.inf
    ss_max: float = 0.0
    q1: float = 0.0
    row: float = math.inf
    row_end: float = -math.inf
    prompts: int = 0
    compared: dict[str, float] = field(default_factory=dict)   # per model label: rows it is compared in


def _summary(loaders: list[Loader], truth: str | None, model_a: str | None, model_b: str | None,
             prompt: str | None) -> _Summary:
    import polars as pl

    s = _Summary()
    for load in loaders:
        c = load()
        if not c.height:
            continue
        s.n += int(c.get_column("n").sum())
        s.lo, s.hi = min(s.lo, float(c.get_column("lo0").min())), max(s.hi, float(c.get_column("hi0").max()))
        if truth:
            s.t_lo = min(s.t_lo, float(c.get_column(truth).min()))
            s.t_hi = max(s.t_hi, float(c.get_column(truth).max()))
        s1, n = c.get_column("s1").to_numpy().astype(float), c.get_column("n").to_numpy().astype(float)
        s.ss_max = max(s.ss_max, float(np.clip(c.get_column("q1").to_numpy().astype(float) - s1 * s1 / n, 0.0, None).max()))
        s.q1 += float(c.get_column("q1").sum())
        s.row, s.row_end = min(s.row, float(c.get_column("row").min())), max(s.row_end, float(c.get_column("row_end").max()))
        if prompt:   # partitions hold whole prompts, so their counts add up
            s.prompts += int(c.get_column(prompt).drop_nulls().n_unique())
        if model_a and model_b:
            for col in (model_a, model_b):
                for label, k in c.group_by(pl.col(col).cast(pl.String)).agg(pl.col("n").sum()).drop_nulls(col).iter_rows():
                    s.compared[label] = s.compared.get(label, 0.0) + float(k)
    return s


def pairwise_parts(loaders: list[Loader], proxy: str, truth: str | None, group: str | None,
                   model_a: str | None = None, model_b: str | None = None, prompt: str | None = None) -> Outcome:
    """SG804 from the cells of one group in partitions that each hold whole prompts (`loaders`: each returns
    one partition's cells); the model is fitted by `pairfit.newton`, one partition in memory at a time."""
    import polars as pl

    out = Outcome()
    sm = _summary(loaders, truth, model_a, model_b, prompt)
    n = sm.n
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} comparable pairs; pairwise length bias needs {MIN_ROWS}"))
        return out
    flip, how = _as_choice(sm.lo, sm.hi)
    if how:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {how}"))
    if (2 - sm.hi if flip else sm.lo) < 0 or (2 - sm.lo if flip else sm.hi) > 1:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: a pairwise choice must be 1 (A), 0 (B) or 0.5 (tie)"))
        return out
    t_flip = bool(truth) and _as_choice(sm.t_lo, sm.t_hi)[0]
    binned = sm.ss_max > 1e-9 * sm.q1   # ratios vary inside their cells
    models = sorted(sm.compared)
    index = {v: i for i, v in enumerate(models)}
    # the most compared model (often the baseline) anchors the scale
    ref = int(np.argmax([sm.compared[m] for m in models])) if models else 0
    design = pf.Design(truth is not None, len(models), ref, bool(prompt) and sm.prompts < n)
    store = pf.Store(len(loaders))
    keys: list[tuple[np.ndarray, np.ndarray]] = []
    longer = [0.0, 0.0]   # pairs with a longer output, and the longer one chosen
    try:
        for i, load in enumerate(loaders):
            c = load()
            cn = c.get_column("n").to_numpy().astype(float)
            s0 = c.get_column("s0").to_numpy().astype(float)
            sy = 2 * cn - s0 if flip else s0
            s1 = c.get_column("s1").to_numpy().astype(float)
            yt = None
            if truth:
                tv = c.get_column(truth).to_numpy().astype(float)
                yt = 2 - tv if t_flip else tv
            cp, n_prompts = None, 0
            if design.prompts:
                (cp,), lp = _codes(c, [prompt])  # type: ignore[list-item]
                n_prompts = len(lp)
            ss = np.clip(c.get_column("q1").to_numpy().astype(float) - s1 * s1 / np.maximum(cn, 1), 0.0, None) if binned else None
            sxy = c.get_column("x0_1").to_numpy().astype(float) if binned else None
            if sxy is not None and flip:
                sxy = 2 * s1 - sxy
            ca, cb = ([c.get_column(col).cast(pl.String).replace_strict(index, default=-1, return_dtype=pl.Int64)
                       .to_numpy() for col in (model_a, model_b)] if models else (None, None))
            pf.save_cells(store, i, pf.Cells(cn, sy, s1 / cn, yt, ca, cb, cp, n_prompts, sxy, ss))
            sign = c.get_column(SIGN).to_numpy()
            longer[0] += float(cn[sign != 0].sum())
            longer[1] += float(np.where(sign > 0, sy, cn - sy)[sign != 0].sum())
            keys.append((sign, c.get_column(BIN).to_numpy().astype(float)))
        cells = lambda i: pf.load_cells(store, i)  # noqa: E731
        fit = pf.newton(len(loaders), cells, design, store, "judge")
        if not fit.converged:
            out.notes.append(Note(LengthBias.id, group, f"{proxy}: the length model did not converge; estimates are approximate"))
        beta_len, se_len = float(fit.beta[1]), pf.se(fit, 1)
        z = beta_len / se_len if se_len > 0 else 0.0
        p1 = float(st.norm.sf(z))
        truth_note, truth_stats = "", {}
        if truth:
            # the truth itself may prefer longer answers (they can be better): the judge must pay more than it
            # does, not only more than zero. A truth choice is a noisy copy of quality, so as a covariate alone
            # it would leave part of quality's link to length in the judge's length term.
            def as_truth(i: int) -> pf.Cells:
                k = pf.load_cells(store, i)
                return pf.Cells(k.n, k.n * k.truth, k.dl, None, k.ca, k.cb, k.cp, k.n_prompts,  # type: ignore[operator]
                                k.truth * k.n * k.dl if k.ss is not None else None, k.ss)  # type: ignore[operator]

            tdesign = pf.Design(False, design.n_models, design.ref, design.prompts)
            tf = pf.newton(len(loaders), as_truth, tdesign, store, "truth")
            tb, tse = float(tf.beta[1]), pf.se(tf, 1)
            p_more = float(st.norm.sf((beta_len - tb) / math.hypot(se_len, tse)))
            p1 = max(p1, p_more)
            truth_note = f"; {truth} itself: x{math.exp(tb * math.log(2)):.2f} per doubling"
            truth_stats = {"truth_log_odds_per_log_ratio": tb, "p_judge_pays_more_than_truth": p_more}
        # the verdicts predicted at equal lengths: win rates per model and by length ratio
        won, ctl, seen = (np.zeros(len(models)) for _ in range(3))
        lc_sum, sy_sum = 0.0, 0.0
        bins: list[np.ndarray] = []
        for i in range(len(loaders)):
            k = cells(i)
            p0 = expit(fit.linear(design, i, k) - beta_len * k.dl)
            lc_sum += float((k.n * p0).sum())
            sy_sum += float(k.sy.sum())
            if models:
                for codes, chose, pred in ((k.ca, k.sy, k.n * p0), (k.cb, k.n - k.sy, k.n * (1 - p0))):
                    ok = codes >= 0  # type: ignore[operator]
                    won += np.bincount(codes[ok], chose[ok], len(models))  # type: ignore[index]
                    ctl += np.bincount(codes[ok], pred[ok], len(models))  # type: ignore[index]
                    seen += np.bincount(codes[ok], k.n[ok], len(models))  # type: ignore[index]
            sign, b = keys[i]
            bins.append(_by_ratio(np.column_stack([sign, b, k.n, k.n * k.dl, k.sy, k.n * p0])))
            if len(bins) > 1:
                bins = [_by_ratio(np.concatenate(bins))]
    finally:
        store.close()
    rank = lc.ranking({v: float(won[i] / seen[i]) for i, v in enumerate(models) if seen[i]},
                      {v: float(ctl[i] / seen[i]) for i, v in enumerate(models) if seen[i]}) if models else None
    win_rate, lc_win_rate = sy_sum / n, lc_sum / n
    bn = bins[0]
    plot = lc.ratio_bins(bn[:, 2], bn[:, 4], bn[:, 3] / bn[:, 2], bn[:, 5] / bn[:, 2])
    p_longer = longer[1] / longer[0] if longer[0] else float("nan")
    odds = math.exp(beta_len * math.log(2))
    # effect as a correlation-sized number: the log odds ratio per doubling mapped to r (Chinn 2000)
    r_eff = (beta_len * math.log(2)) * math.sqrt(3) / math.pi
    r_eff = r_eff / math.sqrt(1 + r_eff * r_eff)
    n_models, n_prompts = len(models), sm.prompts if design.prompts else 0
    controls = _controls(n_models, n_prompts, truth)
    severity, confidence, caveat = _grade(r_eff, beta_len > 0, truth, n_models or n_prompts)
    extra = f"; {rank.describe('win rates')}" if rank else ""
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, severity,
        f"the judge ({proxy}) prefers the longer output" + (f" beyond what {truth} prefers" if truth else
                                                            " of the same model and prompt" if controls != "no controls"
                                                            else ""),
        f"odds of choosing A x{odds:.2f} per doubling of its length relative to B ({stats.fmt_p(p1)}, n={n}, "
        f"{controls}){truth_note}; chose the longer output {p_longer:.0%}; win rate of A {win_rate:.1%} vs "
        f"{lc_win_rate:.1%} length-controlled{extra}" + (f". Caveat: {caveat}" if caveat else ""),
        {"effect": r_eff, "effect_unit": "length log-odds as a correlation", "odds_ratio_per_doubling": odds,
         "log_odds_per_log_ratio": beta_len,
         "log_odds_ci": [beta_len - 1.96 * se_len, beta_len + 1.96 * se_len], "n": n,
         "proxy": proxy, "truth": truth, "controls": controls, "models": n_models, "prompts": n_prompts,
         "p_prefer_longer": p_longer, "win_rate": win_rate, "length_controlled_win_rate": lc_win_rate,
         **truth_stats, **(rank.to_stats() if rank else {}), **({"caveat": caveat} if caveat else {})},
        rows=(int(sm.row), int(sm.row_end)), max_confidence=confidence))
    out.plots.append(Plot("pairwise", f"{proxy}: win rate of A by length ratio", {**plot, "proxy_name": proxy}, group))
    return out


def _by_ratio(a: np.ndarray) -> np.ndarray:
    """Rows (sign, ratio bin, n, n * ratio, chosen, predicted at equal lengths) summed per (sign, bin): the
    plot's points, few on a binned log; with exact ratios, cells of one ratio merged (deciles unchanged)."""
    keys, inv = np.unique(a[:, :2], axis=0, return_inverse=True)
    out = np.zeros((len(keys), a.shape[1]))
    out[:, :2] = keys
    for j in range(2, a.shape[1]):
        out[:, j] = np.bincount(inv.ravel(), a[:, j], len(keys))
    return out


def on_rows(df: "pl.DataFrame", proxy: str, truth: str | None, len_a: "pl.Expr", len_b: "pl.Expr",
            group: str | None, model_a: str | None = None, model_b: str | None = None,
            prompt: str | None = None) -> Outcome:
    """SG804 on a log in memory: its exact cells (ratios not binned), then `pairwise`."""
    c = cells(df.lazy().with_columns(prepare(len_a, len_b, 0.0)), proxy, truth, model_a, model_b, prompt).collect()
    return pairwise(c, proxy, truth, group, model_a, model_b, prompt)
