"""Where results go as they come: a row per finding and a row per rollout, flushed as written,
so a killed run keeps everything it wrote; `done_keys` reads a results file back for `--resume`.

JSONL: one file, a line per row, flushed after each rollout (a cut last line is ignored on
resume). Parquet: a directory of part files, one per batch of rollouts (a Parquet file is only
readable once closed, so each part is closed as soon as it is full).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Protocol

from specgap.run.evaluate import RolloutOutcome

PARQUET_PART_ROLLOUTS = 2000


def finding_rows(outcome: RolloutOutcome) -> list[dict[str, Any]]:
    return [{"type": "finding", "source": outcome.source, "index": outcome.index, **f.to_dict(),
             "rollout_id": outcome.rollout_id, "model": outcome.model, "run": outcome.run, "step": outcome.step,
             "reward": outcome.reward} for f in outcome.findings]


def key(source: str, index: int) -> str:
    return f"{source}\0{index}"


class Sink(Protocol):
    def write(self, outcome: RolloutOutcome) -> None: ...
    def close(self) -> None: ...


class JsonlSink:
    def __init__(self, path: Path, *, append: bool) -> None:
        if append and path.exists():
            _trim(path)
        self.stream = open(path, "a" if append else "w", encoding="utf-8")

    def write(self, outcome: RolloutOutcome) -> None:
        for row in finding_rows(outcome) + [outcome.row()]:  # the rollout row last: it marks the rollout done
            self.stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()


class ParquetSink:
    def __init__(self, path: Path, *, append: bool) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.part = len(list(path.glob("part-*.parquet"))) if append else 0
        if not append:
            for old in path.glob("part-*.parquet"):
                old.unlink()
        self.findings: list[dict[str, Any]] = []
        self.rollouts: list[dict[str, Any]] = []

    def write(self, outcome: RolloutOutcome) -> None:
        self.findings.extend(finding_rows(outcome))
        self.rollouts.append(outcome.row())
        if len(self.rollouts) >= PARQUET_PART_ROLLOUTS:
            self.flush()

    def flush(self) -> None:
        import polars as pl

        if not self.rollouts:
            return
        rows = [{**r, "by_severity": json.dumps(r["by_severity"]), "rules": ",".join(r["rules"]),
                 "errors": "\n".join(r["errors"])} for r in self.rollouts]
        rows += [{**f, "stats": None, "by_severity": None, "rules": f["rule_id"], "errors": None} for f in self.findings]
        frame = pl.DataFrame([{k: (str(v) if isinstance(v, (dict, list)) else v) for k, v in r.items()} for r in rows],
                             infer_schema_length=None)
        tmp = self.path / f".part-{self.part:05d}.tmp"
        frame.write_parquet(tmp)
        tmp.rename(self.path / f"part-{self.part:05d}.parquet")  # whole parts only, even if killed mid-write
        self.part += 1
        self.findings, self.rollouts = [], []

    def close(self) -> None:
        self.flush()


def _trim(path: Path) -> None:
    """Cut a killed run's tail: rows after the last complete rollout row (its rollout's row was
    never written, so that rollout is evaluated again) and any half-written line."""
    keep = 0
    with open(path, "rb") as f:
        offset = 0
        for line in f:
            offset += len(line)
            if line.endswith(b"\n"):
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and row.get("type") == "rollout":
                    keep = offset
    with open(path, "r+b") as f:
        f.truncate(keep)


def open_sink(path: Path, *, append: bool) -> Sink:
    return ParquetSink(path, append=append) if path.suffix == ".parquet" else JsonlSink(path, append=append)


def done_keys(path: Path) -> set[str]:
    """(source, index) keys of the rollouts a results file already holds."""
    if not path.exists():
        return set()
    if path.is_dir():
        import polars as pl

        parts = sorted(path.glob("part-*.parquet"))
        if not parts:
            return set()
        frame = pl.concat([pl.read_parquet(p, columns=["type", "source", "index"]) for p in parts])
        return {key(s, i) for t, s, i in frame.iter_rows() if t == "rollout"}
    out: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # the line a killed run was writing
            if isinstance(row, dict) and row.get("type") == "rollout":
                out.add(key(str(row.get("source")), int(row.get("index") or 0)))
    return out


def rows(path: Path) -> Iterable[dict[str, Any]]:
    """Every row of a results file (tests and tools read results back with this)."""
    if path.is_dir():
        import polars as pl

        for part in sorted(path.glob("part-*.parquet")):
            yield from pl.read_parquet(part).iter_rows(named=True)
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
