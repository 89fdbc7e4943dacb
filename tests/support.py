"""Test-only rules shared by the engine and CLI tests, so those tests don't depend on real rules."""

from __future__ import annotations

from collections.abc import Iterator

from specgap.model import ChangedFile, ChangeSet, Finding, Severity
from specgap.rules.base import Rule


class Marked(Rule):
    """Test-only: every line containing GAMED."""

    id = "SG091"
    name = "test-marked"
    severity = Severity.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is not None:
            for n, line in enumerate(cf.after.lines, 1):
                if "GAMED" in line:
                    yield self.finding(cf, n, "marked line")
