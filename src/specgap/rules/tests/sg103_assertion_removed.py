"""SG103 assertion-removed: Assertions were removed from, commented out of, or made unreachable in a test that remains."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _pairs

_COMMENTED_CHECK = re.compile(r"^\s*#+\s*(assert\b|self\.assert|self\.fail\(|pytest\.(raises|fail)\b|np\.testing\.|numpy\.testing\.)")


def _effective_checks(fn: tf.FuncDef, helpers: frozenset[str]) -> list[ast.AST]:
    dead = {id(n) for n in tf.unreachable_checks(fn)}
    return [c for c in tf.real_checks(fn, helpers) if id(c) not in dead]


def _commented_checks(cf: ChangedFile, fn: tf.FuncDef) -> list[int]:
    """Added lines inside `fn` that are assertions turned into comments."""
    assert cf.after is not None
    lines = cf.after.lines
    end = min(fn.end_lineno or fn.lineno, len(lines))
    # comments after the last statement still belong to the body if indented like it
    while end < len(lines) and (not lines[end].strip() or (
            lines[end].lstrip().startswith("#") and len(lines[end]) - len(lines[end].lstrip()) > fn.col_offset)):
        end += 1
    return [n for n in range(fn.lineno, end + 1) if cf.is_added_line(n) and _COMMENTED_CHECK.match(lines[n - 1])]


@register
class AssertionRemoved(Rule):
    """Assertions were removed from, commented out of, or made unreachable in a test that remains.

    What it does: counts the checks each surviving test makes before and after the change (assert
    statements, unittest `self.assert*`, `pytest.raises`, `np.testing.assert_*`, local helpers
    that assert). A test left with no check at all is reported: high when its body became `pass`,
    `...` or a docstring, or when the asserts were commented out or put behind an early `return`.
    Fewer (but some) checks is reported low, or medium when the missing ones were commented out.

    Why is this bad: the test keeps its name and keeps passing, but no longer checks anything.

    Example:
        def test_total():
        -    assert total([1, 2]) == 3
        +    pass

    Use instead: keep the assertions and fix the code; if the expected behaviour really changed,
    update the assertion to the new behaviour rather than deleting it.
    """

    id = "SG103"
    name = "assertion-removed"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        hb, ha = tf.helper_names(cf.before.tree), tf.helper_names(cf.after.tree)
        for old, new in _pairs(cf):
            n_before = len(_effective_checks(old.node, hb))
            if n_before == 0:
                continue
            after_checks = _effective_checks(new.node, ha)
            n_after = len(after_checks)
            if n_after >= n_before:
                continue
            taut_before = sum(tf.check_tautology(c) is not None for c in tf.checks(old.node, hb))
            taut_after = sum(tf.check_tautology(c) is not None for c in tf.checks(new.node, ha))
            if taut_after > taut_before:
                continue  # the checks were replaced by tautologies: SG104 reports that, at the line
            commented = _commented_checks(cf, new.node)
            dead = tf.unreachable_checks(new.node)
            if n_after == 0:
                if tf.trivial_body(new.node):
                    sev, how = Severity.HIGH, "its body was replaced by a placeholder"
                elif dead:
                    sev, how = Severity.HIGH, "an early return makes its assertions unreachable"
                elif commented:
                    sev, how = Severity.HIGH, "its assertions were commented out"
                else:
                    sev, how = Severity.MEDIUM, "it no longer asserts anything"
            elif commented:
                sev, how = Severity.MEDIUM, "assertions were commented out"
            else:
                sev, how = Severity.LOW, "assertions were removed"
            yield self.finding(
                cf, new.node.lineno,
                f"test {new.qualname}: {how} ({n_before} check(s) before, {n_after} after)",
                severity=sev,
                confidence=Confidence.HIGH if sev is Severity.HIGH else None,
                end_line=new.node.end_lineno,
                before=cf.before.segment(old.node.lineno, old.node.end_lineno),
                after=cf.after.segment(new.node.lineno, new.node.end_lineno),
            )
