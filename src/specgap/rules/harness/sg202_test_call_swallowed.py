"""SG202 test-call-swallowed: A pytest hook stops the test body from running, or swallows its failure."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import pytest_hooks as ph
from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, local_nodes, subtree
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._shared import _attr_writes

_CALL_HOOKS = frozenset({"pytest_pyfunc_call", "pytest_runtest_call", "pytest_runtest_protocol", "pytest_runtestloop"})
# Accessing any of these means the hook runs the test (or hands it on).
_RUNS_TEST = frozenset({"obj", "_obj", "runtest", "function", "runtestprotocol", "call_and_report",
                        "call_runtest_hook", "perform_collect", "items", "pytest_runtest_protocol"})


def _swallows(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        broad = h.type is None or any(dotted(t, through_calls=True).rsplit(".", 1)[-1] in ("Exception", "BaseException", "AssertionError")
                                      for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))
        if broad and not any(isinstance(n, ast.Raise) for n in subtree(ast.Module(body=h.body, type_ignores=[]))):
            return True
    return False


@register
class TestCallSwallowed(Rule):
    """A pytest hook stops the test body from running, or swallows its failure.

    What it does: finds `pytest_pyfunc_call` / `pytest_runtest_protocol` / `pytest_runtestloop`
    implementations that return True without ever calling the test, wrappers around
    `pytest_runtest_call`/`pytest_pyfunc_call` that catch the test's exception and drop it
    (`try: yield except Exception: pass`, `outcome.force_result(None)`), and test functions replaced
    by a constant lambda (`item.obj = lambda *a, **k: None`, `item.runtest = lambda: None`).

    Why is this bad: pytest counts a test whose call hook returned normally as passed; no assertion
    in it ever ran.

    Example:
        def pytest_pyfunc_call(pyfuncitem):
            return True

    Use instead: let pytest call the test; to change how a test is called (async, retries), call
    `pyfuncitem.obj` yourself and let its exceptions propagate.
    """

    id = "SG202"
    name = "test-call-swallowed"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        for fn in ph.hook_impls(tree):
            if fn.name in _CALL_HOOKS:
                yield from self._call_hook(cf, fn)
            for stmt, attr, value in _attr_writes(fn):
                if attr in ("obj", "runtest") and isinstance(value, ast.Lambda) and (
                        isinstance(value.body, ast.Constant) or ast.dump(value.body) == ast.dump(ast.Constant(value=None))):
                    yield self.finding(cf, stmt, f"{fn.name} replaces the test with a lambda that does nothing")

    def _call_hook(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        nodes = list(local_nodes(fn))
        if ph.is_wrapper(fn):
            for n in nodes:
                if isinstance(n, ast.Try) and any(isinstance(x, (ast.Yield, ast.YieldFrom)) for s in n.body for x in subtree(s)) \
                        and _swallows(n.handlers):
                    yield self.finding(cf, n.lineno, f"{fn.name} wrapper catches the test's exception and drops it",
                                       end_line=n.handlers[0].lineno)
                elif (isinstance(n, ast.Call) and tf.call_name(n) == "force_result"
                      and fn.name in ("pytest_pyfunc_call", "pytest_runtest_call")):
                    yield self.finding(cf, n, f"{fn.name} wrapper replaces the test's outcome with `force_result`")
            return
        runs = any(isinstance(n, ast.Attribute) and n.attr in _RUNS_TEST or isinstance(n, ast.Name) and n.id in _RUNS_TEST
                   or isinstance(n, ast.Call) and tf.call_name(n) in _RUNS_TEST for n in nodes)
        if fn.name == "pytest_runtestloop":
            # loop implementations (xdist) hand tests to workers through their own methods: only an
            # empty loop is evidence
            runs = runs or any(isinstance(n, ast.Call) for n in nodes)
        returns_true = [n for n in nodes if isinstance(n, ast.Return) and n.value is not None and tf.truthy_constant(n.value)]
        if not runs and returns_true and fn.name != "pytest_runtest_call":
            yield self.finding(cf, returns_true[0], f"{fn.name} returns True without running the test",
                               end_line=returns_true[0].lineno)
        for n in nodes:
            if isinstance(n, ast.Try) and _swallows(n.handlers) and any(
                    isinstance(x, ast.Attribute) and x.attr in ("obj", "runtest", "function") for s in n.body for x in subtree(s)):
                yield self.finding(cf, n.lineno, f"{fn.name} runs the test inside a try that drops its exception",
                                   end_line=n.handlers[0].lineno)
