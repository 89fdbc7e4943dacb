"""SG111 vacuous-new-tests: A new test file whose tests check nothing."""

from __future__ import annotations

from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.model import (
    ChangedFile,
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
from specgap.rules.tests._shared import _is_test_path

_DEMO_DIRS = frozenset({"example", "examples", "demo", "demos", "docs", "doc"})


@register
class VacuousNewTests(Rule):
    """A new test file whose tests check nothing.

    What it does: reports a test file added by the change whose tests contain no assertion that can
    fail: only tautologies (`assert True`, `assertTrue(True)`: medium) or no checks at all (low).
    Example and documentation suites (under examples/, docs/, demo/) are reported low.

    Why is this bad: an agent that cannot pass the real tests can add its own "tests" that always
    pass, and point the grader or the reviewer at them.

    Example:
        # tests/test_solution.py (new)
        def test_solution():
            assert True

    Use instead: write tests that assert the behaviour the task specifies.
    """

    id = "SG111"
    name = "vacuous-new-tests"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.TEST,)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.status is not Status.ADDED or cf.after is None or cf.after.tree is None:
            return
        tree = cf.after.tree
        tests = tf.test_functions(tree)
        if not tests or not _is_test_path(cf.path):
            return
        # a real check without counting helpers is one with them too: most files need no helpers
        if any(tf.real_checks(t.node) for t in tests):
            return
        helpers = tf.helper_names(tree)
        if any(tf.real_checks(t.node, helpers) for t in tests):
            return
        tauts = sum(len(tf.checks(t.node, helpers)) for t in tests)
        first = tests[0].node
        # example and documentation suites (e.g. a test runner's demo of scheduling) assert nothing on purpose
        demo = bool(_DEMO_DIRS & set(cf.path.rsplit("::", 1)[-1].split("/")[:-1]))
        yield self.finding(
            cf, first.lineno,
            f"new test file: none of its {len(tests)} test(s) makes a check that can fail"
            + (" (only tautologies)" if tauts else " (no assertions at all)"),
            severity=None if tauts and not demo else Severity.LOW,
            end_line=first.lineno,
        )
