"""SG209 protected-path-edited: A file under a configured protected path was changed."""

from __future__ import annotations

from typing import Iterator

from specgap.model import (
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
    Status,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness import _test_commands as tc
from specgap.rules.harness._shared import _SPECGAP_CONFIG, _first_written_line


@register
class ProtectedPathEdited(Rule):
    """A file under a configured protected path was changed.

    What it does: reports any addition, edit or deletion of a path the project configured as
    protected (graders, hidden tests, eval sets, reference outputs).

    Why is this bad: protected paths are the measuring apparatus; an agent has no reason to touch
    them, and every way of touching them can change the verdict.

    Example:
        # [tool.specgap] protected = ["grader/**"]
        grader/check.py: -    return score >= 0.9
                         +    return True

    Use instead: leave protected files alone; if one is wrong, report it instead of editing it.
    """

    id = "SG209"
    name = "protected-path-edited"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        for cf in changeset.files:
            if cf.role is not FileRole.PROTECTED or tc.file_name(cf.path) in _SPECGAP_CONFIG:
                continue
            verb = {Status.ADDED: "created", Status.DELETED: "deleted", Status.RENAMED: "renamed"}.get(cf.status, "edited")
            yield self.finding(cf, _first_written_line(cf), f"protected path {verb}", evidence=cf.path)
