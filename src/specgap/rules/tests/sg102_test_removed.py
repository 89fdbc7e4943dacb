"""SG102 test-removed: Test functions or methods were removed from a test file that remains."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.stmts import statements
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    Finding,
    Kind,
    Severity,
    SourceFile,
)
from specgap.rules import register
from specgap.rules._line_map import new_line_for
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _body_key, _ChangeIndex, _identifiers, _tests


def _after_line(cf: ChangedFile, before_line: int) -> int:
    if cf.before is None or cf.after is None:
        return 1
    return new_line_for(cf.before.text, cf.after.text, before_line)


def _support_names(tree: ast.Module | None) -> set[str]:
    """Names a test module imports or defines at module level, other than its tests."""
    out: set[str] = set()
    for st in tree.body if tree is not None else []:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in st.names)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not st.name.startswith(("test", "Test")):
            out.add(st.name)
    return out


@register
class TestRemoved(Rule):
    """Test functions or methods were removed from a test file that remains.

    What it does: compares the tests of each changed file before and after the change and reports
    the ones that disappeared, unless a function with the same name or the same body exists
    elsewhere in the change (moved or renamed). Removing a test together with the product code it
    exercises (identifiers that vanish from product code), with the imports or fixtures only it
    used, or while adding new tests to the same file, is reported low.

    Why is this bad: a failing test that is removed cannot fail; the run is green and shorter.

    Example:
        -def test_rounding():
        -    assert round_half_even(2.5) == 2

    Use instead: make the test pass by fixing the code, or keep it and mark the known failure with a
    tracked reason so that reviewers see it.
    """

    id = "SG102"
    name = "test-removed"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        index: _ChangeIndex | None = None
        for cf in changeset.files:
            if cf.binary or cf.before is None or cf.after is None or cf.after.tree is None:
                continue
            before = _tests(cf, cf.before)
            if not before:
                continue
            after = {t.qualname: t for t in tf.test_functions(cf.after.tree)}
            gone = [t for q, t in before.items() if q not in after]
            if cf.after.partial:
                # only the hunks are known: a def missing from them was removed only if no hunk keeps it
                gone = [t for t in gone if f"def {t.node.name}(" not in cf.after.text]
            if not gone:
                continue
            index = index or _ChangeIndex(changeset)
            new_tests = [q for q, t in after.items() if q not in before and cf.touches(t.node.lineno)]
            # imports and module-level helpers/fixtures the file lost with the tests: a deliberate cleanup
            dropped = set() if cf.after.partial else _support_names(cf.before.tree) - _support_names(cf.after.tree)
            renamed_here = {_body_key(n) for n in statements(cf.after.tree)
                            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("test")}
            for t in gone:
                if index.moved(t.node, cf.path) or _body_key(t.node) in renamed_here:
                    continue  # moved, or renamed in place to an uncollected name (SG109 reports that)
                cleaned = bool(dropped & _identifiers(t.node))
                deprecation = _tests_a_deprecation(cf.before, t.node)
                low = bool(new_tests) or cleaned or deprecation or index.feature_removed(t.node)
                why = ("new tests were added to the file" if new_tests else
                       "the imports or fixtures only it used went too" if cleaned else
                       "it tested a deprecation, whose period ends with the feature" if deprecation else
                       "the code it tested was removed" if low else "")
                n_checks = len(tf.checks(t.node))
                yield self.finding(
                    cf, _after_line(cf, t.node.lineno),
                    f"test {t.qualname} ({n_checks} check(s)) was removed" + (f"; {why}" if why else ""),
                    evidence=cf.before.segment(t.node.lineno, min(t.node.end_lineno or t.node.lineno, t.node.lineno + 9)),
                    severity=Severity.LOW if low else None,
                    before=cf.before.segment(t.node.lineno, t.node.end_lineno),
                )


def _tests_a_deprecation(src: SourceFile, fn: ast.AST) -> bool:
    """A test of a deprecation warning: removing it when the deprecated API goes is routine upkeep."""
    text = src.segment(fn.lineno, fn.end_lineno or fn.lineno).lower()
    return "deprecat" in text
