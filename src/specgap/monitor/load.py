"""Reading metric logs lazily with polars: files or globs, CSV / JSONL / Parquet, only the columns asked for.

Metric columns are cast to floats leniently (a non-numeric cell becomes missing and is counted),
so one bad value never stops a run; unreadable files and missing columns are input errors.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specgap.monitor.spec import Spec, SpecError

if TYPE_CHECKING:
    import polars as pl

ROW = "__row"     # 1-based row number across the files, for `line` in findings and the audit queue
STEP = "__step"   # the step column as a sortable number

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "ndjson", ".ndjson": "ndjson", ".json": "ndjson",
            ".parquet": "parquet", ".pq": "parquet"}


class LogError(ValueError):
    """A log that cannot be used as asked (exit 2)."""


@dataclass
class Log:
    frame: "pl.LazyFrame"        # the named columns (metrics as Float64), plus ROW and STEP
    raw: "pl.LazyFrame"          # the same columns as read, to count values the cast dropped
    label: str                   # what findings name as their path
    files: list[str]
    notes: list[str] = field(default_factory=list)


def is_url(path: str) -> bool:
    """`s3://`, `gs://`, `az://`, `https://`, `file://` ...: read by polars' own (cloud) readers."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) is not None


def expand(paths: list[str]) -> list[str]:
    """Files named or matched by globs, in order, without repeats; an unmatched name is an error.

    URLs are passed on as they are: polars expands their globs and reads them (credentials from the
    environment, as its cloud readers do), and a URL that matches nothing fails when read."""
    out: list[str] = []
    for p in paths:
        if is_url(p):
            out += [p] if p not in out else []
            continue
        hits = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        hits = [h for h in hits if Path(h).is_file()]
        if not hits:
            raise LogError(f"{p}: no such file" + (" (glob matched nothing)" if glob.has_magic(p) else ""))
        out += [h for h in hits if h not in out]
    return out


def _scan_one(path: str, needed: list[str], notes: list[str]) -> "pl.LazyFrame":
    import polars as pl

    fmt = _FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise LogError(f"{path}: unknown log format (expected .csv, .tsv, .jsonl, .ndjson, .json or .parquet)")
    if fmt == "ndjson" and _starts_with_bracket(path):
        return _read_json_array(path, needed)
    try:
        if fmt in {"csv", "tsv"}:
            # read as text and cast later: a stray "n/a" must not make a whole column unreadable
            lf = pl.scan_csv(path, separator="\t" if fmt == "tsv" else ",", infer_schema=False,
                             truncate_ragged_lines=True)
        elif fmt == "parquet":
            lf = pl.scan_parquet(path)
        else:
            lf = pl.scan_ndjson(path, infer_schema_length=10_000)
        schema = lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        if fmt == "ndjson":
            return _read_ndjson_leniently(path, needed, notes)
        raise LogError(f"{path}: cannot read as {fmt}: {_short(exc)}") from None
    missing = [c for c in needed if c not in schema.names()]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}; the log has: "
                       f"{', '.join(schema.names()[:40]) or '(no columns)'}")
    return lf.select(needed)


def _starts_with_bracket(path: str) -> bool:
    """A .json file holding one array of records (as evaluation tools often write) rather than JSON lines."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(b"[")


def _read_json_array(path: str, needed: list[str]) -> "pl.LazyFrame":
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise LogError(f"{path}: cannot read as a JSON array: {exc}") from None
    records = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
    if not records:
        raise LogError(f"{path}: a JSON array with no objects")
    return _records_frame(path, [{c: r.get(c) for c in needed} for r in records], needed)


def _read_ndjson_leniently(path: str, needed: list[str], notes: list[str]) -> "pl.LazyFrame":
    """Fallback for JSONL with malformed lines: parse line by line and skip what does not parse."""
    rows, bad = [], 0
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    bad += 1
                    continue
                if isinstance(obj, dict):
                    rows.append({c: obj.get(c) for c in needed})
                else:
                    bad += 1
    except OSError as exc:
        raise LogError(f"{path}: cannot read: {exc}") from None
    if not rows:
        raise LogError(f"{path}: no readable JSON object lines ({bad} malformed)")
    lf = _records_frame(path, rows, needed)
    if bad:
        notes.append(f"{path}: skipped {bad} malformed line(s)")
    return lf


def _records_frame(path: str, rows: list[dict], needed: list[str]) -> "pl.LazyFrame":
    import polars as pl

    present = {c for r in rows for c in r if r[c] is not None}
    missing = [c for c in needed if c not in present]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}")
    # stringify so mixed types in one column (3 and "3.0" and "bad") survive to the lenient cast
    data = {c: [None if r[c] is None else (r[c] if isinstance(r[c], str) else json.dumps(r[c]))
                for r in rows] for c in needed}
    return pl.DataFrame(data, schema={c: pl.Utf8 for c in needed}).lazy()


def read_error(log: Log, exc: Exception) -> LogError:
    """A failed read as one clear line: for CSV, the file and line where the text stops being CSV."""
    for path in log.files:
        fmt = _FORMATS.get(Path(path).suffix.lower())
        if fmt in {"csv", "tsv"}:
            where = _csv_problem(path, "\t" if fmt == "tsv" else ",")
            if where:
                return LogError(f"{path}: malformed {fmt.upper()}: {where}")
    return LogError(f"{log.label}: cannot read: {' '.join(str(exc).split())[:300]}")


def _csv_problem(path: str, sep: str) -> str | None:
    """The first record Python's strict CSV reader rejects, by the line it starts on."""
    import csv

    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=sep, strict=True)
            start = 1
            try:
                for _ in reader:
                    start = reader.line_num + 1
            except csv.Error as err:
                if "unexpected end of data" in str(err) or reader.line_num > start:
                    return (f"line {start}: a quoted field opens here and is not closed "
                            f"(it runs to the end of the file, line {reader.line_num})")
                if "expected after" in str(err):
                    return (f"line {start}: text follows the closing quote of a field (a quote inside a field must be "
                            "doubled, and the whole field quoted)")
                return f"line {start}: {' '.join(str(err).split())}"
    except OSError:
        return None
    return None


def _short(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()
    return msg[0][:300] if msg else type(exc).__name__


def numeric_columns(spec: Spec) -> list[str]:
    """Columns read as numbers (everything but text, group, session and step)."""
    text_like = {spec.text, spec.reference, spec.pair_text_a, spec.pair_text_b, spec.group, spec.session, spec.step,
                 spec.model, spec.prompt, spec.pair_model_a, spec.pair_model_b}
    return [c for c in spec.columns() if c not in text_like]


def open_log(paths: list[str], spec: Spec, row_offset: int = 0, window: tuple[int, int] | None = None) -> Log:
    """A lazy frame over every file, with the spec's columns checked and metric columns cast.

    Rows are numbered from `row_offset + 1` (a shard of a larger log starts where the one before ends).
    `window`: (first row, rows) of one file only, a batch of a large file (Parquet reads only its row groups)."""
    import polars as pl

    files = expand(paths)
    needed = spec.columns()
    if not needed:
        raise SpecError("no columns named: give --proxy/--truth, --self/--independent, --pred/--label, "
                        "or set them in [tool.specgap.monitor]")
    notes: list[str] = []
    frames = [_scan_one(f, needed, notes) for f in files]
    if window is not None:
        frames = [frames[0].slice(*window)]
    lf = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    raw = lf
    schema = lf.collect_schema()
    nums = numeric_columns(spec)
    strs = [c for c in needed if c not in nums and c != spec.step]
    lf = lf.with_columns(
        [_as_float(c, schema[c]) for c in nums] + [pl.col(c).cast(pl.Utf8, strict=False) for c in strs]
    ).with_row_index(ROW, offset=row_offset + 1)
    lf = lf.with_columns(_step_expr(lf, spec.step))
    label = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more)"
    return Log(frame=lf, raw=raw, label=label, files=files, notes=notes)


def _as_float(c: str, dtype: "pl.DataType") -> "pl.Expr":
    """A metric as Float64: booleans and "true"/"false" as 1/0; text, NaN and infinities as missing."""
    import polars as pl

    col = pl.col(c)
    if dtype.is_numeric() or dtype == pl.Boolean:
        v = col.cast(pl.Float64)
    else:
        s = col.cast(pl.Utf8, strict=False).str.strip_chars().str.to_lowercase()
        v = (pl.when(s.is_in(["true", "yes"])).then(1.0)
             .when(s.is_in(["false", "no"])).then(0.0)
             .otherwise(s.cast(pl.Float64, strict=False)))
    return pl.when(v.is_finite()).then(v).alias(c)


def _step_expr(lf: "pl.LazyFrame", step: str | None) -> "pl.Expr":
    """The step as a number: as is when numeric or a date, else the order of first appearance (versions)."""
    import polars as pl

    if step is None:
        return pl.col(ROW).cast(pl.Float64).alias(STEP)
    dtype = lf.collect_schema()[step]
    if dtype.is_numeric():
        return pl.col(step).cast(pl.Float64).alias(STEP)
    if dtype.is_temporal():
        return pl.col(step).to_physical().cast(pl.Float64).alias(STEP)
    as_num = pl.col(step).cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    # numbers written as text stay numbers; labels like "v1", "v2" keep the order they appear in
    first_seen = pl.col(ROW).min().over(step).rank("dense").cast(pl.Float64)
    return pl.when(as_num.is_not_null().all()).then(as_num).otherwise(first_seen).alias(STEP)


def step_order(frame: "pl.LazyFrame", step: str) -> "pl.LazyFrame":
    """Per label of a text step column, its first row: what orders labels, in parts that add up across shards
    (the first row of a label in the whole log is the least of its shards' first rows)."""
    import polars as pl

    return frame.group_by(pl.col(step).cast(pl.Utf8).alias(step)).agg(pl.col(ROW).min().alias("first"))


def step_from_order(order: "pl.DataFrame", step: str) -> "pl.Expr":
    """The step as a number from the labels' first rows (`step_order` of every shard): the same numbers as
    `_step_expr` gives on the whole log, as an expression each shard can apply."""
    import polars as pl

    o = order.group_by(step).agg(pl.col("first").min()).sort("first")
    labels = o.get_column(step)
    as_num = pl.col(step).cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    if labels.null_count() == 0 and labels.str.strip_chars().cast(pl.Float64, strict=False).null_count() == 0:
        return as_num.alias(STEP)
    rank = {v: float(i + 1) for i, v in enumerate(labels.to_list())}
    null_rank = rank.pop(None, None)
    mapped = pl.col(step).cast(pl.Utf8).replace_strict(rank, default=None, return_dtype=pl.Float64)
    return pl.when(pl.col(step).is_null()).then(pl.lit(null_rank, pl.Float64)).otherwise(mapped).alias(STEP)


def count_non_numeric(log: Log, spec: Spec, streaming: bool = False) -> dict[str, int]:
    """Per metric column, how many present values were not finite numbers (made missing by the cast)."""
    import polars as pl

    schema = log.raw.collect_schema()
    # integer and boolean columns cast losslessly; float columns may hold NaN or infinities
    nums = [c for c in numeric_columns(spec) if not (schema[c].is_integer() or schema[c] == pl.Boolean)]
    if not nums:
        return {}
    row = log.raw.select(
        [(pl.col(c).is_not_null() & _as_float(c, schema[c]).is_null()).sum().alias(c) for c in nums]
    ).collect(**({"engine": "streaming"} if streaming else {})).row(0, named=True)
    return {c: int(n) for c, n in row.items() if n}
