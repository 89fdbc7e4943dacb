"""SG805: a model rates its own outputs higher than independent raters rate the same items.

Paired Wilcoxon signed-rank test of self minus independent, the mean inflation with a 95%
interval (bootstrap for small samples, t otherwise), quadratic-weighted kappa for agreement, and
which surface features of the output (length, confident words, list structure) go with inflation.

Everything is computed from cells: the count of items per (self rating, independent rating, surface
features), which add up across shards (`cells`). Up to `EXACT_ROWS` rows the cells also list their
row numbers, so the items are rebuilt in log order and the statistics are those of the rows; above,
the ratings are rounded to `DIGITS` significant digits (rating scales are unchanged) and the same
statistics are computed from the counts (`stats.wilcoxon_greater`, `stats.spearman`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from specgap.monitor import stats
from specgap.monitor.length import STYLE, words
from specgap.monitor.load import ROW
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import SelfEvaluationInflation

if TYPE_CHECKING:
    import polars as pl

MIN_ROWS = 20
BOOTSTRAP_MAX_N = 2000
EXACT_ROWS = 2_000_000   # up to this many rows the cells keep their row numbers
EXPAND_MAX = 1_000_000   # up to this many items, statistics run on the items rebuilt from the counts
DIGITS = 4               # significant digits of the ratings above EXACT_ROWS
FEATURES = {"length": "__f_length", **{name: f"__f{i}" for i, name in enumerate(STYLE)}}


def prepare(self_col: str, indep: str, text: str | None, rows: int) -> "list[pl.Expr]":
    """The surface features of the text, and the ratings rounded on logs above EXACT_ROWS rows."""
    import polars as pl

    out = [words(text).log1p().alias(FEATURES["length"]),
           *[pl.col(text).fill_null("").str.count_matches(rx).cast(pl.Float64).alias(FEATURES[name])
             for name, rx in STYLE.items()]] if text else []
    if rows > EXACT_ROWS:
        out += [pl.col(c).round_sig_figs(DIGITS) for c in (self_col, indep)]
    return out


def levels(self_col: str, indep: str, text: bool) -> list[str]:
    """The cell keys besides the group."""
    return [self_col, indep, *(FEATURES.values() if text else [])]


def cells(frame: "pl.LazyFrame", self_col: str, indep: str, text: str | None, keep_rows: bool,
          by: list[str] | None = None, per_step: bool = False) -> "pl.LazyFrame":
    """Items per (group, self rating, independent rating, features), with their first and last row (and,
    when `keep_rows`, every row number). Needs the columns of `prepare` when `text` is given."""
    import polars as pl

    k = [*(by or []), *levels(self_col, indep, text is not None)]
    aggs = [pl.len().alias("n"), pl.col(ROW).min().alias("row"), pl.col(ROW).max().alias("row_end")]
    aggs += [pl.col(ROW).alias("rows")] if keep_rows else []
    return frame.select([*k, ROW]).drop_nulls([self_col, indep, *(by or [])]).group_by(k).agg(aggs)


def _items(c: "pl.DataFrame", self_col: str, indep: str, text: bool) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Per-item columns (in log order when the cells list their rows), or per-cell columns and counts."""
    import polars as pl

    cols = levels(self_col, indep, text)
    n = int(c.get_column("n").sum())
    if "rows" in c.columns:
        c = c.select(*cols, "rows").explode("rows").sort("rows")
    elif n <= EXPAND_MAX:
        c = c.select(*cols, pl.int_ranges("n").alias("__rep")).explode("__rep")
    else:
        return {k: c.get_column(k).to_numpy().astype(float) for k in cols}, c.get_column("n").to_numpy().astype(float)
    return {k: c.get_column(k).to_numpy().astype(float) for k in cols}, None


def _ordinal(a: np.ndarray, b: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Ratings as integer categories: as they are when they look like a rating scale, else quintiles."""
    both = np.concatenate([a, b])
    if np.allclose(both, np.round(both)) and len(np.unique(both)) <= 20:
        return np.round(a).astype(int), np.round(b).astype(int)
    q = [0.2, 0.4, 0.6, 0.8]
    edges = np.quantile(both, q) if w is None else stats.weighted_quantile(both, np.concatenate([w, w]), np.array(q))
    return np.searchsorted(edges, a), np.searchsorted(edges, b)


def self_inflation(c: "pl.DataFrame", self_col: str, indep: str, text: bool, group: str | None) -> Outcome:
    """SG805 from the cells of one group (`cells`, combined over shards)."""
    out = Outcome()
    n = int(c.get_column("n").sum()) if c.height else 0
    if n < MIN_ROWS:
        out.notes.append(Note(SelfEvaluationInflation.id, group, f"{self_col} vs {indep}: {n} rated item(s); needs {MIN_ROWS}"))
        return out
    v, w = _items(c, self_col, indep, text)
    a, b = v[self_col], v[indep]
    ones = np.ones(len(a)) if w is None else w
    diff = a - b
    if np.all(diff == 0):
        out.notes.append(Note(SelfEvaluationInflation.id, group, f"{self_col} equals {indep} on every item: no inflation"))
        return out
    p = float(st.wilcoxon(diff, alternative="greater").pvalue) if w is None else stats.wilcoxon_greater(diff, w)
    mean = float((ones * diff).sum() / n)
    sd_of = lambda x: math.sqrt(float((ones * (x - (ones * x).sum() / n) ** 2).sum()) / (n - 1))  # noqa: E731
    if n <= BOOTSTRAP_MAX_N and w is None:
        ci = st.bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=2000,
                          random_state=np.random.default_rng(0)).confidence_interval
        lo, hi = float(ci.low), float(ci.high)
    else:
        lo, hi = (float(x) for x in st.t.interval(0.95, n - 1, loc=mean, scale=sd_of(diff) / math.sqrt(n)))
    sd = sd_of(b) or sd_of(diff)
    effect = mean / sd if sd > 0 else 0.0
    kappa = stats.weighted_kappa(*_ordinal(a, b, w), w)
    predictors = _predictors(v, diff, w) if text else {}
    drivers = ", ".join(f"{k} (r={x['r']:+.2f})" for k, x in predictors.items() if x["p"] < 0.05)
    out.hypotheses.append(Hypothesis(
        SelfEvaluationInflation.id, group, p, stats.d_severity(effect) if mean > 0 else "low",
        f"self-ratings ({self_col}) exceed independent ratings ({indep}) of the same items",
        f"mean inflation {mean:+.3g} [{lo:.3g}, {hi:.3g}] ({effect:+.2f} SD), Wilcoxon {stats.fmt_p(p)}, n={n}; "
        f"weighted kappa {kappa:.2f}" + (f"; inflation goes with {drivers}" if drivers else ""),
        {"effect": effect, "effect_unit": "mean inflation in SDs of the independent rating", "self": self_col, "independent": indep, "mean_inflation": mean,
         "ci": [lo, hi], "n": n, "kappa": kappa, "share_inflated": float((ones * (diff > 0)).sum() / n),
         "predictors": predictors},
        rows=(int(c.get_column("row").min()), int(c.get_column("row_end").max()))))
    k = min(n, 1500)
    rng = np.random.default_rng(0)
    idx = rng.choice(n, k, replace=False) if w is None else rng.choice(len(a), k, p=w / n)
    out.plots.append(Plot("self", f"{self_col} vs {indep}", {
        "self": a[idx].tolist(), "independent": b[idx].tolist(), "self_name": self_col, "indep_name": indep}, group))
    return out


def _predictors(v: dict[str, np.ndarray], diff: np.ndarray, w: np.ndarray | None) -> dict[str, dict[str, float]]:
    """Spearman correlation of inflation with each surface feature (descriptive, unadjusted p)."""
    res: dict[str, dict[str, float]] = {}
    for name, col in FEATURES.items():
        x = v[col]
        if np.all(x == x[0]):
            continue
        r, p = st.spearmanr(x, diff) if w is None else stats.spearman(x, diff, w)
        if math.isfinite(r):
            res[name] = {"r": float(r), "p": float(p)}
    return res


def on_rows(df: "pl.DataFrame", self_col: str, indep: str, text: str | None, group: str | None) -> Outcome:
    """SG805 on a log in memory: its cells with their rows, then `self_inflation`."""
    c = cells(df.lazy().with_columns(prepare(self_col, indep, text, df.height)), self_col, indep, text, True).collect()
    return self_inflation(c, self_col, indep, text is not None, group)
