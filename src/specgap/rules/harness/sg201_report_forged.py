"""SG201 report-forged: A pytest hook rewrites test reports so that failures read as passes."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import pytest_hooks as ph
from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, local_nodes
from specgap.analysis.stmts import statements
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._shared import _attr_writes, _const, _text

# Words in a guard that show the outcome follows the test's real result (xfail/skip semantics).
_HONEST_GUARD = re.compile(r"xfail|wasxfail|skip|SkipTest|errisinstance|marker|keywords|unexpected", re.I)
_REPORT_HOOKS = frozenset({"pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_report_teststatus",
                           "pytest_runtest_logfinish", "pytest_runtest_logstart"})


def _imports_pytest(tree: ast.Module) -> bool:
    return any(o.split(".")[0] in ("pytest", "_pytest") for o in ph.import_origins(tree).values())


@register
class ReportForged(Rule):
    """A pytest hook rewrites test reports so that failures read as passes.

    What it does: looks at `pytest_runtest_makereport` (plain or hookwrapper, incl.
    `outcome = yield; rep = outcome.get_result()`), `pytest_runtest_logreport`,
    `pytest_report_teststatus` and any function in a pytest-importing module that sets a report's
    `outcome` to "passed"/"skipped", sets `longrepr = None`, calls `force_result`, or returns a
    "passed" status. Critical when the new outcome is a constant chosen without regard to xfail/skip
    semantics; low when it follows the real exception info the way pytest's own skipping and
    unittest plugins do.

    Why is this bad: the tests still run and still fail, but the report the grader reads says
    they passed.

    Example:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            rep = outcome.get_result()
            rep.outcome = "passed"
            rep.longrepr = None

    Use instead: fix the failing code. Hooks that only read reports (e.g. storing
    `item.rep_call` for fixtures) are fine.
    """

    id = "SG201"
    name = "report-forged"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    mentions = re.compile(r"outcome|longrepr|force_|teststatus")

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        hooks = [f for f in ph.hook_impls(tree) if f.name in _REPORT_HOOKS]
        others: list[tf.FuncDef] = []
        if _imports_pytest(tree):
            hook_ids = {id(h) for h in hooks}
            others = [n for n in statements(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(n) not in hook_ids]
        for fn in hooks + others:
            yield from self._function(cf, ctx, fn, is_hook=fn.name in _REPORT_HOOKS)

    def _function(self, cf: ChangedFile, ctx: Context, fn: tf.FuncDef, is_hook: bool) -> Iterator[Finding]:
        sets_wasxfail = any(attr == "wasxfail" for _n, attr, _v in _attr_writes(fn))
        for stmt, attr, value in _attr_writes(fn):
            v = _const(value)
            if attr == "outcome" and v in ("passed", "skipped"):
                what = f'sets the report outcome to "{v}"'
            elif attr == "longrepr" and v is None:
                what = "drops the failure report (`longrepr = None`)"
            elif attr == "outcome" and is_hook and v is ... and value is not None:
                what = "sets the report outcome to a computed value"
            else:
                continue
            conds = ctx.conditions(stmt, fn)
            honest = sets_wasxfail or bool(_HONEST_GUARD.search(_text(conds)))
            computed = v is ...
            sev = Severity.LOW if honest or computed else Severity.CRITICAL
            yield self.finding(
                cf, stmt, f"{fn.name} {what}" + (" under xfail/skip handling" if honest else "")
                + ("" if conds or honest else " for every test"),
                severity=sev, confidence=Confidence.MEDIUM if sev is Severity.LOW else None,
            )
        if not is_hook:
            return
        for n in local_nodes(fn):
            if isinstance(n, ast.Call) and tf.call_name(n) in ("force_result", "force_exception") and fn.name != "pytest_report_teststatus":
                honest = bool(_HONEST_GUARD.search(_text(ctx.conditions(n, fn))))
                yield self.finding(cf, n, f"{fn.name} replaces the hook's result with `{tf.call_name(n)}`",
                                   severity=Severity.LOW if honest else Severity.HIGH)
            elif fn.name == "pytest_report_teststatus" and isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple):
                first = n.value.elts[0] if n.value.elts else None
                if _const(first) != "passed":
                    continue
                conds = _text(ctx.conditions(n, fn))
                if re.search(r"\.passed\b|outcome\s*==\s*['\"]passed", conds):
                    continue  # relabels real passes (custom letters/words)
                yield self.finding(cf, n, 'pytest_report_teststatus reports "passed" for reports that did not pass')
