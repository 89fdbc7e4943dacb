"""Does the proxy pay for length or style beyond what the truth pays? (SG804 length, SG810 style)

Pointwise scores: the partial correlation of the proxy with log length given the truth (zero when
length only matters through quality), a length-controlled score per group (the proxy with the
length effect regressed out, in the spirit of AlpacaEval's length-controlled win rate), and the
share of the proxy's gain over the run that the length change accounts for.
Pairwise preferences: see `pairs`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from specgap.monitor import length_control as lc
from specgap.monitor import stats
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import LengthBias, StyleBias

if TYPE_CHECKING:
    import polars as pl

MIN_ROWS = 30
LOGLEN = "__loglen"
WORDS = r"\S+"
# surface style the judge may reward regardless of content
STYLE = {
    "list formatting": r"(?m)^\s*(?:[-*\u2022]|\d+[.)])\s",
    "confident wording": r"(?i)\b(?:definitely|certainly|clearly|undoubtedly|absolutely|guaranteed|"
                         r"obviously|always|without (?:a|any) doubt|proven|for sure)\b",
    "hedging": r"(?i)\b(?:might|may|perhaps|possibly|probably|likely|unclear|uncertain|seems?|appears?|"
               r"i think|i believe|approximately|could)\b",
}


def words(col: str) -> "pl.Expr":
    import polars as pl

    return pl.col(col).fill_null("").str.count_matches(WORDS).cast(pl.Float64)


def _corr_matrix(d: "pl.DataFrame", cols: list[str]) -> np.ndarray:
    import polars as pl

    k = len(cols)
    vals = d.select([pl.corr(cols[i], cols[j]).alias(f"{i}_{j}") for i in range(k) for j in range(i + 1, k)]).row(0)
    r = np.eye(k)
    it = iter(vals)
    for i in range(k):
        for j in range(i + 1, k):
            r[i, j] = r[j, i] = next(it)
    return r


def loglen(length: str | None, text: str | None) -> "pl.Expr":
    """Log(1 + output length) from the length column or the word count of the text; missing when negative."""
    import polars as pl

    lexpr = pl.col(length) if length else words(text)  # type: ignore[arg-type]
    return pl.when(lexpr >= 0).then(lexpr.log1p()).alias(LOGLEN)


def pointwise(df: "pl.DataFrame", proxy: str, truth: str | None, length: str | None, text: str | None,
              group: str | None, group_col: str | None, by_step: bool = False, model: str | None = None,
              prompt: str | None = None, reliability: float | None = None) -> Outcome:
    """`by_step`: compare outputs of the same step only (within-step deviations), so that length and
    proxy both drifting over training is not mistaken for the proxy paying for length. `reliability`:
    see `on_moments`."""
    import polars as pl

    from specgap.monitor import aggregate

    out = Outcome()
    lexpr = pl.col(length) if length else words(text)  # type: ignore[arg-type]
    need = [proxy] + ([truth] if truth else [])
    d = (df.lazy().with_columns(lexpr.alias("__len")).drop_nulls(need + ["__len"])
         .filter(pl.col("__len") >= 0).with_columns(pl.col("__len").log1p().alias(LOGLEN)).collect())
    if d.height < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {d.height} rows with a length; length bias needs {MIN_ROWS}"))
        return out
    if model or prompt:
        cells = aggregate.moments(d.lazy(), [proxy, LOGLEN] + ([truth] if truth else []), per_step=False,
                                  levels=[c for c in (model, prompt) if c]).collect()
        res = controlled(cells, proxy, truth, model, prompt, group, reliability)
        out.extend(res)
        if res.hypotheses:
            out.plots.append(_length_plot(d, proxy, truth, group))
        if truth and text:
            out.extend(style(aggregate.moments(d.lazy().with_columns(style_features(text)), style_cols(proxy, truth),
                                               per_step=False).collect(), proxy, truth, group))
        return out
    cols = [proxy, LOGLEN] + ([truth] if truth else [])
    m = aggregate.moments(d.lazy(), cols, per_step=by_step).collect()
    mg = aggregate.moments(d.lazy(), cols, [group_col], per_step=False).collect() if group_col else None
    res = on_moments(m, proxy, truth, group, by_step, mg, reliability)
    out.extend(res)
    if res.hypotheses:
        out.plots.append(_length_plot(d, proxy, truth, group))
        if text and truth:
            out.extend(style(aggregate.moments(d.lazy().with_columns(style_features(text)), style_cols(proxy, truth),
                                               per_step=False).collect(), proxy, truth, group))
    return out


def on_moments(m: "pl.DataFrame", proxy: str, truth: str | None, group: str | None, by_step: bool,
               mg: "pl.DataFrame | None" = None, reliability: float | None = None) -> Outcome:
    """SG804 without model or prompt terms, from the moments of [proxy, log length(, truth)] (per step
    when `by_step`; `mg`: the same per group, for length-controlled means by group). `reliability`: the
    share of the truth's variance that is quality, when the user knows it (1 for an exact verifier)."""
    from specgap.monitor import aggregate

    out = Outcome()
    n = int(m.get_column("n").sum()) if m.height else 0
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} rows with a length; length bias needs {MIN_ROWS}"))
        return out
    if truth is None:
        r = aggregate.corr(aggregate.scatter(m, 2))[0, 1]
        out.notes.append(Note(LengthBias.id, group, f"{proxy} correlates with log length (r={r:.2f}, n={n}); without "
                                              "--truth, give --model and --prompt to separate length from quality"))
        return out
    n_steps = m.height if by_step else 0
    within = by_step and n >= 5 * n_steps and n_steps > 1
    c = aggregate.scatter(m, 3, within)
    r = aggregate.corr(c)
    if not np.all(np.isfinite(r)):
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: a metric or the length does not vary; nothing to test"))
        return out
    # within-step deviations lose one degree of freedom per step
    n_eff = n - n_steps + 1 if within else n
    eiv = None
    if reliability is not None and reliability < 1:
        noise = (1 - reliability) * float(aggregate.scatter(m, 3)[2, 2]) / (n - 1)
        eiv = stats.eiv_slope(c, n_eff - 1, noise)
        if eiv is None:
            out.notes.append(Note(LengthBias.id, group, f"{truth}: its stated noise (reliability {reliability:g}) is more "
                                                  "than it varies here; tested without the stated reliability"))
            reliability = None
    if eiv is not None:
        # the truth's known noise taken out: the slope on length given quality, not given a noisy copy
        b, cov, corrected = eiv
        rp, _, ci = stats.partial_corr(aggregate.corr(corrected), n_eff, 0, 1)
        t = float(b[0] / math.sqrt(cov[0, 0])) if cov[0, 0] > 0 else 0.0
        p1 = float(st.t.sf(t, n_eff - 3))
        p_more = None
        b_len = float(b[0])
    else:
        rp, p2, ci = stats.partial_corr(r, n_eff, 0, 1)
        p1 = p2 / 2 if rp > 0 else 1 - p2 / 2
        p_more = None
        if reliability is None:
            # a truth that is a noisy copy of quality leaves part of quality's link to length in the partial
            # correlation: unless the user states how reliable the truth is, the proxy must also go with
            # length more than the truth itself does (valid while the truth is no less reliable than the judge)
            p_more = stats.williams_p(r[1, 0], r[1, 2], r[0, 2], n_eff)
            p1 = max(p1, p_more)
        b_len = float(np.linalg.lstsq(c[1:, 1:], c[1:, 0], rcond=None)[0][0])   # OLS slope of proxy on log length
    lc = _length_controlled(mg, b_len) if mg is not None and mg.height > 1 else None
    share = _gain_share(m, b_len) if by_step else None
    extra = f"; length explains {share:.0%} of the {proxy} gain over the run" if share is not None else ""
    if lc:
        extra += "; length-controlled mean by group: " + ", ".join(f"{g} {a:.3g}->{b:.3g}" for g, (a, b) in lc.items())
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, stats.r_severity(rp) if rp > 0 else "low",
        f"{proxy} pays for length beyond what {truth} pays",
        f"partial r({proxy}, log length | {truth}) = {rp:.2f} [{ci[0]:.2f}, {ci[1]:.2f}], {stats.fmt_p(p1)}, "
        f"n={n}{' within steps' if within else ''}"
        f"{f'; {truth} taken as {reliability:.0%} reliable' if reliability is not None else ''}; "
        f"+{b_len * math.log(2):.3g} {proxy} per doubling of length{extra}",
        {"effect": rp, "effect_unit": "partial correlation", "ci": list(ci), "n": n, "proxy": proxy,
         "truth": truth, "within_step": within, "per_doubling": b_len * math.log(2), "r_proxy_length": r[0, 1],
         "p_judge_pays_more_than_truth": p_more, "truth_reliability": reliability,
         "r_truth_length": r[1, 2], "gain_share_from_length": share, "length_controlled": lc},
        rows=(int(m.get_column("row").min()), int(m.get_column("row_end").max()))))
    return out


def _length_controlled(mg: "pl.DataFrame", b_len: float) -> dict[str, list[float]]:
    """Per group: the raw mean proxy and the mean with the pooled length effect taken out."""
    import polars as pl

    key = mg.columns[0]
    mean_len = float(mg.get_column("s1").sum()) / float(mg.get_column("n").sum())
    g = (mg.select(pl.col(key), (pl.col("s0") / pl.col("n")).alias("raw"),
                   (pl.col("s0") / pl.col("n") - b_len * (pl.col("s1") / pl.col("n") - mean_len)).alias("lc"))
         .drop_nulls(key).sort("raw", descending=True))
    return {str(k): [float(a), float(b)] for k, a, b in g.iter_rows()}


def _gain_share(m: "pl.DataFrame", b_len: float) -> float | None:
    """Share of the proxy's first-to-last-tenth gain (in rows, whole steps) that the length change accounts for."""
    from specgap.monitor import aggregate

    if m.height < 8:
        return None
    first, last = aggregate.deciles(m, True), aggregate.deciles(m, False)
    if first.height == 0 or last.height == 0:
        return None
    mean = lambda part, i: float(part.get_column(f"s{i}").sum()) / float(part.get_column("n").sum())  # noqa: E731
    dp = mean(last, 0) - mean(first, 0)
    dl = mean(last, 1) - mean(first, 1)
    if dp <= 0:
        return None  # no gain to explain
    return float(b_len * dl / dp)


def style_features(text: str) -> "list[pl.Expr]":
    """Per output: how often each style feature occurs in its text."""
    import polars as pl

    return [pl.col(text).fill_null("").str.count_matches(rx).cast(pl.Float64).alias(f"__style{i}")
            for i, rx in enumerate(STYLE.values())]


def style_cols(proxy: str, truth: str) -> list[str]:
    """The columns SG810's moments are taken over: proxy, truth, log length, then each style feature."""
    return [proxy, truth, LOGLEN, *(f"__style{i}" for i in range(len(STYLE)))]


def style(m: "pl.DataFrame", proxy: str, truth: str, group: str | None) -> Outcome:
    """SG810: each style feature's partial correlation with the proxy given the truth and the length,
    from the moments over `style_cols` (one row: no step or group key)."""
    from specgap.monitor import aggregate

    out = Outcome()
    n = int(m.get_column("n").sum()) if m.height else 0
    if n < 3:
        return out
    c = aggregate.scatter(m, 3 + len(STYLE))
    for i, name in enumerate(STYLE):
        f = 3 + i
        if c[f, f] <= 1e-12 * max(float(m.get_column(f"q{f}").sum()), 1.0):
            continue  # the feature does not vary (absent everywhere): nothing to test
        r = aggregate.corr(c[np.ix_([0, f, 1, 2], [0, f, 1, 2])])
        if not np.all(np.isfinite(r)):
            continue
        rp, p2, ci = stats.partial_corr(r, n, 0, 1)
        out.hypotheses.append(Hypothesis(
            StyleBias.id, group, p2, stats.r_severity(rp),
            f"{proxy} pays for {name} beyond what {truth} pays",
            f"partial r({proxy}, {name} | {truth}, length) = {rp:+.2f} [{ci[0]:.2f}, {ci[1]:.2f}], "
            f"{stats.fmt_p(p2)}, n={n}",
            {"effect": rp, "effect_unit": "partial correlation", "ci": list(ci), "feature": name,
             "n": n, "proxy": proxy, "truth": truth},
            rows=(int(m.get_column("row").min()), int(m.get_column("row_end").max()))))
    return out


def _controls(models: int, prompts: int, truth: str | None) -> str:
    parts = ([f"{models} model terms"] if models else []) + ([f"{prompts} prompt terms"] if prompts else []) \
        + ([f"{truth}"] if truth else [])
    return "controlled for " + ", ".join(parts) if parts else "no controls"


def _grade(r_eff: float, positive: bool, truth: str | None, controlled: int) -> tuple[str, str | None, str]:
    """Severity (from the effect), confidence cap and caveat. Truth controls quality: full confidence.
    Model and prompt terms control quality that varies between them: medium at most. Neither: low."""
    severity = stats.r_severity(r_eff) if positive else "low"
    if truth:
        return severity, None, ""
    if controlled:
        return severity, "medium", lc.CAVEAT
    return severity, "low", ("no truth, model or prompt column, so better answers that are also longer would "
                             "look the same; give --truth, or the models (--pair-model-a/-b or --model) and --prompt")


def controlled(cells: "pl.DataFrame", proxy: str, truth: str | None, model: str | None, prompt: str | None,
               group: str | None, reliability: float | None = None) -> Outcome:
    """SG804 with model and/or prompt terms, from the per-(model, prompt) moments of [proxy, log length
    (, truth)]: the same numbers as the regression on the rows (see `length_control.within_scatter`)."""
    from specgap.monitor import aggregate

    out = Outcome()
    n = int(cells.get_column("n").sum()) if cells.height else 0
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} rows with a length; length bias needs {MIN_ROWS}"))
        return out
    sd = lambda i: aggregate.total(cells, i)[2] * math.sqrt((n - 1) / n)   # noqa: E731  (ddof=0)
    noise = (1 - reliability) * aggregate.total(cells, 2)[2] ** 2 if truth and reliability is not None else None
    fit = lc.pointwise(cells, truth is not None, model, prompt, noise)
    if fit is None and noise is not None:
        out.notes.append(Note(LengthBias.id, group, f"{truth}: its stated noise (reliability {reliability:g}) is more "
                                              "than it varies within model and prompt; tested without it"))
        reliability = None
        fit = lc.pointwise(cells, True, model, prompt)
    if fit is None:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: length does not vary within model and prompt; nothing to test"))
        return out
    p1 = float(st.t.sf(fit.t, fit.dof))
    truth_note, truth_stats = "", {}
    if truth and reliability is not None:
        truth_note = f"; {truth} taken as {reliability:.0%} reliable"
        truth_stats = {"truth_reliability": reliability, "p_judge_pays_more_than_truth": None}
    elif truth:
        # as for pairs: the judge's length slope must exceed the truth's own, each in its SDs
        tf = lc.pointwise(cells, True, model, prompt, outcome=2)
        sy, st_ = sd(0), sd(2)
        if tf is not None and sy > 0 and st_ > 0:
            diff = fit.beta_len / sy - tf.beta_len / st_
            p_more = float(st.norm.sf(diff / math.hypot(fit.se_len / sy, tf.se_len / st_)))
            p1 = max(p1, p_more)
            truth_note = f"; {truth} itself {tf.beta_len * math.log(2):+.3g} per doubling"
            truth_stats = {"truth_per_doubling": tf.beta_len * math.log(2), "p_judge_pays_more_than_truth": p_more}
    controls = _controls(fit.n_models, fit.n_prompts, truth)
    severity, confidence, caveat = _grade(fit.r_partial, fit.beta_len > 0, truth, 1)
    extra = f"; {fit.ranking.describe('means')}" if fit.ranking else ""
    ci = (fit.beta_len - 1.96 * fit.se_len, fit.beta_len + 1.96 * fit.se_len)
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, severity,
        f"{proxy} pays for length" + (f" beyond what {truth} pays" if truth else " within model and prompt"),
        f"+{fit.beta_len * math.log(2):.3g} {proxy} per doubling of length [{ci[0] * math.log(2):.3g}, "
        f"{ci[1] * math.log(2):.3g}] ({controls}; partial r={fit.r_partial:.2f}, {stats.fmt_p(p1)}, "
        f"n={n}){truth_note}{extra}" + (f". Caveat: {caveat}" if caveat else ""),
        {"effect": fit.r_partial, "effect_unit": "partial correlation", "per_doubling": fit.beta_len * math.log(2),
         "per_doubling_ci": [c * math.log(2) for c in ci], "n": n, "proxy": proxy, "truth": truth,
         "controls": controls, "models": fit.n_models, "prompts": fit.n_prompts, **truth_stats,
         **(fit.ranking.to_stats() if fit.ranking else {}), **({"caveat": caveat} if caveat else {})},
        rows=(int(cells.get_column("row").min()), int(cells.get_column("row_end").max())), max_confidence=confidence))
    return out


def _length_plot(d: "pl.DataFrame", proxy: str, truth: str | None, group: str | None) -> Plot:
    sample = d.sample(min(d.height, 1500), seed=0)
    data = {"length": sample.get_column("__len").to_list(), "proxy": sample.get_column(proxy).to_list(),
            "proxy_name": proxy}
    if truth:
        data |= {"truth": sample.get_column(truth).to_list(), "truth_name": truth}
    return Plot("length", f"{proxy} vs length", data, group)
