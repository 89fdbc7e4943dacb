"""The audit queue: the examples where the proxy and the truth disagree most, to review first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from specgap.monitor.load import ROW
from specgap.monitor.spec import Spec

if TYPE_CHECKING:
    import polars as pl


def queue(df: "pl.DataFrame", spec: Spec, size: int) -> "pl.DataFrame | None":
    """Rows ranked by disagreement: proxy percentile minus truth percentile (or self minus independent).

    Percentiles put the two metrics on one scale without assuming how they relate.
    """
    import polars as pl

    if spec.proxy and spec.truth:
        hi, lo = spec.proxy[0], spec.truth[0]
    elif spec.self_rating and spec.independent:
        hi, lo = spec.self_rating, spec.independent
    else:
        return None
    d = df.drop_nulls([hi, lo])
    if d.height == 0:
        return None
    pct = lambda c: (pl.col(c).rank("average") - 0.5) / pl.len()  # noqa: E731
    keep = [c for c in [ROW, spec.step, spec.group, spec.session, spec.text, spec.reference, hi, lo] if c]
    return (d.with_columns((pct(hi) - pct(lo)).alias("disagreement"))
            .top_k(size, by="disagreement").sort("disagreement", descending=True)
            .select([*dict.fromkeys(keep), "disagreement"]).rename({ROW: "row"}))


def write(q: "pl.DataFrame", path: str) -> None:
    """CSV for a .csv name, JSON lines otherwise."""
    if Path(path).suffix.lower() == ".csv":
        q.write_csv(path)
    else:
        q.write_ndjson(path)
