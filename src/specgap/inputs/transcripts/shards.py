"""Shards of many rollouts: JSONL (a record per line) and Parquet (a row per rollout, with a
messages column or prompt / completion columns). Both are read in slices, never whole.

A record's format is recognised per record (chat messages, an OpenHands event list, a
mini-swe-agent or SWE-agent trajectory, an Inspect sample), so one shard may mix them.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

from specgap.inputs.transcripts import chat, code, inspect_log, openhands, swe_agent
from specgap.inputs.transcripts.build import Builder, take_metadata
from specgap.rollout import Rollout, RolloutError

MAX_LINE_BYTES = 64 * 1024 * 1024
PARQUET_SLICE = 512
_ID_KEYS = ("id", "rollout_id", "uid", "uuid", "instance_id", "sample_id")


def record_rollout(record: Any, source: str, index: int) -> Rollout | RolloutError:
    rid = f"{source}:{index}"
    if isinstance(record, dict):
        own = next((record[k] for k in _ID_KEYS if isinstance(record.get(k), (str, int)) and not isinstance(record.get(k), bool)), None)
        if own is not None:
            rid = str(own)
    if swe_agent.is_traj(record):
        return swe_agent.traj_rollout(record, source, index)
    if swe_agent.is_mini(record):
        return swe_agent.mini_rollout(record, source, index)
    if openhands.events_of(record) is not None:
        return openhands.rollout(record, source, index)
    if isinstance(record, dict) and isinstance(record.get("messages"), list) and "epoch" in record and "scores" in record:
        return inspect_log.sample_rollout(record, {}, source, index)
    if chat.is_record(record):
        return chat.rollout(record, rid, source, index)
    turns = code.record_turns(record)
    if turns:  # other output records (`code_outputs`, `completion` beside a `task` ...), as scan --files reads them
        return _loose(record, turns, rid, source, index)
    return RolloutError(source, index, "not a recognisable rollout (no chat messages, events or trajectory)")


_REASONING_KEYS = ("cot_traces", "cot", "reasoning", "thoughts", "thinking", "chain_of_thought")
_SIDES = {"agent": "assistant", "prompt": "user", "other": "tool"}


def _reasoning(record: Any, depth: int = 0) -> str:
    if not isinstance(record, dict) or depth > 2:
        return ""
    for k in _REASONING_KEYS:
        v = record.get(k)
        if isinstance(v, str):
            return v
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return "\n".join(v)
    return next((r for v in record.values() if (r := _reasoning(v, depth + 1))), "")


def _loose(record: Any, turns: list[code.Turn], rid: str, source: str, index: int) -> Rollout:
    r = Rollout(id=rid, source=source, index=index, format="record")
    if isinstance(record, dict):
        take_metadata(r, record)
    b = Builder(r)
    thought = _reasoning(record)
    for t in turns:
        turn = b.turn(_SIDES[t.side], t.text, reasoning=thought if t.side == "agent" else "")
        thought = "" if t.side == "agent" else thought
        for args in t.tools:
            b.call(turn, "tool", args)
    return b.finish()


def jsonl_lines(stream: BinaryIO, source: str) -> Iterator[tuple[int, bytes | RolloutError]]:
    """(line number, bytes) of each non-blank line; a line over MAX_LINE_BYTES is an error, skipped
    without holding it in memory."""
    n = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # drain the rest of the long line
                rest = stream.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield n, RolloutError(source, n, f"line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; not read")
            continue
        if line.strip():
            yield n, line


def read_parquet(path: str, source: str) -> Iterator[Rollout | RolloutError]:
    import polars as pl

    try:
        frame = pl.scan_parquet(path)
        total = frame.select(pl.len()).collect().item()
    except Exception as exc:  # polars raises its own errors for corrupt files
        yield RolloutError(source, None, f"unreadable Parquet: {type(exc).__name__}: {exc}")
        return
    for start in range(0, total, PARQUET_SLICE):
        try:
            rows = frame.slice(start, PARQUET_SLICE).collect().iter_rows(named=True)
            for i, row in enumerate(rows, start):
                yield record_rollout(row, source, i)
        except Exception as exc:
            yield RolloutError(source, start, f"unreadable Parquet rows {start}..{start + PARQUET_SLICE - 1}: {exc}")
