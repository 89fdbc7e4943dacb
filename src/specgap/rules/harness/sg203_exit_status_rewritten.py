"""SG203 exit-status-rewritten: A pytest hook rewrites the session's exit status or failure count."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import pytest_hooks as ph
from specgap.analysis.context import Context, local_nodes
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._shared import _const, _targets, _text


def _is_ok_status(node: ast.AST | None) -> bool:
    """`0`, `ExitCode.OK`, `pytest.ExitCode.OK`, `False`."""
    if isinstance(node, ast.Constant):
        return node.value in (0, False)
    return dotted(node, through_calls=True).endswith("ExitCode.OK") if node is not None else False


@register
class ExitStatusRewritten(Rule):
    """A pytest hook rewrites the session's exit status or failure count.

    What it does: finds pytest hooks (typically `pytest_sessionfinish`) that set
    `session.exitstatus` (or the `exitstatus` argument) to 0 / `ExitCode.OK`, or reset
    `session.testsfailed`. Mapping only "no tests collected" (exit code 5) to 0 is reported low.

    Why is this bad: the runner's exit code is what many graders read; forcing it to 0 makes a run
    with failures look green.

    Example:
        def pytest_sessionfinish(session, exitstatus):
            session.exitstatus = 0

    Use instead: let the exit status reflect the results.
    """

    id = "SG203"
    name = "exit-status-rewritten"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        for fn in ph.hook_impls(tree):
            for n in local_nodes(fn):
                for t in _targets(n):
                    name = dotted(t, through_calls=True).rsplit(".", 1)[-1]
                    value = getattr(n, "value", None)
                    if name == "exitstatus" and _is_ok_status(value):
                        what = "sets the exit status to success"
                    elif name == "testsfailed" and _const(value) == 0:
                        what = "resets the failure count"
                    else:
                        continue
                    conds = _text(ctx.conditions(n, fn))
                    no_tests_only = bool(re.search(r"NO_TESTS_COLLECTED|==\s*5\b", conds))
                    yield self.finding(
                        cf, n, f"{fn.name} {what}" + (" when no tests were collected" if no_tests_only else ""),
                        severity=Severity.LOW if no_tests_only else None,
                        confidence=Confidence.MEDIUM if no_tests_only else None,
                    )
