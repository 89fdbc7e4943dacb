"""SG104 tautological-assertion: An assertion that cannot fail."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import context
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _imports_test_framework, _tests, _tree


@register
class TautologicalAssertion(Rule):
    """An assertion that cannot fail.

    What it does: finds `assert True`, `assert 1`, `assert x == x`, `assert x or True`,
    `assert len(x) >= 0`, `assert (cond, "msg")`, `self.assertTrue(True)`, `assertEqual(x, x)` and
    the like in tests, and assertions placed after an unconditional `return` (`if True: return`)
    in new tests (medium). High when it replaces a real check in an existing test, medium at
    module level in test code; low in a new test (smoke tests end in `assert True`, and
    `assert x == x` is how `__eq__` reflexivity is tested).

    Why is this bad: a check that always holds makes the test pass whatever the code does, while
    the test still looks like it verifies something.

    Example:
        def test_parse():
            result = parse("1+1")
            assert True  # was: assert result == 2

    Use instead: assert the value the specification requires.
    """

    id = "SG104"
    name = "tautological-assertion"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None:
            return
        tests = tf.test_functions(tree)
        helpers = tf.helper_names(tree) if tests else frozenset()
        before = _tests(cf, cf.before) if tests else {}
        hb = tf.helper_names(_tree(cf.before)) if before else frozenset()
        # most files have no check that cannot fail: then no test's checks need collecting
        maybe = any(tf.check_tautology(n) for n in context(tree).of(ast.Assert)) or any(
            tf.call_name(n) in tf.TAUTOLOGY_CALLS and tf.check_tautology(n) for n in context(tree).of(ast.Call))
        for t in tests:
            found = [(c, why) for c in tf.checks(t.node, helpers) if (why := tf.check_tautology(c)) and cf.touches(c.lineno)] if maybe else []
            old = before.get(t.qualname)
            dead = tf.unreachable_checks(t.node)
            if dead and old is None and cf.touches(dead[0].lineno):  # existing tests: SG103 reports it
                yield self.finding(cf, dead[0], f"assertions in {t.qualname} can never run: an unconditional "
                                   "return comes before them", end_line=dead[0].lineno)
            if not found:
                continue
            real_now = len(tf.real_checks(t.node, helpers))
            replaced = old is not None and len(tf.real_checks(old.node, hb)) > real_now
            # a new smoke test ending in `assert True` is a human habit too: only replacing a real check is strong
            sev = Severity.HIGH if replaced else Severity.LOW
            for c, why in found:
                yield self.finding(
                    cf, c, f"assertion in {t.qualname} cannot fail: {why}"
                    + ("; it replaces a real check" if replaced else "; the test makes no other check" if real_now == 0 else ""),
                    severity=sev,
                    before=cf.before.segment(old.node.lineno, old.node.end_lineno) if replaced and old and cf.before else None,
                )
        # module-level asserts outside any test have no purpose but to look like checks (in product
        # code they are at least not pretending to test anything: low)
        in_tests = cf.role is FileRole.TEST or _imports_test_framework(tree)
        for st in tree.body:
            if isinstance(st, ast.Assert) and (why := tf.tautology(st.test)) and cf.touches(st.lineno):
                yield self.finding(cf, st, f"module-level assertion cannot fail: {why}",
                                   severity=None if in_tests else Severity.LOW)
