"""SG805: a model rates its own outputs higher than independent raters rate the same items.

Paired Wilcoxon signed-rank test of self minus independent, the mean inflation with a 95%
interval (bootstrap for small samples, t otherwise), quadratic-weighted kappa for agreement, and
which surface features of the output (length, confident words, list structure) go with inflation.
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


def _ordinal(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratings as integer categories: as they are when they look like a rating scale, else quintiles."""
    both = np.concatenate([a, b])
    if np.allclose(both, np.round(both)) and len(np.unique(both)) <= 20:
        return np.round(a).astype(int), np.round(b).astype(int)
    edges = np.quantile(both, [0.2, 0.4, 0.6, 0.8])
    return np.searchsorted(edges, a), np.searchsorted(edges, b)


def self_inflation(df: "pl.DataFrame", self_col: str, indep: str, text: str | None, group: str | None) -> Outcome:
    import polars as pl

    out = Outcome()
    d = df.drop_nulls([self_col, indep])
    n = d.height
    if n < MIN_ROWS:
        out.notes.append(Note(SelfEvaluationInflation.id, group, f"{self_col} vs {indep}: {n} rated item(s); needs {MIN_ROWS}"))
        return out
    a = d.get_column(self_col).to_numpy().astype(float)
    b = d.get_column(indep).to_numpy().astype(float)
    diff = a - b
    if np.all(diff == 0):
        out.notes.append(Note(SelfEvaluationInflation.id, group, f"{self_col} equals {indep} on every item: no inflation"))
        return out
    p = float(st.wilcoxon(diff, alternative="greater").pvalue)
    mean = float(diff.mean())
    if n <= BOOTSTRAP_MAX_N:
        ci = st.bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=2000,
                          random_state=np.random.default_rng(0)).confidence_interval
        lo, hi = float(ci.low), float(ci.high)
    else:
        lo, hi = (float(v) for v in st.t.interval(0.95, n - 1, loc=mean, scale=diff.std(ddof=1) / math.sqrt(n)))
    sd = float(b.std(ddof=1)) or float(diff.std(ddof=1))
    effect = mean / sd if sd > 0 else 0.0
    kappa = stats.weighted_kappa(*_ordinal(a, b))
    predictors = _predictors(d, diff, text) if text else {}
    drivers = ", ".join(f"{k} (r={v['r']:+.2f})" for k, v in predictors.items() if v["p"] < 0.05)
    out.hypotheses.append(Hypothesis(
        SelfEvaluationInflation.id, group, p, stats.d_severity(effect) if mean > 0 else "low",
        f"self-ratings ({self_col}) exceed independent ratings ({indep}) of the same items",
        f"mean inflation {mean:+.3g} [{lo:.3g}, {hi:.3g}] ({effect:+.2f} SD), Wilcoxon {stats.fmt_p(p)}, n={n}; "
        f"weighted kappa {kappa:.2f}" + (f"; inflation goes with {drivers}" if drivers else ""),
        {"effect": effect, "effect_unit": "mean inflation in SDs of the independent rating", "self": self_col, "independent": indep, "mean_inflation": mean,
         "ci": [lo, hi], "n": n, "kappa": kappa, "share_inflated": float((diff > 0).mean()),
         "predictors": predictors},
        rows=(int(d.get_column(ROW).min()), int(d.get_column(ROW).max()))))
    k = min(n, 1500)
    idx = np.random.default_rng(0).choice(n, k, replace=False)
    out.plots.append(Plot("self", f"{self_col} vs {indep}", {
        "self": a[idx].tolist(), "independent": b[idx].tolist(), "self_name": self_col, "indep_name": indep}, group))
    return out


def _predictors(d: "pl.DataFrame", diff: np.ndarray, text: str) -> dict[str, dict[str, float]]:
    """Spearman correlation of inflation with each surface feature (descriptive, unadjusted p)."""
    import polars as pl

    feats = d.select(words(text).log1p().alias("length"),
                     *[pl.col(text).fill_null("").str.count_matches(rx).alias(name) for name, rx in STYLE.items()])
    res: dict[str, dict[str, float]] = {}
    for name in feats.columns:
        v = feats.get_column(name).to_numpy().astype(float)
        if v.std() == 0:
            continue
        r, p = st.spearmanr(v, diff)
        if math.isfinite(r):
            res[name] = {"r": float(r), "p": float(p)}
    return res
