"""Whole-tree scans in parts, evaluated in parallel, with the findings of a single process.

A rule that judges each file on its own (`engine.file_local`) runs in the workers, each on a part
of the files, and the workers note what the rules that read across files need of each file
(`Rule.keeps`); those rules then run here, on the whole change, with the notes. The raw results
are merged in rule order and finished once, on the whole change, exactly as `engine.evaluate`
would: same findings, same order, same fingerprints.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence, TypeVar

from specgap.engine import Outcome, RuleRun, collect, file_local, finish, release, runs_late
from specgap.inputs.changeset import OnDemand, RawFile, build
from specgap.inputs.files import Entry, load_entries
from specgap.inputs.roles import RoleConfig
from specgap.model import ChangeSet, InputError
from specgap.rules.base import Rule
from specgap.run.frozen import frozen
from specgap.run.pool import Backend, InProcess
from specgap.run.progress import bar

# Below this many files per part, starting a worker costs more than it saves.
MIN_PART_FILES = 48
PARTS_PER_JOB = 4  # smaller parts even out the load (files differ in size) and move the bar

T = TypeVar("T")


class Part(Protocol):
    def load(self, roles: RoleConfig | None) -> ChangeSet: ...


@dataclass(frozen=True)
class FilesPart:
    """Files and transcripts to read as written by the agent (`scan --files`)."""

    entries: tuple[Entry, ...]

    def load(self, roles: RoleConfig | None) -> ChangeSet:
        return load_entries(list(self.entries), roles, on_demand=True)


@dataclass(frozen=True)
class RawPart:
    """Files read already, before and after (`scan --trees`)."""

    raws: tuple[RawFile, ...]

    def load(self, roles: RoleConfig | None) -> ChangeSet:
        return build(list(self.raws), roles=roles)


@dataclass(frozen=True)
class _Job:
    part: Part
    roles: RoleConfig | None
    rules: tuple[type[Rule], ...]
    noting: tuple[type[Rule], ...]  # the rules that read across files: only asked what they need


@dataclass
class _Done:
    """A part's results: the file-local rules' runs (then one per noting rule, with the crash of
    its `keeps` if any), and for each of its files, in order: its path, what the noting rules
    noted, and how its Python parsed (error, partial) if it was read on demand."""

    runs: list[RuleRun]
    files: list[tuple[str, dict[str, Any], tuple[str | None, bool] | None]]


def _run(job: _Job) -> _Done:
    with frozen(lambda: job.part.load(job.roles), pause=True) as unit:
        runs = collect(unit, job.rules, noting=job.noting)
        files = [(cf.path, cf.after.notes if cf.after is not None else {},
                  (cf.after.error, cf.after.partial) if isinstance(cf.after, OnDemand) else None) for cf in unit.files]
    release(unit)
    return _Done(runs, files)


def split(items: Sequence[T], jobs: int) -> list[Sequence[T]]:
    """Consecutive slices of `items` for `jobs` workers; none (run whole) when too few to pay off."""
    n = min(jobs * PARTS_PER_JOB, len(items) // MIN_PART_FILES)
    if jobs < 2 or n < 2:
        return []
    size = -(-len(items) // n)
    return [items[i : i + size] for i in range(0, len(items), size)]


def evaluate_parts(
    load_whole: Callable[[], ChangeSet],
    parts: list[Part],
    rules: Iterable[type[Rule]],
    roles: RoleConfig | None,
    backend: Backend,
    *,
    per_file_ignores: Iterable[tuple[str, Iterable[str]]] = (),
    baseline: frozenset[str] = frozenset(),
) -> tuple[ChangeSet, Outcome]:
    """Load and evaluate a change split into `parts` (which together hold its files, in order)."""
    rules = list(rules)
    early = [r for r in rules if not runs_late(r)]
    local = tuple(r for r in early if file_local(r))
    whole_rules = tuple(r for r in early if not file_local(r))
    jobs = [_Job(p, roles, local, whole_rules) for p in parts]
    with bar(len(parts) + 1, f"scanning {len(parts)} parts") as advance:
        pending = backend.submit(_run, jobs, advance)
        # the workers parse every file and note what the cross-file rules need of it; this process
        # reads the files, and parses again only those the cross-file rules then read
        with frozen(load_whole, pause=True) as unit:
            try:
                per_part = pending.results()
            except BrokenProcessPool:  # a worker died (killed, out of memory): finish in this process
                per_part = InProcess().submit(_run, jobs, advance).results()
            seen = _adopt(unit, per_part)
            here = collect(unit, whole_rules, seen=seen)
        advance(1)
    merged = iter(_merge([d.runs[:len(local)] for d in per_part], len(local)))
    for d in per_part:  # a rule whose `keeps` failed in a part (it read the trees itself then)
        for run, noted in zip(here, d.runs[len(local):]):
            run.error = run.error or noted.error
    mine = iter(here)
    runs = [next(merged) if file_local(r) else next(mine) for r in early]
    out = finish(unit, rules, runs, per_file_ignores=per_file_ignores, baseline=baseline)
    release(unit)
    return unit, out


def _adopt(unit: ChangeSet, per_part: list[_Done]) -> bool:
    """Give the whole change's files what the parts learned of them: notes, and how each parsed
    (its failure reported here, in file order, as one process reports it). False if the parts'
    files are not the whole's, in order (then this process makes the pass over the files itself)."""
    done = [f for d in per_part for f in d.files]
    if [path for path, _, _ in done] != [cf.path for cf in unit.files]:
        return False
    for cf, (_, notes, parsed) in zip(unit.files, done):
        if parsed is not None and isinstance(cf.after, OnDemand):
            cf.after.notes.update(notes)
            cf.after.learn(*parsed)
            if parsed[0]:
                unit.errors.append(InputError(cf.path, parsed[0]))
    return True


def _merge(per_part: list[list[RuleRun]], n_rules: int) -> list[RuleRun]:
    """One run per rule over all parts, as one process would have seen it: a rule that crashed
    in a part contributes nothing from the parts after it (in one process, it would have stopped)."""
    out = []
    for i in range(n_rules):
        runs = [part[i] for part in per_part]
        merged = RuleRun(runs[0].rule_id, [])
        for run in runs:
            merged.findings.extend(run.findings)
            if run.error is not None:
                merged.error = run.error
                break
        out.append(merged)
    return out
