"""SG109 test-made-uncollectable: A test was hidden from the test runner without being deleted."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import subtree
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    Finding,
    Kind,
    Severity,
    Status,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _body_key, _is_test_path, _tests, _tree


@register
class TestMadeUncollectable(Rule):
    """A test was hidden from the test runner without being deleted.

    What it does: reports tests renamed so that pytest or unittest no longer collects them (the
    `test` prefix dropped with the body unchanged, a test class renamed without its `Test` prefix),
    `__test__ = False` added to a module or class that holds tests, and test modules renamed out of
    `test_*.py` / `*_test.py`.

    Why is this bad: the test is still in the file and looks intact in review, but never runs.

    Example:
        -def test_overflow():
        +def _test_overflow():

    Use instead: keep the test collectable and make it pass.
    """

    id = "SG109"
    name = "test-made-uncollectable"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.status is Status.RENAMED and cf.old_path and _is_test_path(cf.old_path) and not _is_test_path(cf.path):
            if _tests(cf, cf.after) or _tests(cf, cf.before):
                yield self.finding(cf, 1, f"test module renamed from {cf.old_path} to a name the runner does not collect",
                                   evidence=f"{cf.old_path} -> {cf.path}")
        tree = _tree(cf.after)
        if tree is None or cf.before is None or cf.before.tree is None:
            return
        before = _tests(cf, cf.before)
        if not before:
            return
        after_tests = {t.qualname for t in tf.test_functions(tree)}
        gone = {q: t for q, t in before.items() if q not in after_tests}
        if gone:
            yield from self._renamed(cf, tree, gone)
        yield from self._dunder_test(cf, tree)

    def _renamed(self, cf: ChangedFile, tree: ast.Module, gone: dict[str, tf.TestFn]) -> Iterator[Finding]:
        by_body = {_body_key(t.node): t for t in gone.values() if not tf.trivial_body(t.node)}
        gone_classes: dict[frozenset[str], str] = {}
        for t in gone.values():
            if t.cls is not None:
                gone_classes[frozenset(s.name for s in t.cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))] = t.cls.name
        for node in subtree(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test"):
                old = by_body.get(_body_key(node))
                if old is not None and cf.touches(node.lineno):
                    yield self.finding(cf, node.lineno, f"test {old.qualname} renamed to {node.name}, which is not collected",
                                       before=old.node.name, after=node.name, end_line=node.lineno)
            elif isinstance(node, ast.ClassDef) and not tf.is_test_class(node) and cf.touches(node.lineno):
                methods = frozenset(s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
                old_name = gone_classes.get(methods)
                if old_name and any(m.startswith("test") for m in methods):
                    yield self.finding(cf, node.lineno, f"test class {old_name} renamed to {node.name}, which is not collected",
                                       before=old_name, after=node.name, end_line=node.lineno)

    def _dunder_test(self, cf: ChangedFile, tree: ast.Module) -> Iterator[Finding]:
        def off(st: ast.stmt) -> bool:
            return (isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in st.targets)
                    and isinstance(st.value, ast.Constant) and not st.value.value)

        has_tests = bool(tf.test_functions(tree))
        for st in tree.body:
            if off(st) and has_tests and cf.is_added_line(st.lineno):
                yield self.finding(cf, st, "`__test__ = False` hides every test in this module")
            if isinstance(st, ast.ClassDef) and any(
                    isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test") for s in st.body):
                for s in st.body:
                    if off(s) and cf.is_added_line(s.lineno):
                        yield self.finding(cf, s, f"`__test__ = False` hides the tests of class {st.name}")
