"""The audit queue: the examples where the proxy and the truth disagree most, to review first.

Disagreement is the proxy's percentile minus the truth's (average ranks: ties share one), which puts
the two metrics on one scale without assuming how they relate. It is computed from aggregates that
add up across shards, as the checks are: the count of rows per value of each metric (`values`), then
each shard's rows of largest disagreement (`top`), of which the largest are kept. Up to EXACT_ROWS
rows the percentiles are those of the rows; above, the values are counted rounded to DIGITS
significant digits, so rows within a rounding step share a percentile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from specgap.monitor.load import ROW
from specgap.monitor.spec import Spec

if TYPE_CHECKING:
    import polars as pl

EXACT_ROWS = 2_000_000
DIGITS = 4
PCT = "__pct"


def columns(spec: Spec) -> tuple[str, str] | None:
    """The two metrics compared: proxy and truth, or self-rating and independent rating."""
    if spec.proxy and spec.truth:
        return spec.proxy[0], spec.truth[0]
    if spec.self_rating and spec.independent:
        return spec.self_rating, spec.independent
    return None


def _key(col: str, rows: int) -> "pl.Expr":
    import polars as pl

    return pl.col(col).round_sig_figs(DIGITS) if rows > EXACT_ROWS else pl.col(col)


def values(frame: "pl.LazyFrame", hi: str, lo: str, col: str, rows: int) -> "pl.LazyFrame":
    """Rows per value of `col` among the rows where both metrics exist."""
    import polars as pl

    return frame.drop_nulls([hi, lo]).group_by(_key(col, rows).alias(col)).agg(pl.len().alias("n"))


def percentiles(counts: "pl.DataFrame", col: str) -> "pl.DataFrame":
    """Each value's average-rank percentile, (rows below + half the rows equal) / rows, from its counts
    (summed over shards)."""
    import polars as pl

    c = counts.group_by(col).agg(pl.col("n").sum()).sort(col)
    total = c.get_column("n").sum()
    return c.select(col, ((pl.col("n").cum_sum() - pl.col("n") / 2) / total).alias(PCT))


def top(frame: "pl.LazyFrame", spec: Spec, pct_hi: "pl.DataFrame", pct_lo: "pl.DataFrame", rows: int,
        size: int) -> "pl.LazyFrame":
    """The `size` rows of largest disagreement in `frame` (a shard, or the whole log)."""
    import polars as pl

    hi, lo = columns(spec)  # type: ignore[misc]
    keep = [c for c in [ROW, spec.step, spec.group, spec.session, spec.text, spec.reference, hi, lo] if c]
    d = frame.drop_nulls([hi, lo]).select(*dict.fromkeys(keep))
    for col, pct, name in ((hi, pct_hi, "__p_hi"), (lo, pct_lo, "__p_lo")):
        d = d.with_columns(_key(col, rows).alias(f"__k_{name}")).join(
            pct.lazy().rename({col: f"__k_{name}", PCT: name}), on=f"__k_{name}", how="left")
    return (d.with_columns((pl.col("__p_hi") - pl.col("__p_lo")).alias("disagreement"))
            .sort(["disagreement", ROW], descending=[True, False]).head(size)
            .select([*dict.fromkeys(keep), "disagreement"]))


def finish(parts: "pl.DataFrame", size: int) -> "pl.DataFrame":
    """The largest of the shards' tops, largest disagreement first (ties in log order)."""
    return parts.sort(["disagreement", ROW], descending=[True, False]).head(size).rename({ROW: "row"})


def queue(df: "pl.DataFrame", spec: Spec, size: int) -> "pl.DataFrame | None":
    """The audit queue of a log in memory (the same steps as from shards)."""
    cols = columns(spec)
    if cols is None:
        return None
    hi, lo = cols
    if df.drop_nulls([hi, lo]).height == 0:
        return None
    lf = df.lazy()
    p_hi, p_lo = (percentiles(values(lf, hi, lo, c, df.height).collect(), c) for c in (hi, lo))
    return finish(top(lf, spec, p_hi, p_lo, df.height, size).collect(), size)


def write(q: "pl.DataFrame", path: str) -> None:
    """CSV for a .csv name, JSON lines otherwise."""
    if Path(path).suffix.lower() == ".csv":
        q.write_csv(path)
    else:
        q.write_ndjson(path)
