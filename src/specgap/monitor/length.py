"""Does the proxy pay for length or style beyond what the truth pays? (SG804 length, SG810 style)

Pointwise scores: the partial correlation of the proxy with log length given the truth (zero when
length only matters through quality), a length-controlled score per group (the proxy with the
length effect regressed out, in the spirit of AlpacaEval's length-controlled win rate), and the
share of the proxy's gain over the run that the length change accounts for.
Pairwise preferences (the proxy is "A chosen": 1, 0, or 0.5 for a tie): a logistic regression of
the choice on the log length ratio (and on the truth's choice when given), with the win rate
predicted at equal lengths.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize
from scipy import stats as st

from specgap.monitor import stats
from specgap.monitor.load import ROW, STEP
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


def pointwise(df: "pl.DataFrame", proxy: str, truth: str | None, length: str | None, text: str | None,
              group: str | None, group_col: str | None, by_step: bool = False) -> Outcome:
    """`by_step`: compare outputs of the same step only (within-step deviations), so that length and
    proxy both drifting over training is not mistaken for the proxy paying for length."""
    import polars as pl

    out = Outcome()
    lexpr = pl.col(length) if length else words(text)  # type: ignore[arg-type]
    need = [proxy] + ([truth] if truth else [])
    d = (df.lazy().with_columns(lexpr.alias("__len")).drop_nulls(need + ["__len"])
         .filter(pl.col("__len") >= 0).with_columns(pl.col("__len").log1p().alias(LOGLEN)).collect())
    n = d.height
    n_steps = d.get_column(STEP).n_unique() if by_step else 0
    within = by_step and n >= 5 * n_steps and n_steps > 1
    if within:
        d = d.with_columns([(pl.col(c) - pl.col(c).mean().over(STEP)).alias(f"__w{i}")
                            for i, c in enumerate([proxy, LOGLEN] + ([truth] if truth else []))])
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} rows with a length; length bias needs {MIN_ROWS}"))
        return out
    if truth is None:
        r = d.select(pl.corr(proxy, LOGLEN)).item()
        out.notes.append(Note(LengthBias.id, group, f"{proxy} correlates with log length (r={r:.2f}, n={n}), but without "
                                              "--truth length cannot be told apart from quality"))
        return out
    cols = ["__w0", "__w1", "__w2"] if within else [proxy, LOGLEN, truth]
    r = _corr_matrix(d, cols)
    if not np.all(np.isfinite(r)):
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: a metric or the length does not vary; nothing to test"))
        return out
    # within-step deviations lose one degree of freedom per step
    rp, p2, ci = stats.partial_corr(r, n - n_steps + 1 if within else n, 0, 1)
    p1 = p2 / 2 if rp > 0 else 1 - p2 / 2
    beta = _ols(d, cols[0], cols[1:])
    lc = _length_controlled(d, proxy, beta[1], group_col) if group_col else None
    share = _gain_share(d, proxy, beta[1]) if by_step else None
    extra = f"; length explains {share:.0%} of the {proxy} gain over the run" if share is not None else ""
    if lc and len(lc) > 1:
        extra += "; length-controlled mean by group: " + ", ".join(f"{g} {a:.3g}->{b:.3g}" for g, (a, b) in lc.items())
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, stats.r_severity(rp) if rp > 0 else "low",
        f"{proxy} pays for length beyond what {truth} pays",
        f"partial r({proxy}, log length | {truth}) = {rp:.2f} [{ci[0]:.2f}, {ci[1]:.2f}], {stats.fmt_p(p1)}, "
        f"n={n}{' within steps' if within else ''}; +{beta[1] * math.log(2):.3g} {proxy} per doubling of "
        f"length{extra}",
        {"effect": rp, "effect_unit": "partial correlation", "ci": list(ci), "n": n, "proxy": proxy,
         "truth": truth, "within_step": within, "per_doubling": beta[1] * math.log(2), "r_proxy_length": r[0, 1],
         "r_truth_length": r[1, 2], "gain_share_from_length": share, "length_controlled": lc},
        line=int(d.sort(LOGLEN, descending=True).get_column(ROW)[0])))
    sample = d.sample(min(n, 1500), seed=0)
    out.plots.append(Plot("length", f"{proxy} vs length", {
        "length": sample.get_column("__len").to_list(), "proxy": sample.get_column(proxy).to_list(),
        "proxy_name": proxy, "r_partial": rp}, group))
    if text:
        out.extend(_style(d, proxy, truth, text, group))
    return out


def _ols(d: "pl.DataFrame", y: str, xs: list[str]) -> np.ndarray:
    X = np.column_stack([np.ones(d.height)] + [d.get_column(c).to_numpy() for c in xs])
    beta, *_ = np.linalg.lstsq(X, d.get_column(y).to_numpy(), rcond=None)
    return beta


def _length_controlled(d: "pl.DataFrame", proxy: str, b_len: float, group_col: str) -> dict[str, list[float]]:
    """Per group: the raw mean proxy and the mean with the pooled length effect taken out."""
    import polars as pl

    m = d.get_column(LOGLEN).mean()
    g = (d.group_by(group_col).agg(pl.col(proxy).mean().alias("raw"),
                                   (pl.col(proxy) - b_len * (pl.col(LOGLEN) - m)).mean().alias("lc"))
         .sort("raw", descending=True))
    return {str(k): [float(a), float(b)] for k, a, b in g.iter_rows()}


def _gain_share(d: "pl.DataFrame", proxy: str, b_len: float) -> float | None:
    """Share of the proxy's first-to-last-decile gain that the length change accounts for."""
    import polars as pl

    if d.get_column(STEP).n_unique() < 8:
        return None
    s = d.sort(STEP, ROW).with_columns((pl.int_range(pl.len()) * 10 // pl.len()).alias("__dec"))
    ends = s.filter(pl.col("__dec").is_in([0, 9])).group_by("__dec").agg(pl.col(proxy).mean(), pl.col(LOGLEN).mean()).sort("__dec")
    if ends.height < 2:
        return None
    dp = ends.get_column(proxy)[1] - ends.get_column(proxy)[0]
    dl = ends.get_column(LOGLEN)[1] - ends.get_column(LOGLEN)[0]
    if dp <= 0:
        return None  # no gain to explain
    return float(b_len * dl / dp)


def _style(d: "pl.DataFrame", proxy: str, truth: str, text: str, group: str | None) -> Outcome:
    """SG810: each style feature's partial correlation with the proxy given the truth and the length."""
    import polars as pl

    out = Outcome()
    feats = d.with_columns([pl.col(text).fill_null("").str.count_matches(rx).cast(pl.Float64).alias(f"__{i}")
                            for i, rx in enumerate(STYLE.values())])
    for i, name in enumerate(STYLE):
        col = f"__{i}"
        if feats.get_column(col).std() in (0, None):
            continue  # feature absent everywhere: nothing to test
        r = _corr_matrix(feats, [proxy, col, truth, LOGLEN])
        if not np.all(np.isfinite(r)):
            continue
        rp, p2, ci = stats.partial_corr(r, feats.height, 0, 1)
        out.hypotheses.append(Hypothesis(
            StyleBias.id, group, p2, stats.r_severity(rp),
            f"{proxy} pays for {name} beyond what {truth} pays",
            f"partial r({proxy}, {name} | {truth}, length) = {rp:+.2f} [{ci[0]:.2f}, {ci[1]:.2f}], "
            f"{stats.fmt_p(p2)}, n={feats.height}",
            {"effect": rp, "effect_unit": "partial correlation", "ci": list(ci), "feature": name,
             "n": feats.height, "proxy": proxy, "truth": truth},
            line=int(feats.sort(col, descending=True).get_column(ROW)[0])))
    return out


def _logit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression (y may be fractional, e.g. ties as 0.5): coefficients and standard errors."""

    def nll(b: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ b
        ll = y * z - np.logaddexp(0, z)
        return -float(ll.sum()), -(X.T @ (y - 1 / (1 + np.exp(-z))))

    res = optimize.minimize(nll, np.zeros(X.shape[1]), jac=True, method="BFGS")
    p = 1 / (1 + np.exp(-(X @ res.x)))
    info = (X * (p * (1 - p))[:, None]).T @ X
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(info)), 0, None))
    return res.x, se


def _as_choice(v: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A choice column as "A preferred" in [0, 1]; AlpacaEval-style 1/2 coding is recognized."""
    vals = np.unique(v)
    if np.all((vals >= 1) & (vals <= 2)) and vals.max() > 1:
        return 2 - v, "choice coded 1 (first) / 2 (second) read as P(first preferred) = 2 - value"
    return v, None


def pairwise(df: "pl.DataFrame", proxy: str, truth: str | None, len_a: "pl.Expr", len_b: "pl.Expr",
             group: str | None) -> Outcome:
    import polars as pl

    out = Outcome()
    need = [proxy] + ([truth] if truth else [])
    d = (df.lazy().with_columns(len_a.alias("__la"), len_b.alias("__lb")).drop_nulls(need + ["__la", "__lb"])
         .filter((pl.col("__la") >= 0) & (pl.col("__lb") >= 0)).collect())
    n = d.height
    if n < MIN_ROWS:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {n} comparable pairs; pairwise length bias needs {MIN_ROWS}"))
        return out
    y, how = _as_choice(d.get_column(proxy).to_numpy().astype(float))
    if how:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: {how}"))
    if np.any((y < 0) | (y > 1)):
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: a pairwise choice must be 1 (A), 0 (B) or 0.5 (tie)"))
        return out
    dl = np.log1p(d.get_column("__la").to_numpy()) - np.log1p(d.get_column("__lb").to_numpy())
    cols = [np.ones(n), dl]
    if truth:
        yt, _ = _as_choice(d.get_column(truth).to_numpy().astype(float))
        cols.append(yt - 0.5)
    X = np.column_stack(cols)
    beta, se = _logit(X, y)
    z = beta[1] / se[1] if se[1] > 0 else 0.0
    p1 = float(st.norm.sf(z))
    longer = np.sign(dl) != 0
    chose_longer = np.where(dl[longer] > 0, y[longer], 1 - y[longer])
    p_longer = float(chose_longer.mean()) if longer.any() else float("nan")
    X0 = X.copy()
    X0[:, 1] = 0
    lc = float((1 / (1 + np.exp(-(X0 @ beta)))).mean())
    raw = float(y.mean())
    odds = math.exp(beta[1] * math.log(2))
    if not truth:
        out.notes.append(Note(LengthBias.id, group, f"{proxy}: the judge chose the longer output {p_longer:.0%} of the "
                                              f"time (n={n}; win rate {raw:.1%}, length-controlled {lc:.1%}); "
                                              "without --truth this cannot be told apart from quality"))
        return out
    # effect as a correlation-sized number: the log odds ratio per doubling mapped to r (Chinn 2000)
    r_eff = (beta[1] * math.log(2)) * math.sqrt(3) / math.pi
    r_eff = r_eff / math.sqrt(1 + r_eff * r_eff)
    out.hypotheses.append(Hypothesis(
        LengthBias.id, group, p1, stats.r_severity(r_eff) if beta[1] > 0 else "low",
        f"the judge ({proxy}) prefers the longer output beyond what {truth} prefers",
        f"odds of choosing A x{odds:.2f} per doubling of its length relative to B ({stats.fmt_p(p1)}, n={n}); "
        f"chose the longer output {p_longer:.0%}; win rate {raw:.1%} vs {lc:.1%} length-controlled",
        {"effect": r_eff, "effect_unit": "length log-odds as a correlation", "odds_ratio_per_doubling": odds,
         "log_odds_ci": [beta[1] - 1.96 * se[1], beta[1] + 1.96 * se[1]], "n": n, "proxy": proxy, "truth": truth,
         "p_prefer_longer": p_longer, "win_rate": raw, "length_controlled_win_rate": lc},
        line=int(d.get_column(ROW)[0])))
    return out
