"""Per-step aggregates: what the checks that do not need rows run on, whatever the engine.

Two kinds, per step (and group) of a log, each with the first and last row it covers:
- moments of metric columns: the row count, the sums, sums of squares and cross-products (the step
  checks SG801-SG803 and the length check SG804 given a truth; with `levels`, per cell of labels:
  SG804 with model and prompt terms, pairwise SG804 in `pairs`, sessions SG809; style SG810);
- flag counts: true/false positives and negatives of a classifier (SG806, SG807).
The other checks' aggregates live with them (`selfeval.cells`, `textgame.sample`, `audit.top`).
Aggregates of disjoint shards add up, so one machine streams them with polars (`collect(engine=
"streaming")`, memory flat in the number of rows) and Ray computes them per shard with this same code
and sums the parts (`combine`). Means, standard deviations, correlations and regressions over any
set of steps follow exactly from the sums. Without a step column there is one aggregate per group.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from specgap.monitor.load import ROW, STEP

if TYPE_CHECKING:
    import polars as pl


_AGGREGATE = re.compile(r"n|rows|[sq]\d+|x\d+_\d+|lo\d+|hi\d+|tp|fp|fn|tn|not_binary|(?:fp_|fn_)?row(?:_end)?")


def keys(by: list[str] | None = None, per_step: bool = True) -> list[str]:
    return [*(by or []), *([STEP] if per_step else [])]


def _agg(lf: "pl.LazyFrame", k: list[str], aggs: list["pl.Expr"]) -> "pl.LazyFrame":
    return lf.group_by(k).agg(aggs) if k else lf.select(aggs)


def moments(lf: "pl.LazyFrame", cols: list[str], by: list[str] | None = None, per_step: bool = True,
            levels: list[str] | None = None, extrema: bool = False) -> "pl.LazyFrame":
    """Per (group, step): n, sums s_i, sums of squares q_i, cross-products x_ij of rows where all `cols` exist.

    `levels`: more keys (a model, a prompt: cells of a fixed-effects model) where a missing label is a
    level of its own, not a reason to drop the row. `extrema`: also each column's minimum lo_i and maximum hi_i."""
    import polars as pl

    k = [*keys(by, per_step), *(levels or [])]
    c = [pl.col(x) for x in cols]
    aggs = [pl.len().alias("n"), pl.col(ROW).min().alias("row"), pl.col(ROW).max().alias("row_end")]
    for i, e in enumerate(c):
        aggs += [e.sum().alias(f"s{i}"), (e * e).sum().alias(f"q{i}")]
        aggs += [(e * c[j]).sum().alias(f"x{i}_{j}") for j in range(i + 1, len(c))]
        aggs += [e.min().alias(f"lo{i}"), e.max().alias(f"hi{i}")] if extrema else []
    return _agg(lf.select([*dict.fromkeys([*k, ROW, *cols])]).drop_nulls([*cols, *keys(by, per_step)]), k, aggs)


def flag_counts(lf: "pl.LazyFrame", pred: str, label: str, by: list[str] | None = None,
                per_step: bool = True) -> "pl.LazyFrame":
    """Per (group, step): tp, fp, fn, tn (flagged and bad read as >= 0.5), values not 0/1, and the rows
    of the first and last false positive and false negative."""
    import polars as pl

    k = keys(by, per_step)
    p, y = pl.col(pred) >= 0.5, pl.col(label) >= 0.5
    fp, fn = p & ~y, ~p & y
    aggs = [pl.len().alias("n"), (p & y).sum().alias("tp"), fp.sum().alias("fp"), fn.sum().alias("fn"),
            (~p & ~y).sum().alias("tn"),
            (~pl.col(pred).is_in([0.0, 1.0]) | ~pl.col(label).is_in([0.0, 1.0])).sum().alias("not_binary"),
            pl.col(ROW).min().alias("row"), pl.col(ROW).max().alias("row_end"),
            pl.col(ROW).filter(fp).min().alias("fp_row"), pl.col(ROW).filter(fp).max().alias("fp_row_end"),
            pl.col(ROW).filter(fn).min().alias("fn_row"), pl.col(ROW).filter(fn).max().alias("fn_row_end")]
    return _agg(lf.select([*k, ROW, pred, label]).drop_nulls([pred, label, *k]), k, aggs)


def combine(parts: "pl.DataFrame | list[pl.DataFrame]", by: list[str] | None = None,
            per_step: bool = True, levels: list[str] | None = None) -> "pl.DataFrame":
    """Aggregates of the union of disjoint shards (or of all groups when `by` is empty), sorted by step.
    Counts and sums add; `*row` columns and minima take the first, `*row_end` and maxima the last; lists of
    row numbers (`rows`) are joined."""
    import polars as pl

    df = pl.concat(parts, how="vertical_relaxed") if isinstance(parts, list) else parts
    k = [*keys(by, per_step), *(levels or [])]
    aggs = [pl.col(c).explode() if c == "rows" else
            pl.col(c).max() if c.endswith("row_end") or c.startswith("hi") else
            pl.col(c).min() if c.endswith("row") or c.startswith("lo") else pl.col(c).sum()
            for c in df.columns if c not in k and _AGGREGATE.fullmatch(c)]
    return df.group_by(k).agg(aggs).sort(k) if k else df.select(aggs)


PART_CELLS = 1_000_000   # cells one partition may have: a group-by holds ~0.7 KiB per cell while it streams
PART_SEED = 812


def distinct(lf: "pl.LazyFrame", cols: list[str]) -> "pl.LazyFrame":
    """About how many distinct combinations of `cols` (cells) there are: HyperLogLog, memory fixed."""
    import polars as pl

    return lf.select(pl.struct(cols).hash(seed=PART_SEED).approx_n_unique().cast(pl.Int64).alias("cells"))


def partitions(cells: int) -> int:
    """How many partitions keep each under PART_CELLS, for about `cells` cells (a quarter more: the estimate
    is approximate, and a hash splits unevenly)."""
    return max(1, -(-int(cells * 1.25) // PART_CELLS))


def partition_of(cols: list[str], parts: int) -> "pl.Expr":
    """A row's partition of `parts`: by a hash of `cols`, so that all rows of one value go together."""
    import polars as pl

    return pl.struct(cols).hash(seed=PART_SEED) % parts


def in_partition(cols: list[str], part: int, parts: int) -> "pl.Expr":
    """The rows of partition `part` of `parts` (`partition_of`)."""
    return partition_of(cols, parts) == part


def total(m: "pl.DataFrame", i: int) -> tuple[int, float, float]:
    """Row count, mean and standard deviation (ddof=1) of metric `i` over all steps of `m`."""
    n = int(m.get_column("n").sum())
    s, q = float(m.get_column(f"s{i}").sum()), float(m.get_column(f"q{i}").sum())
    if n < 2:
        return n, s / n if n else float("nan"), 0.0
    var = max(q - s * s / n, 0.0) / (n - 1)
    return n, s / n, var ** 0.5


def scatter(m: "pl.DataFrame", k: int, within: bool = False) -> np.ndarray:
    """Centred cross-product matrix of `k` metrics over all steps of `m`; `within`: of the deviations
    from each step's own means (what varies inside steps, not between them)."""
    n = m.get_column("n").to_numpy().astype(float)
    s = np.column_stack([m.get_column(f"s{i}").to_numpy() for i in range(k)]).astype(float)
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            x = m.get_column(f"q{i}" if i == j else f"x{i}_{j}").to_numpy().astype(float)
            v = float((x - s[:, i] * s[:, j] / n).sum()) if within else \
                float(x.sum() - s[:, i].sum() * s[:, j].sum() / n.sum())
            out[i, j] = out[j, i] = v
    return out


def corr(c: np.ndarray) -> np.ndarray:
    """Correlation matrix from a centred cross-product matrix (NaN where a metric does not vary)."""
    d = np.sqrt(np.clip(np.diag(c), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = c / np.outer(d, d)
    np.fill_diagonal(r, 1.0)
    r[~np.isfinite(r)] = np.nan
    return r


def deciles(m: "pl.DataFrame", first: bool) -> "pl.DataFrame":
    """The steps of the first (or last) tenth of the rows, in step order (whole steps: a step is not split)."""
    import polars as pl

    s = m.sort(STEP).with_columns(pl.col("n").cum_sum().alias("__end"))
    total_n = int(s.get_column("n").sum())
    pos = (pl.col("__end") - pl.col("n")) if first else (pl.col("__end") - 1)
    return s.filter((pos * 10 // total_n) == (0 if first else 9)).drop("__end")
