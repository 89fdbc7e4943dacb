"""The local engine: rollouts read in slices and evaluated in a process pool over all cores.

The main process only splits the input into tasks (a file, or a slice of a JSONL shard's lines,
read as it goes) and writes outcomes; workers parse and evaluate, with the rules loaded once per
worker. At most a few tasks per worker are in flight, so memory stays flat however large the
input.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from specgap import engine
from specgap.inputs import transcripts
from specgap.inputs.transcripts import shards
from specgap.rollout import Rollout, RolloutError
from specgap.rules import get_rule
from specgap.rules.base import Rule
from specgap.run.evaluate import RolloutOutcome, evaluate_rollout
from specgap.run.frozen import streaming, tune_for_stream
from specgap.run.judge import Judge, JudgeError
from specgap.run.sinks import key

SLICE = 256  # JSONL lines per task: big enough to amortise the hand-off, small enough to keep memory flat


@dataclass(frozen=True)
class Task:
    source: str
    fmt: str = "auto"
    lines: tuple[tuple[int, bytes], ...] | None = None  # a slice of a JSONL shard: (line number, bytes)


@dataclass(frozen=True)
class Rules:
    rollout: tuple[str, ...]
    file: tuple[str, ...]
    judge: Judge | None = None

    def load(self) -> tuple[list[type[Rule]], list[type[Rule]], Judge | None]:
        return [get_rule(r) for r in self.rollout], [get_rule(r) for r in self.file], self.judge  # type: ignore[misc]


def expand(paths: Sequence[str | Path]) -> Iterator[Path | RolloutError]:
    """Files named, found under directories (by transcript suffix), or matched by globs."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for found in sorted(f for f in path.rglob("*") if f.is_file() and f.name.lower().endswith(transcripts.SUFFIXES)):
                yield found
        elif path.exists():
            yield path
        elif any(c in str(p) for c in "*?["):
            matches = sorted(glob.glob(str(p), recursive=True))
            if not matches:
                yield RolloutError(str(p), None, "no file matches this pattern")
            for m in matches:
                if Path(m).is_file():
                    yield Path(m)
        else:
            yield RolloutError(str(p), None, "no such file or directory")


def tasks(paths: Sequence[str | Path], fmt: str, done: set[str]) -> Iterator[Task | RolloutError]:
    for path in expand(paths):
        if isinstance(path, RolloutError):
            yield path
            continue
        source = str(path)
        kind = fmt
        if fmt == "auto":
            try:
                with open(path, "rb") as f:
                    kind = transcripts.detect(f.read(65536))
            except OSError as exc:
                yield RolloutError(source, None, f"cannot read: {exc.strerror or exc}")
                continue
        if kind != "jsonl":
            yield Task(source, fmt)
            continue
        batch: list[tuple[int, bytes]] = []
        with open(path, "rb") as stream:
            for n, line in shards.jsonl_lines(stream, source):
                if isinstance(line, RolloutError):
                    yield line
                elif key(source, n) not in done:
                    batch.append((n, line))
                    if len(batch) >= SLICE:
                        yield Task(source, "jsonl", tuple(batch))
                        batch = []
        if batch:
            yield Task(source, "jsonl", tuple(batch))


def unreadable(err: RolloutError) -> RolloutOutcome:
    return RolloutOutcome(err.id, err.source, err.index or 0, errors=[err.message], unreadable=True)


def _items(task: Task) -> Iterator[Rollout | RolloutError]:
    if task.lines is None:
        yield from transcripts.read(task.source, task.fmt)
        return
    for n, line in task.lines:
        try:
            record = json.loads(line.decode("utf-8", "replace").lstrip("\ufeff"))
        except (ValueError, RecursionError) as exc:
            yield RolloutError(task.source, n, f"line {n} is not valid JSON: {exc}")
            continue
        yield transcripts.guarded(shards.record_rollout, record, task.source, n)


def run_task(task: Task, rollout_rules: list[type[Rule]], file_rules: list[type[Rule]],
             judge: Judge | None = None) -> list[RolloutOutcome]:
    out = []
    for item in _items(task):
        if isinstance(item, RolloutError):
            out.append(unreadable(item))
            continue
        try:
            outcome = evaluate_rollout(item, rollout_rules, file_rules)
        except RecursionError:
            out.append(unreadable(RolloutError(item.source, item.index, "nested too deeply to evaluate")))
            continue
        if judge is not None:
            _ask(judge, item, outcome)
        out.append(outcome)
    return out


def _ask(judge: Judge, rollout: Rollout, outcome: RolloutOutcome) -> None:
    try:
        found, outcome.judge = judge.ask(rollout)
    except JudgeError as exc:
        outcome.errors.append(str(exc))
        outcome.judge = {"calls": 1, "errors": 1}
        return
    outcome.findings.extend(replace(f, fingerprint=engine.fingerprint(replace(f, path=f"{rollout.id}\0{f.path}")))
                            for f in found)


_WORKER_RULES: tuple[list[type[Rule]], list[type[Rule]], Judge | None] | None = None


def _init(rules: Rules) -> None:
    global _WORKER_RULES
    _WORKER_RULES = rules.load()
    tune_for_stream()


def _work(task: Task) -> list[RolloutOutcome]:
    assert _WORKER_RULES is not None
    return run_task(task, *_WORKER_RULES)


def emitter(done: set[str], on_outcome: Callable[[RolloutOutcome], None]) -> Callable[[Iterable[RolloutOutcome]], None]:
    """Hand outcomes on, leaving out those a resumed run already has."""
    def emit(outcomes: Iterable[RolloutOutcome]) -> None:
        for o in outcomes:
            if key(o.source, o.index) not in done:
                on_outcome(o)
    return emit


def run(paths: Sequence[str | Path], rules: Rules, *, fmt: str = "auto", jobs: int | None = None,
        done: set[str] | None = None, on_outcome: Callable[[RolloutOutcome], None]) -> None:
    """Evaluate every rollout under `paths`; `on_outcome` gets each as it is ready (any order).
    Rollouts whose (source, index) key is in `done` are skipped."""
    done = done or set()
    jobs = jobs or os.cpu_count() or 1
    emit = emitter(done, on_outcome)
    work = tasks(paths, fmt, done)
    if jobs == 1:
        loaded = rules.load()
        with streaming():
            for t in work:
                emit([unreadable(t)] if isinstance(t, RolloutError) else run_task(t, *loaded))
        return
    # fresh workers ("spawn"): forking while the progress bar's thread holds a lock can deadlock
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(rules,),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: set[Future[list[RolloutOutcome]]] = set()
        for t in work:
            if isinstance(t, RolloutError):
                emit([unreadable(t)])
                continue
            pending.add(pool.submit(_work, t))
            if len(pending) >= 2 * jobs:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    emit(fut.result())
        for fut in pending:
            emit(fut.result())
