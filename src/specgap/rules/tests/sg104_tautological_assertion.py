"""SG104 tautological-assertion: An assertion that cannot fail."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, context
from specgap.analysis.stmts import statement_making
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
        before = _tests(cf, cf.before) if tests else {}
        hb = tf.helper_names(_tree(cf.before)) if before else frozenset()
        cannot_fail = _tautological_checks(context(tree), tests)
        for t in tests:
            found = [(c, why) for c, why in cannot_fail.get(id(t.node), ()) if cf.touches(c.lineno)]
            old = before.get(t.qualname)
            dead = tf.unreachable_checks(t.node)
            if dead and old is None and cf.touches(dead[0].lineno):  # existing tests: SG103 reports it
                yield self.finding(cf, dead[0], f"assertions in {t.qualname} can never run: an unconditional "
                                   "return comes before them", end_line=dead[0].lineno)
            if not found:
                continue
            real_now = len(tf.real_checks(t.node, tf.helper_names(tree)))  # (found once per file, when needed)
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
        in_tests: bool | None = None  # (asked only of a file with such an assertion: few have one)
        for st in tree.body:
            if isinstance(st, ast.Assert) and (why := tf.tautology(st.test)) and cf.touches(st.lineno):
                if in_tests is None:
                    in_tests = cf.role is FileRole.TEST or _imports_test_framework(tree)
                yield self.finding(cf, st, f"module-level assertion cannot fail: {why}",
                                   severity=None if in_tests else Severity.LOW)


def _tautological_checks(ctx: Context, tests: list[tf.TestFn]) -> dict[int, list[tuple[ast.AST, str]]]:
    """Each test's checks that cannot fail (as `tf.checks` finds them, in source order), by the id
    of the test's node. Found from the file's index: the asserts, and the calls named like a
    check that can be judged, instead of collecting every test's checks (most can fail)."""
    tests_ids = {id(t.node) for t in tests}
    if not tests_ids:
        return {}
    calls = [c for c in ctx.calls_named(tf.TAUTOLOGY_CALLS) if statement_making(ctx, c) is not None]
    out: dict[int, list[tuple[ast.AST, str]]] = {}
    for check in ctx.of(ast.Assert) + calls:
        why = tf.check_tautology(check)
        test = next((p for p in ctx.ancestors(check) if id(p) in tests_ids), None) if why else None
        if test is not None:
            out.setdefault(id(test), []).append((check, why))  # type: ignore[arg-type]
    for found in out.values():
        found.sort(key=lambda f: (f[0].lineno, f[0].col_offset))  # type: ignore[attr-defined]
    return out
