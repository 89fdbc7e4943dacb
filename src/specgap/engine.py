"""Evaluate one unit of work: `evaluate(unit, rules) -> Outcome`.

A unit is a `ChangeSet` (picklable: no closures, no open handles), so it can be evaluated in this
process, in a worker of a pool or on another machine. Evaluation selects nothing and reads nothing:
it runs the rules it is given, scopes findings to what the change wrote, honours the suppressions
that were already there, drops per-file ignores and baselined findings, sorts and fingerprints.
Loading, config, baselines and pools live in `specgap.run`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

from specgap.analysis.context import context
from specgap.analysis.context import release as release_tree
from specgap.inputs.roles import matches_any
from specgap.model import ChangedFile, ChangeSet, Finding, InputError
from specgap.rules.base import Rule
from specgap.rules.suppressions import Honoured, UnusedSuppression

_WS = re.compile(r"\s+")
BASELINE_VERSION = 1


def fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Line-free identity of a finding: rule, path and the normalized evidence (and which repeat)."""
    norm = _WS.sub(" ", f.evidence).strip()
    h = hashlib.sha256(f"{f.rule_id}\0{f.path}\0{norm}\0{occurrence}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def with_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, _WS.sub(" ", f.evidence).strip())
        out.append(replace(f, fingerprint=fingerprint(f, seen[key])))
        seen[key] += 1
    return out


_FULL_ID = re.compile(r"^SG\d{3,4}$")


def matches(rule_id: str, selectors: Iterable[str]) -> bool:
    """Whether a rule id is named by any selector: a whole id, or a prefix read by family.

    A rule's family is its id without the last two digits (SG4 for SG402, SG11 for SG1102). A
    prefix as long as a family names that family and no other: `SG1` is SG101-SG199, not SG10xx
    or SG11xx. A longer one narrows within a family (`SG40`: SG401-SG409) unless it is a family
    itself (`SG11` is SG11xx, not SG110-SG119). A whole id names only itself; `SG` names all."""
    return any(_names(s, rule_id) for s in selectors)


def _names(selector: str, rule_id: str) -> bool:
    if selector == rule_id:
        return True
    if _FULL_ID.match(selector) or not rule_id.startswith(selector):
        return False
    digits, family = selector[2:], rule_id[2:-2]
    if len(digits) <= len(family):
        return digits in ("", family)
    return digits not in _families()


@functools.lru_cache(maxsize=1)
def _families() -> frozenset[str]:
    from specgap.rules import all_rules

    return frozenset(r.id[2:-2] for r in all_rules())


def select_rules(rules: Iterable[type[Rule]], select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[type[Rule]]:
    """The rules named by `select` (all when empty) and not by `ignore`."""
    sel, ign = tuple(select), tuple(ignore)
    return [r for r in rules if (not sel or matches(r.id, sel)) and not matches(r.id, ign)]


@dataclass
class Outcome:
    """What evaluating a unit gave: reported findings, and those left out (and why); `errors` are
    the unit's input errors followed by any rule that crashed."""

    findings: list[Finding]
    suppressed: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)     # by per-file-ignores
    baselined: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def container_of(path: str) -> str:
    """`run.md::tests/test_x.py` -> `run.md`; plain repo paths share the container `""`."""
    return path.rsplit("::", 1)[0] if "::" in path else ""


@dataclass
class _ContainerContext:
    """The context files of one container (a picklable stand-in for a filtering closure)."""

    whole: ChangeSet
    key: str

    def __call__(self) -> list[ChangedFile]:
        return [c for c in self.whole.context_files() if container_of(c.path) == self.key]


def split_containers(changeset: ChangeSet) -> list[ChangeSet]:
    """One change per container: each transcript in a scan of many is a separate agent's work, so
    cross-file rules (moved tests, prompt tests for special cases) must not mix them up."""
    keys = sorted({container_of(cf.path) for cf in changeset.files})
    if len(keys) <= 1:
        return [changeset]
    return [
        ChangeSet(
            files=[cf for cf in changeset.files if container_of(cf.path) == key],
            errors=changeset.errors,  # shared: what a rule reports lands in the scan's errors
            source=changeset.source,
            context_loader=_ContainerContext(changeset, key),
            tree_scan=changeset.tree_scan,
        )
        for key in keys
    ]


def file_local(rule: type[Rule]) -> bool:
    """Whether a rule judges each file on its own (it keeps `Rule.check`, which hands it one file at
    a time); such a rule gives the same findings on any split of a change into parts."""
    return rule.check is Rule.check


@dataclass
class RuleRun:
    """One rule's raw findings on a unit (before scoping and suppressions), and its crash if any."""

    rule_id: str
    findings: list[Finding]
    error: InputError | None = None


def collect(unit: ChangeSet, rules: Iterable[type[Rule]], *, noting: Iterable[type[Rule]] = (),
            seen: bool = False) -> list[RuleRun]:
    """Run each rule over the unit, in order; a rule that crashes keeps what it found before the
    crash and the others still run. (The one place the engine calls into the rules.)

    Rules that judge one file at a time run file by file, so each file's analysis is built and
    read by all of them while it is fresh in memory. For a part of a change evaluated apart,
    `noting` are rules that read across files: each file is only asked of them (`Rule.keeps`:
    their notes stay on the unit's files), the rules themselves are not run. `seen`: that pass
    over the files was made already (by the parts); run only the rules that read across files.
    """
    rules, noting = tuple(rules), tuple(noting)
    found, errors = _collect(split_containers(unit), rules, noting, seen)
    # (then one run per noting rule: no findings, and the crash of its `keeps` if it had one)
    return [RuleRun(r.id, found[i] if i < len(rules) else [], errors[i]) for i, r in enumerate(rules + noting)]


@dataclass(frozen=True)
class _Plan:
    """How `_collect` runs a list of rules, worked out once per list (a stream of rollouts runs the
    same list millions of times)."""

    local: list[int]  # the file-local rules, by position
    # most rules only read the parsed module (`check_module`): called directly with the file's
    # analysis, without `Rule.check_file`'s generator around it (rules x files calls add up)
    modular: list[bool]
    screened: list[bool]  # whether the rule has a text pre-check (`mentions`); half of them have none
    cross: list[int]  # the others
    added: list[bool]  # whether each rule's findings are kept only on lines the change wrote
    by_role: dict[object, list[int]]  # the file-local rules of each role, filled as roles come

    def todo(self, role: object, rules: tuple[type[Rule], ...]) -> list[int]:
        found = self.by_role.get(role)
        if found is None:
            found = self.by_role[role] = [i for i in self.local if role in rules[i].roles]
        return found


@functools.lru_cache(maxsize=8)
def _plan(rules: tuple[type[Rule], ...]) -> _Plan:
    local = [i for i, r in enumerate(rules) if file_local(r)]
    cross = [i for i in range(len(rules)) if i not in local]
    return _Plan(local, [r.check_file is Rule.check_file for r in rules], [r.mentions is not None for r in rules], cross,
                 [r.scope == "added" for r in rules], {})


@dataclass(frozen=True)
class _Rules:
    """A rule list split for `evaluate`: the late ones judge the others' results."""

    early: tuple[type[Rule], ...]
    late: tuple[type[Rule], ...]
    ids: frozenset[str]  # every rule that ran


@functools.lru_cache(maxsize=8)
def _split(rules: tuple[type[Rule], ...]) -> _Rules:
    return _Rules(tuple(r for r in rules if not runs_late(r)), tuple(r for r in rules if runs_late(r)),
                  frozenset(r.id for r in rules))


def _collect(containers: list[ChangeSet], rules: tuple[type[Rule], ...], noting: tuple[type[Rule], ...] = (),
             seen: bool = False) -> tuple[list[list[Finding]], list[InputError | None]]:
    """Each rule's raw findings, and its crash if any, by position (see `collect`; the errors go on
    with those of the noting rules)."""
    instances = [r() for r in rules + noting]
    found: list[list[Finding]] = [[] for _ in rules]
    errors: list[InputError | None] = [None] * len(instances)
    plan = _plan(tuple(rules))
    modular, screened = plan.modular, plan.screened
    asked = plan.cross + list(range(len(rules), len(instances)))  # whose `keeps` each file is asked of
    for cs in containers if not seen else ():
        for cf in cs.files:
            if cf.binary:
                continue
            todo = plan.todo(cf.role, rules)
            after = cf.after
            tree = after.tree if after is not None else None
            ctx = None
            for i in todo:
                rule = instances[i]
                if errors[i] is None and (not screened[i] or rule._mentioned(cf)):
                    try:
                        if not modular[i]:
                            found[i].extend(rule.check_file(cf, cs))
                        elif tree is not None:
                            ctx = ctx or context(tree)
                            found[i].extend(rule.check_module(cf, ctx, cs))
                    except Exception as exc:  # a rule bug must not sink the scan; say so loudly instead
                        errors[i] = _crash(rule.id, exc)
            # a tree that can be parsed again is let go now, unless a cross-file rule will read it
            if tree is not None and after.reparsable and not _kept(cf, asked, instances, errors):  # type: ignore[union-attr]
                release_tree(tree)
                after.unload()  # type: ignore[union-attr]
    for i in plan.cross:
        rule = instances[i]
        try:
            for cs in containers:
                found[i].extend(rule.check(cs))
        except Exception as exc:
            errors[i] = _crash(rule.id, exc)
    return found, errors


def _kept(cf: ChangedFile, cross: list[int], instances: list[Rule], errors: list[InputError | None]) -> bool:
    """Whether a cross-file rule says it will read the file's tree (a rule that crashes here
    keeps it: it would be parsed again when read, which costs time, not findings)."""
    keep = False
    for i in cross:
        if errors[i] is None:
            try:
                keep = instances[i].keeps(cf) or keep
            except Exception as exc:
                errors[i] = _crash(instances[i].id, exc)
                keep = True
    return keep


def _crash(rule_id: str, exc: Exception) -> InputError:
    tb = traceback.extract_tb(exc.__traceback__)[-1]
    return InputError(f"<rule {rule_id}>", f"internal error in rule {rule_id}: {exc!r} at {tb.filename}:{tb.lineno}")


def evaluate(
    unit: ChangeSet,
    rules: Iterable[type[Rule]],
    *,
    per_file_ignores: Iterable[tuple[str, Iterable[str]]] = (),
    baseline: frozenset[str] = frozenset(),
) -> Outcome:
    """Run `rules` on `unit`; findings are scoped, suppressed, filtered, sorted and fingerprinted.

    A rule that crashes is reported in the outcome's `errors` and the others still run.
    """
    split = _split(tuple(rules))
    found, errors = _collect(split_containers(unit), split.early)
    out = _finish(unit, split, found, errors, per_file_ignores, baseline)
    release(unit)
    return out


def release(unit: ChangeSet) -> None:
    """Let go of the analyses of a unit's files once it is evaluated (they are built again if
    anyone asks), so a dropped unit is freed at once instead of by the garbage collector."""
    files = unit.files + (unit._context or [])
    for cf in files:
        for side in (cf.before, cf.after):
            tree = side.parsed if side is not None else None
            if tree is not None:
                release_tree(tree)
                side.unload()  # type: ignore[union-attr]


@functools.lru_cache(maxsize=None)  # asked of every rule for every unit (each of millions of rollouts)
def runs_late(rule: type[Rule]) -> bool:
    return issubclass(rule, UnusedSuppression)  # it judges the others' results


def finish(
    unit: ChangeSet,
    rules: list[type[Rule]],
    runs: list[RuleRun],
    *,
    per_file_ignores: Iterable[tuple[str, Iterable[str]]] = (),
    baseline: frozenset[str] = frozenset(),
) -> Outcome:
    """The outcome of `runs` (the raw results of `rules` other than the late ones, in order)."""
    return _finish(unit, _split(tuple(rules)), [r.findings for r in runs], [r.error for r in runs],
                   per_file_ignores, baseline)


def _finish(unit: ChangeSet, rules: _Rules, found: list[list[Finding]], errors: list[InputError | None],
            per_file_ignores: Iterable[tuple[str, Iterable[str]]], baseline: frozenset[str]) -> Outcome:
    added = _plan(rules.early).added
    by_path: dict[str, ChangedFile] | None = None
    honoured = Honoured(unit)
    scoped: list[Finding] = []
    suppressed: list[Finding] = []
    for i, fs in enumerate(found):
        if fs:
            by_path = by_path if by_path is not None else {cf.path: cf for cf in unit.files}
            for f in fs:
                cf = by_path.get(f.path)
                in_scope = not added[i] or cf is None or cf.touches(f.line, f.end_line)
                # matched even when out of scope, so a suppression on an old line counts as used
                if honoured.match(f):
                    if in_scope:
                        suppressed.append(f)
                elif in_scope:
                    scoped.append(f)
        if errors[i] is not None:
            unit.errors.append(errors[i])  # type: ignore[arg-type]
    for rule_cls in rules.late:
        rule = rule_cls()
        try:
            scoped.extend(rule.unused(unit, honoured.used, rules.ids))  # type: ignore[attr-defined]
        except Exception as exc:  # as in `collect`
            unit.errors.append(_crash(rule.id, exc))
    scoped.sort(key=lambda f: (f.path, f.line, f.rule_id, f.end_line))
    out = Outcome(findings=[], suppressed=suppressed)
    pfi = [(glob, tuple(ids)) for glob, ids in per_file_ignores]
    for f in with_fingerprints(_dedupe(scoped)):
        if any(matches(f.rule_id, ids) and matches_any(f.path, [glob]) for glob, ids in pfi):
            out.ignored.append(f)
        elif f.fingerprint in baseline:
            out.baselined.append(f)
        else:
            out.findings.append(f)
    out.errors = list(unit.errors)
    return out


def run_rules(changeset: ChangeSet, rules: Iterable[type[Rule]]) -> list[Finding]:
    """Every finding of `rules` on `changeset`, scoped, suppressed, sorted and fingerprinted."""
    return evaluate(changeset, rules).findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
