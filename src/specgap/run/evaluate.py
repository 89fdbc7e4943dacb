"""`evaluate_rollout(rollout, rules) -> RolloutOutcome`: pure, picklable in and out, no I/O.

Two kinds of rules read a rollout. Transcript rules (SG11xx) read what the agent did and said.
Scan rules read the files it left: each file the agent wrote, as it was when the agent first read
it against its final text, with the tests it was shown as context (so code fitted to those tests
is special-casing). A stated plan to game (SG1110) raises the confidence of the other findings
in the same rollout, and says so in their message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

from specgap import engine
from specgap.inputs.changeset import RawFile, build, context_file
from specgap.model import Confidence, Finding
from specgap.rollout import Rollout, RolloutFile
from specgap.rules.base import Rule

INTENT = "SG1110"
_UP = {Confidence.LOW: Confidence.MEDIUM, Confidence.MEDIUM: Confidence.HIGH, Confidence.HIGH: Confidence.HIGH}


@dataclass
class RolloutOutcome:
    """What one rollout yielded: its identity and metadata, its findings, and rule errors."""

    rollout_id: str
    source: str
    index: int
    format: str = ""
    model: str | None = None
    run: str | None = None
    step: int | None = None
    task_id: str | None = None
    reward: float | None = None
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unreadable: bool = False
    judge: dict[str, Any] | None = None  # the LLM judge's usage (calls, tokens, cost, errors), when asked

    def row(self) -> dict[str, Any]:
        """The per-rollout row of a results file: identity, metadata and counts."""
        by_sev: dict[str, int] = {}
        for f in self.findings:
            by_sev[f.severity.value] = by_sev.get(f.severity.value, 0) + 1
        return {"type": "rollout", "rollout_id": self.rollout_id, "source": self.source, "index": self.index,
                "format": self.format, "model": self.model, "run": self.run, "step": self.step,
                "task_id": self.task_id, "reward": self.reward, "findings": len(self.findings),
                "by_severity": by_sev, "rules": sorted({f.rule_id for f in self.findings}),
                "errors": self.errors, "unreadable": self.unreadable, "judge": self.judge}


def _raw(f: RolloutFile) -> RawFile:
    if f.known:
        return RawFile(f.path, f.first_read, f.final)
    # only the edited pieces are known: each is a hunk, like a diff read without its repository
    old = "\n".join(e.old or "" for e in f.edits)
    new = "\n".join(e.new for e in f.edits)
    return RawFile(f.path, old, new, hunk_lines=(frozenset(range(1, old.count("\n") + 2)),
                                                frozenset(range(1, new.count("\n") + 2))))


def _scan(raws: list[RawFile], context: Callable[[], list[Any]], rules: list[type[Rule]],
          errors: list[str]) -> list[Finding]:
    changeset = build(raws, errors=[])
    changeset.context_loader = context
    out = engine.evaluate(changeset, rules).findings
    errors.extend(f"{e.path}: {e.message}" for e in changeset.errors if e.path.startswith("<rule"))
    return out


def _file_findings(rollout: Rollout, rules: list[type[Rule]], errors: list[str]) -> list[Finding]:
    """Scan rules on the final files, then on each earlier version an edit left (a test weakened,
    run, and put back shows only there)."""
    written = [f for f in rollout.files.values() if f.written]
    if not written or not rules:
        return []
    # parsed when a rule first asks for the shown tests (most rollouts never need them), once for every version
    context = functools.cache(lambda: [cf for i, (_, text) in enumerate(rollout.shown_tests)
                                       for cf in [context_file(f"shown_tests_{i}.py", text, [])] if cf is not None])
    last = {f.path: f.edits[-1] for f in written if f.edits}
    found = [replace(f, rollout_id=rollout.id, turn=last[f.path].turn if f.path in last else None,
                     call_id=last[f.path].call_id if f.path in last else None)
             for f in _scan([_raw(f) for f in written], context, rules, errors)]
    seen = {(f.rule_id, f.path, " ".join(f.evidence.split())) for f in found}
    earlier = {f.path: [e for e in f.edits[:-1] if e.after is not None and e.after != f.final] for f in written}
    for k in range(max((len(v) for v in earlier.values()), default=0)):
        edits = {p: v[k] for p, v in earlier.items() if len(v) > k}
        by_path = {f.path: f for f in written}
        raws = [RawFile(p, by_path[p].first_read, e.after) for p, e in edits.items()]
        for f in _scan(raws, context, rules, errors):
            key = (f.rule_id, f.path, " ".join(f.evidence.split()))
            if key not in seen:
                seen.add(key)
                e = edits[f.path]
                found.append(replace(f, rollout_id=rollout.id, turn=e.turn, call_id=e.call_id,
                                     message=f"{f.message} (in the version edit at turn {e.turn} left; a later edit undid it)"))
    return found


def evaluate_rollout(rollout: Rollout, rollout_rules: Iterable[type[Rule]] | None = None,
                     file_rules: Iterable[type[Rule]] | None = None, *, select: Iterable[str] = (),
                     ignore: Iterable[str] = ()) -> RolloutOutcome:
    """Every finding on one rollout: the transcript rules and the scan rules on its files (by
    default all of each, narrowed by `select`/`ignore` ids or prefixes as on the command line)."""
    if rollout_rules is None or file_rules is None:
        from specgap.rules import rollout_rules as all_rollout_rules
        from specgap.rules import scan_rules

        rollout_rules = all_rollout_rules() if rollout_rules is None else rollout_rules
        file_rules = scan_rules() if file_rules is None else file_rules
    select, ignore = tuple(select), tuple(ignore)
    if select or ignore:  # else all of them: a pool's workers get their rules already selected
        rollout_rules = engine.select_rules(rollout_rules, select, ignore)
        file_rules = engine.select_rules(file_rules, select, ignore)
    errors: list[str] = list(rollout.notes)
    findings: list[Finding] = []
    for rule_cls in rollout_rules:
        try:
            findings.extend(rule_cls().check_rollout(rollout))  # type: ignore[attr-defined]
        except Exception as exc:  # a rule bug costs that rule on this rollout, said loudly
            errors.append(f"internal error in rule {rule_cls.id}: {exc!r}")
    findings.extend(_file_findings(rollout, list(file_rules), errors))
    return RolloutOutcome(rollout.id, rollout.source, rollout.index, rollout.format, rollout.model, rollout.run,
                          rollout.step, rollout.task_id, rollout.reward,
                          _finished(rollout, findings) if findings else findings, errors)


def _finished(rollout: Rollout, findings: list[Finding]) -> list[Finding]:
    """The rollout's findings raised by a stated intent, fingerprinted within the rollout, in turn order."""
    intent = next((f for f in findings if f.rule_id == INTENT), None)
    if intent is not None:
        findings = [f if f.rule_id == INTENT else replace(
            f, confidence=_UP[f.confidence], message=f"{f.message} (stated intent at turn {intent.turn}: {intent.evidence[:120]!r})")
            for f in findings]
    keyed = [replace(f, path=f"{rollout.id}\0{f.path}") for f in findings]
    fingerprinted = [replace(f, fingerprint=k.fingerprint) for f, k in zip(findings, engine.with_fingerprints(keyed))]
    fingerprinted.sort(key=lambda f: (f.turn if f.turn is not None else -1, f.rule_id, f.path))
    return fingerprinted

