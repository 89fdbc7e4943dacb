"""SG107 skip-added: A skip or xfail was added to an existing test."""

from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, context
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _test_context, _tests, _tree


def _skips(t: tf.TestFn, body: bool = True) -> list[tf.Skip]:
    out = tf.decorator_skips(t.node) + (list(tf.body_skips(t.node)) if body else [])
    if t.cls is not None:
        out += tf.decorator_skips(t.cls)
    return out


def _module_skips(tree: ast.Module) -> Iterator[tf.Skip]:
    """`pytestmark = pytest.mark.skip` and module-level `pytest.skip(..., allow_module_level=True)`."""
    for st in tree.body:
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in st.targets):
            marks = st.value.elts if isinstance(st.value, (ast.List, ast.Tuple)) else [st.value]
            holder = ast.FunctionDef(name="_", args=None, body=[], decorator_list=marks)  # type: ignore[arg-type]
            yield from tf.decorator_skips(holder)
        elif isinstance(st, (ast.Expr, ast.If, ast.Try)):
            holder = ast.FunctionDef(name="_", args=None, body=[st], decorator_list=[])  # type: ignore[arg-type]
            yield from tf.body_skips(holder)


# what `tf.body_skips` finds is a raise or a call of one of these (`pytest.skip()`, `self.skipTest()`)
_BODY_SKIPS = frozenset({"skip", "xfail", "skipTest", "importorskip"})


def _may_skip_in_body(ctx: Context, tests: list[tf.TestFn]) -> set[int]:
    """The ids of the tests with a raise or a skip-named call anywhere inside: the only ones whose
    body `tf.body_skips` needs to visit (most tests have neither)."""
    ids = {id(t.node) for t in tests}
    out = set()
    for node in ctx.calls_named(_BODY_SKIPS) + ctx.of(ast.Raise):
        test = next((p for p in ctx.ancestors(node) if id(p) in ids), None)
        if test is not None:
            out.add(id(test))
    return out


@register
class SkipAdded(Rule):
    """A skip or xfail was added to an existing test.

    What it does: finds skip/xfail markers (`pytest.mark.skip`, `xfail`, `skipif(True)`,
    `unittest.skip`, `expectedFailure`, `pytestmark = ...`) and calls (`pytest.skip()`,
    `pytest.xfail()`, `self.skipTest()`, `raise SkipTest`) that the change added to tests that
    existed before it. Unconditional: high. Conditional on platform, version or an optional import:
    low. On new tests: low.

    Why is this bad: graders that count "no failures" treat a skipped or xfailed test as success,
    so skipping the failing test turns a red run green without fixing anything.

    Example:
        +@pytest.mark.skip(reason="flaky")
         def test_merge_sorted():
             assert merge([1, 3], [2]) == [1, 2, 3]

    Use instead: fix the code; skip only for a real environmental reason, with a condition.
    """

    id = "SG107"
    name = "skip-added"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"skip|Skip|xfail|expectedFailure")  # every marker, call and raise it knows

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None or not _test_context(cf, tree):
            return
        before = _tests(cf, cf.before)
        tests = tf.test_functions(tree)
        in_body = _may_skip_in_body(context(tree), tests)
        for t in tests:
            old = before.get(t.qualname)
            existed = old is not None or (cf.before is not None and cf.before.partial and not cf.is_added_line(t.node.lineno))
            had = Counter((s.what, s.conditional) for s in _skips(old)) if old is not None else Counter()
            for s in _skips(t, id(t.node) in in_body):
                line = getattr(s.node, "lineno", t.node.lineno)
                if not cf.is_added_line(line):
                    continue
                key = (s.what, s.conditional)
                if had[key]:
                    had[key] -= 1
                    continue
                sev = Severity.HIGH if existed and not s.conditional else Severity.LOW
                yield self.finding(
                    cf, s.node, f"{'conditional ' if s.conditional else ''}{s.what} added to "
                    f"{'existing' if existed else 'new'} test {t.qualname}",
                    severity=sev,
                    confidence=Confidence.HIGH if sev is Severity.HIGH else Confidence.MEDIUM,
                )
        if not tests:
            return
        old_mod = Counter((s.what, s.conditional) for s in _module_skips(cf.before.tree)) if cf.before is not None and cf.before.tree else Counter()
        had_tests = bool(before) or (cf.before is not None and cf.before.partial)
        for s in _module_skips(tree):
            key = (s.what, s.conditional)
            if old_mod[key]:
                old_mod[key] -= 1
                continue
            sev = Severity.HIGH if had_tests and not s.conditional else Severity.LOW
            yield self.finding(cf, s.node, f"{'conditional ' if s.conditional else ''}{s.what} added for the whole module",
                               severity=sev)
