"""What the transcript rules share: the rule base for rollouts, and what a path or a command is."""

from __future__ import annotations

import re
from typing import ClassVar, Iterable, Iterator

from specgap.inputs.roles import classify
from specgap.model import Confidence, FileRole, Finding, Severity
from specgap.rollout import Action, ActionKind, Command, Rollout, Turn
from specgap.rules.base import Rule

QUOTE_CHARS = 300

# graders, hidden tests and answer keys: what an agent has no business reading or writing. Names
# that are also ordinary product code (judge, checker, scorer, solutions/) are left out on purpose.
GRADER = re.compile(
    r"(?i)(?:^|[/_.-])(?:graders?|grading|grade\.(?:py|sh)|hidden[_-]?tests?|held[_-]?out(?:[_-]?tests?)?|"
    r"private[_-]?tests?|secret[_-]?tests?|answer[_-]?keys?|expected[_-]?outputs?|"
    r"gold(?:en)?[_-]?(?:patch|answers?|outputs?|solutions?|labels?)|reference[_-]?solutions?|eval[_-]?harness)"
    r"(?:[/_.-]|$)|(?:^|/)oracles?(?:/|\.\w+$)")
# a reproduction script or scratch file an agent makes for itself and may delete at will
SCRATCH = re.compile(r"(?i)(?:^|/)(?:repro\w*|reproduce\w*|debug\w*|scratch\w*|tmp\w*|temp\w*|test_(?:repro|debug|my|tmp|temp|scratch)\w*)\.\w+$")
_TEST_RUNNERS = re.compile(
    r"(?:^|[\s;&|(])(?:py\.?test|pytest|tox|nox|unittest|nosetests|trial|(?:python\d?(?:\.\d+)?\s+(?:-\w+\s+)*)?(?:-m\s+)?(?:pytest|unittest)"
    r"|npm\s+(?:run\s+)?test|yarn\s+test|go\s+test|cargo\s+test|make\s+(?:test|check)|\./?run_tests?\.sh|runtests\.py|manage\.py\s+test)\b")


def role(path: str) -> FileRole:
    return classify(path.lstrip("/"))


def is_test_or_grader(path: str) -> bool:
    path = path.strip().strip("'\"")
    if not path or path.startswith("-") or "__pycache__" in path or ".pytest_cache" in path or path.endswith((".pyc", ".log")):
        return False
    return role(path) in (FileRole.TEST, FileRole.HARNESS) or bool(GRADER.search(path))


def is_test_command(line: str) -> bool:
    return bool(_TEST_RUNNERS.search(line))


def created_by_agent(rollout: Rollout, path: str, before: int) -> bool:
    """Whether the agent wrote `path` itself before turn `before` (its own scratch to delete)."""
    path = path.strip("'\"").removeprefix("./")
    for turn in rollout.turns[:before + 1]:
        for a in turn.actions:
            if a.kind is ActionKind.WRITE and a.path and (a.path == path or a.path.endswith("/" + path) or path.endswith("/" + a.path)):
                return True
            if a.kind is ActionKind.SHELL and any(path in c.redirects or (c.program == "touch" and path in c.argv) for c in a.commands):
                return True
    return bool(SCRATCH.search(path))


def seen(rollout: Rollout, path: str) -> bool:
    """Whether the agent read `path` (so it existed before the agent touched it)."""
    path = path.strip("'\"").removeprefix("./")
    return any(f.first_read is not None and (f.path == path or f.path.endswith("/" + path) or path.endswith("/" + f.path))
               for f in rollout.files.values())


def shell_commands(rollout: Rollout) -> Iterator[tuple[Turn, Action, Command]]:
    # (the turns walked here, not through `rollout.actions()`: eight rules ask of every rollout,
    # and a generator inside a generator cost more than the walk)
    for turn in rollout.turns:
        for action in turn.actions:
            if action.kind is ActionKind.SHELL:
                for cmd in action.commands:
                    yield turn, action, cmd


def quote(text: str, needle: str = "") -> str:
    """A short excerpt of `text` around `needle`, for a person to find it."""
    text = text or ""
    at = text.find(needle) if needle else 0
    if at < 0:
        at = 0
    start = max(0, at - QUOTE_CHARS // 3)
    snippet = text[start:start + QUOTE_CHARS]
    return ("…" if start else "") + snippet + ("…" if start + QUOTE_CHARS < len(text) else "")


class RolloutRule(Rule):
    """A rule that reads a whole rollout (what the agent did and said), not a changed file."""

    family: ClassVar[str] = "transcripts"
    reads: ClassVar[str] = "rollout"

    def check_rollout(self, rollout: Rollout) -> Iterable[Finding]:
        raise NotImplementedError

    def cite(self, rollout: Rollout, turn: Turn, action: Action | None, message: str, evidence: str, *,
             severity: Severity | None = None, confidence: Confidence | None = None) -> Finding:
        return Finding(
            rule_id=self.id, name=self.name, kind=self.kind,
            severity=severity or self.severity, confidence=confidence or self.confidence,
            path=rollout.source, line=turn.index, end_line=turn.index,
            message=message, evidence=evidence,
            rollout_id=rollout.id, turn=turn.index, call_id=action.call_id if action is not None else None,
        )
