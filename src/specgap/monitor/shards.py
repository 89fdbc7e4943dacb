"""Aggregates on Ray Data, one shard per file: `specgap monitor --engine ray` (extra `specgap[ray]`).

Each Ray task opens its shard with the same reader as one machine does (`load.open_log`, rows numbered
from where the shard starts) and computes the same aggregate as one machine would (`aggregate.moments`,
`aggregate.flag_counts`, a check's cells, sample or top rows); the parts are combined
(`aggregate.combine` as they arrive, or joined), and the checks run on the result. Ray is started locally unless one is running
(`ray.init(address=...)` beforehand, or RAY_ADDRESS, connects to a cluster).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Callable, Iterator

from specgap.monitor.load import open_log
from specgap.monitor.spec import Spec, SpecError

if TYPE_CHECKING:
    import polars as pl


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SpecError("--engine ray needs Ray: pip install 'specgap[ray]'") from None
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    return ray


def row_counts(files: list[str], spec: Spec) -> list[int]:
    """Rows per file, streamed: where each shard's row numbers start."""
    import polars as pl

    return [int(open_log([f], spec).frame.select(pl.len()).collect(engine="streaming").item()) for f in files]


def aggregates(files: list[str], spec: Spec,
               part: Callable[["pl.LazyFrame"], "pl.LazyFrame"]) -> Iterator["pl.DataFrame"]:
    """`part` (a per-step aggregate of `aggregate`) of every file, computed per file on Ray Data and yielded
    as each arrives: the caller adds them up as they come (`run._gather`), so the driver holds the sum so far
    and a few shards' parts, not every shard's at once."""
    import polars as pl

    ray = _ray()
    counts = row_counts(files, spec)
    starts = [sum(counts[:i]) for i in range(len(files))]

    def shard(item: dict[str, Any]) -> list[dict[str, Any]]:
        lf = open_log([item["path"]], spec, row_offset=int(item["offset"])).frame
        # Arrow IPC keeps the column types, also where a shard has only nulls in a column
        return [{"part": part(lf).collect(engine="streaming").write_ipc(None).getvalue()}]

    # one block per file (from_items makes up to one block per item)
    ds = ray.data.from_items([{"path": f, "offset": o} for f, o in zip(files, starts)])
    for r in ds.flat_map(shard).iter_rows():
        yield pl.read_ipc(io.BytesIO(r["part"]))
