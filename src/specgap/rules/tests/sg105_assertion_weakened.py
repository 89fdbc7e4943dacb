"""SG105 assertion-weakened: An exact assertion was replaced by one that only checks existence or type."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _equalities, _pairs

_WEAK_CALLS = frozenset({"assertIsNotNone", "assertTrue", "assertIsInstance", "assert_"})


def _weak_subjects(fn: ast.AST) -> list[tuple[str, ast.AST]]:
    """(subject dump, check) for checks that only say a value exists or has a type."""
    out = []
    for c in tf.checks(fn):
        subj: ast.AST | None = None
        if isinstance(c, ast.Assert):
            t = c.test
            if isinstance(t, ast.Compare) and len(t.ops) == 1:
                op, right = t.ops[0], t.comparators[0]
                if isinstance(op, ast.IsNot) and isinstance(right, ast.Constant) and right.value is None:
                    subj = t.left
                elif (isinstance(t.left, ast.Call) and tf.call_name(t.left) == "len" and t.left.args
                      and isinstance(right, ast.Constant) and isinstance(op, (ast.Gt, ast.GtE, ast.NotEq))):
                    subj = t.left.args[0]
            elif isinstance(t, ast.Call) and tf.call_name(t) in ("isinstance", "hasattr", "callable") and t.args:
                subj = t.args[0]
            elif isinstance(t, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
                subj = t
        elif isinstance(c, ast.Call) and tf.call_name(c) in _WEAK_CALLS and c.args:
            subj = c.args[0]
        if subj is not None:
            out.append((ast.dump(subj), c))
    return out


@register
class AssertionWeakened(Rule):
    """An exact assertion was replaced by one that only checks existence or type.

    What it does: in a test present before and after the change, finds a value that used to be
    compared for equality (`assert r == 42`, `assertEqual(r, 42)`) and is now only checked with
    `is not None`, `isinstance`, `hasattr`, truthiness or `len(...) > 0`.

    Why is this bad: the weakened test passes for any wrong answer of the right type, so the
    failing behaviour is hidden while the test still appears to cover it.

    Example:
        -    assert parse("1+1") == 2
        +    assert parse("1+1") is not None

    Use instead: keep the exact expectation and fix the code.
    """

    id = "SG105"
    name = "assertion-weakened"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        for old, new in _pairs(cf):
            exact_before = {s: c for s, _e, c in _equalities(old.node)}
            if not exact_before:
                continue
            exact_after = {s for s, _e, _c in _equalities(new.node)}
            weak_before = {s for s, _c in _weak_subjects(old.node)}
            for subj, c in _weak_subjects(new.node):
                if subj in exact_before and subj not in exact_after and subj not in weak_before and cf.touches(c.lineno):
                    was = exact_before[subj]
                    yield self.finding(
                        cf, c, f"test {new.qualname}: an exact check was weakened to one that any value of the right kind passes",
                        before=ast.unparse(was), after=ast.unparse(c),
                    )
