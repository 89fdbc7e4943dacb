"""Per-step moments: the aggregate the step checks (SG801-SG803) run on, whatever the engine.

For each step (and group) of a log: the row count, the sums, sums of squares and cross-products of
the metric columns, and the first and last row. Moments of disjoint shards add up, so one machine
streams them with polars (`collect(engine="streaming")`, memory flat in the number of rows) and Ray
computes them per shard with this same code and sums the parts (`combine`). Means, standard deviations
and correlations over any set of steps follow exactly from the sums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specgap.monitor.load import ROW, STEP

if TYPE_CHECKING:
    import polars as pl


def moments(lf: "pl.LazyFrame", cols: list[str], by: list[str] | None = None) -> "pl.LazyFrame":
    """Per (group, step): n, sums s_i, sums of squares q_i, cross-products x_ij of rows where all `cols` exist."""
    import polars as pl

    keys = [*(by or []), STEP]
    c = [pl.col(x) for x in cols]
    aggs = [pl.len().alias("n"), pl.col(ROW).min().alias("row"), pl.col(ROW).max().alias("row_end")]
    for i, e in enumerate(c):
        aggs += [e.sum().alias(f"s{i}"), (e * e).sum().alias(f"q{i}")]
        aggs += [(e * c[j]).sum().alias(f"x{i}_{j}") for j in range(i + 1, len(c))]
    return lf.select([*keys, ROW, *cols]).drop_nulls([*cols, STEP]).group_by(keys).agg(aggs)


def combine(parts: "pl.DataFrame | list[pl.DataFrame]", by: list[str] | None = None) -> "pl.DataFrame":
    """Moments of the union of disjoint shards (or of all groups when `by` is empty), sorted by step."""
    import polars as pl

    df = pl.concat(parts) if isinstance(parts, list) else parts
    keys = [*(by or []), STEP]
    sums = [c for c in df.columns if c[0] in "sqxn" and c not in keys]
    return (df.group_by(keys).agg([pl.col(c).sum() for c in sums]
                                  + [pl.col("row").min(), pl.col("row_end").max()]).sort(keys))


def total(m: "pl.DataFrame", i: int) -> tuple[int, float, float]:
    """Row count, mean and standard deviation (ddof=1) of metric `i` over all steps of `m`."""
    n = int(m.get_column("n").sum())
    s, q = float(m.get_column(f"s{i}").sum()), float(m.get_column(f"q{i}").sum())
    if n < 2:
        return n, s / n if n else float("nan"), 0.0
    var = max(q - s * s / n, 0.0) / (n - 1)
    return n, s / n, var ** 0.5
