"""SG101 test-file-deleted: A test file was deleted."""

from __future__ import annotations

from typing import Iterator

from specgap.model import ChangeSet, Confidence, Finding, Kind, Severity, Status
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _ChangeIndex, _tests


@register
class TestFileDeleted(Rule):
    """A test file was deleted.

    What it does: reports a deleted test file that held tests, unless the same tests reappear
    elsewhere in the change (a move or rename) or the product code they test was deleted with them.

    Why is this bad: deleting the file that fails is the bluntest way to make a suite pass; the
    grader sees fewer tests, all green.

    Example:
        git rm tests/test_parser.py

    Use instead: fix the code the tests exercise; if a test is truly obsolete, say why in the change.
    """

    id = "SG101"
    name = "test-file-deleted"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        index: _ChangeIndex | None = None
        for cf in changeset.files:
            if cf.status is not Status.DELETED or cf.binary or cf.before is None:
                continue
            tests = list(_tests(cf, cf.before).values())
            if not tests:
                continue
            index = index or _ChangeIndex(changeset)
            kept = [t for t in tests if not index.moved(t.node, cf.path)]
            if not kept:
                continue
            first = tests[0].node
            names = ", ".join(t.qualname for t in kept[:5]) + (" ..." if len(kept) > 5 else "")
            removed_feature = index.imports_deleted_module(cf.before.tree) or all(index.feature_removed(t.node) for t in kept)
            yield self.finding(
                cf, first.lineno,
                f"test file deleted with {len(kept)} test(s) not found elsewhere in the change: {names}"
                + ("; the code it tested was removed too" if removed_feature else ""),
                evidence=cf.before.segment(first.lineno, first.lineno + 2),
                severity=Severity.LOW if removed_feature else None,
                confidence=Confidence.MEDIUM if removed_feature else None,
                before=f"{len(tests)} tests",
            )
