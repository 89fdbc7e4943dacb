"""SG207 test-framework-patched: Pytest or unittest internals are patched so that results read as success."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import pytest_hooks as ph
from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, local_nodes, subtree
from specgap.analysis.names import dotted
from specgap.analysis.stmts import calls_in, statement_making
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._shared import (
    _OPTION_GUARD,
    _setattr_call,
    _targets,
    _text,
)

_FRAMEWORKS = ("_pytest", "pytest", "unittest", "pluggy")
# Attributes whose replacement changes what a test run reports.
_VERDICT_ATTRS = frozenset({
    "from_item_and_call", "from_call", "outcome", "longrepr", "pytest_runtest_makereport", "runtestprotocol",
    "call_and_report", "call_runtest_hook", "check_interactive_exception", "wasSuccessful", "addFailure", "addError",
    "addSubTest", "addExpectedFailure", "addUnexpectedSuccess", "addSkip", "addSuccess", "run", "__call__", "runtest",
    "_callTestMethod", "fail", "failureException", "skip", "xfail", "exit", "AssertionError", "_report_to_json",
    "pytest_report_teststatus", "pytest_runtest_logreport", "getreports", "stats", "testsfailed", "exitstatus",
    "_addSkip", "_feedErrorsToResult", "doCleanups",
})
_RESULT_CLASSES = ("unittest.TestResult", "unittest.TextTestResult", "unittest.result.TestResult",
                   "unittest.runner.TextTestResult")


def _trivial_result(fn: tf.FuncDef) -> str | None:
    """Why an overriding `wasSuccessful`/`addFailure`/`addError` hides failures, or None."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if fn.name == "wasSuccessful":
        if body and all(isinstance(s, ast.Return) and tf.truthy_constant(s.value) for s in body if isinstance(s, ast.Return)) \
                and any(isinstance(s, ast.Return) for s in body):
            return "wasSuccessful always returns True"
        return None
    nodes = list(local_nodes(fn))
    calls_super = any(isinstance(n, ast.Call) and dotted(n.func, through_calls=True).startswith("super.") or
                      isinstance(n, ast.Attribute) and n.attr == fn.name and dotted(n.value, through_calls=True) != "self" for n in nodes)
    records = any(isinstance(n, ast.Call) and tf.call_name(n) in ("append", "extend", "add", "write", "writeln", "put")
                  for n in nodes)
    if not calls_super and not records and not _passes_failure_on(fn, nodes):
        return f"{fn.name} drops the failure instead of recording it"
    return None


_ONLY_SHOWS = frozenset({"print", "debug", "info", "warning", "warn", "log", "repr", "str", "format"})


def _passes_failure_on(fn: tf.FuncDef, nodes: list[ast.AST]) -> bool:
    """Whether the failure (`err`, the last parameter) is handed to something that records it,
    e.g. a runner's own channel (`self._send(test, "failed", err)`); printing it is not recording."""
    params = [a.arg for a in fn.args.args]
    if len(params) < 3:
        return False
    err = params[-1]
    for n in nodes:
        if isinstance(n, ast.Call) and tf.call_name(n) not in _ONLY_SHOWS:
            if any(isinstance(x, ast.Name) and x.id == err for a in n.args for x in subtree(a)):
                return True
        if isinstance(n, ast.Assign) and any(isinstance(x, ast.Name) and x.id == err for x in subtree(n.value)):
            return True
    return False


@register
class TestFrameworkPatched(Rule):
    """Pytest or unittest internals are patched so that results read as success.

    What it does: finds assignments (`X.attr = ...`, `setattr(X, "attr", ...)`) to objects imported
    from `_pytest`, `pytest`, `unittest` or `pluggy` — `TestReport.from_item_and_call`,
    `CallInfo.from_call`, `TestResult.wasSuccessful`/`addFailure`, `TestCase.assertEqual`,
    `pytest.fail` — and reassigning `builtins.AssertionError`; and `unittest.TestResult` subclasses
    whose `wasSuccessful` always returns True or whose `addFailure`/`addError` drop the failure.
    Settings such as `TestCase.maxDiff` and result subclasses that call `super()` (timing, extra
    output) are not reported.

    Why is this bad: product code imported during the run executes inside the test process; a
    patched report factory or result class marks every failing test as passed.

    Example:
        from _pytest.reports import TestReport
        _orig = TestReport.from_item_and_call
        def _patched(item, call):
            rep = _orig(item, call)
            rep.outcome = "passed"
            return rep
        TestReport.from_item_and_call = _patched

    Use instead: never modify the test framework from code under test.
    """

    id = "SG207"
    name = "test-framework-patched"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        origins = ph.import_origins(tree)
        if not any(o.split(".")[0] in _FRAMEWORKS + ("builtins",) for o in origins.values()):
            return
        # `R = unittest.TestResult` then `R.wasSuccessful = ...`
        for st in tree.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                r = ph.resolve(st.value, origins)
                if r.split(".")[0] in _FRAMEWORKS:
                    origins.setdefault(st.targets[0].id, r)
        # statements that may write an attribute or subclass a result class, reported in source order:
        # from the index, the assignments to an attribute of a framework name, the statements made
        # of a `setattr(...)` call, and the classes (instead of every statement of the file)
        found = []
        setattrs = [st for c in ctx.calls_named(_SETATTR) if (st := statement_making(ctx, c)) is not None]
        # (a write reports only an attribute of a framework name; the `setattr` statements are in `setattrs`)
        writes = [n for n in ctx.of(ast.Assign, ast.AugAssign, ast.AnnAssign)
                  if any(type(t) is ast.Attribute and dotted(t.value, through_calls=True).split(".")[0] in origins
                         for t in _targets(n))]
        for node in {id(n): n for n in writes + setattrs + ctx.of(ast.ClassDef)}.values():
            if hits := list(self._statement(cf, ctx, node, origins)):
                found.append((node.lineno, node.col_offset, hits))
        found.sort(key=lambda f: f[:2])
        for *_, hits in found:
            yield from hits

    def _statement(self, cf: ChangedFile, ctx: Context, node: ast.AST, origins: dict[str, str]) -> Iterator[Finding]:
        for t in _targets(node):
            if isinstance(t, ast.Attribute) and dotted(t.value, through_calls=True).split(".")[0] in origins:
                yield from self._write(cf, ctx, node, ph.resolve(t.value, origins), t.attr)
        for call in calls_in(node):
            sa = _setattr_call(call)
            if sa:
                yield from self._write(cf, ctx, node, ph.resolve(sa[0], origins), sa[1])
        if isinstance(node, ast.ClassDef) and any(ph.resolve(b, origins) in _RESULT_CLASSES for b in node.bases):
            for s in node.body:
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in ("wasSuccessful", "addFailure", "addError"):
                    why = _trivial_result(s)
                    if why:
                        yield self.finding(cf, s.lineno, f"{node.name}: {why}", end_line=s.lineno)

    def _write(self, cf: ChangedFile, ctx: Context, node: ast.AST, base: str, attr: str) -> Iterator[Finding]:
        root = base.split(".")[0]
        if root == "builtins" and attr == "AssertionError":
            yield self.finding(cf, node, "builtins.AssertionError is replaced, so failed asserts raise something else")
        elif root in _FRAMEWORKS:
            if attr in _VERDICT_ATTRS or attr.startswith("assert"):
                conds = ctx.conditions(node, ctx.tree)  # the `if`s above it
                opt_in = bool(conds) and bool(_OPTION_GUARD.search(_text(conds)))
                # a plugin doing it behind a command-line option (e.g. pytest's own --runxfail) is opt-in
                yield self.finding(cf, node, f"{base}.{attr} is replaced" + (" when an option asks for it" if opt_in else
                                   " from outside the test framework"),
                                   severity=Severity.LOW if opt_in else None, confidence=Confidence.MEDIUM if opt_in else None)
            elif root == "_pytest":
                yield self.finding(cf, node, f"{base}.{attr} is modified", severity=Severity.LOW,
                                   confidence=Confidence.MEDIUM)


_SETATTR = frozenset({"setattr"})


