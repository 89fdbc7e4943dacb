"""SG408 hard-coded-answer: A function that returns the tests' expected value and never looks at its input."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import context
from specgap.analysis.flow import const_value, names_read, returns
from specgap.analysis.names import param_names
from specgap.analysis.testfns import FuncDef
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _NON_TEST, _keeps_test, _Tests


@register
class HardCodedAnswer(Rule):
    """A function that returns the tests' expected value and never looks at its input.

    What it does: finds plain functions with parameters whose every `return` gives the same
    constant, that constant being what a test expects from a call to that function
    (`def solution(s): return "4"` for `assert solution("5\\n5 5 2 5 2") == "4"`). High when the
    parameters are never read and the constant is specific (a long string, a large number, a
    list); medium when the function reads its input but still answers with the constant. Common
    values (`0`, `1`, `True`, `""`, `None`) are not reported.

    Why is this bad: the test checks one input and the function answers that input by heart;
    it passes while computing nothing.

    Example:
        def super_egg_drop(k, n):    # the tests: assert super_egg_drop(3, 14) == 5
            return 5

    Use instead: compute the answer from the arguments.
    """

    id = "SG408"
    name = "hard-coded-answer"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def keeps(self, cf: ChangedFile) -> bool:
        if cf.role is FileRole.TEST:
            return _keeps_test(cf)
        if cf.role not in self.roles or cf.after is None:
            return False
        found = cf.after.notes[self.id] = any(_answer(fn) is not None for fn in _functions(cf.after.tree))
        return found

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tests = _Tests.of(changeset)
        for cf in changeset.files:
            # (a file noted without a constant-answering function while its tree was at hand: none)
            if cf.after is not None and cf.role in self.roles and cf.after.notes.get(self.id, True):
                for fn in _functions(cf.after.tree):
                    yield from self._check_fn(cf, fn, tests)

    def _check_fn(self, cf: ChangedFile, fn: FuncDef, tests: _Tests) -> Iterator[Finding]:
        answer = _answer(fn)
        if answer is None:
            return
        texts, spec, reads = answer
        how = "reads its input but always returns" if reads else "ignores its input and returns"
        if tests.get().call_expects(fn.name, texts):
            sev = Severity.HIGH if spec >= 2 and not reads else Severity.MEDIUM
            yield self.finding(cf, fn, f"`{fn.name}` {how} {next(iter(texts))!r}, the value the tests expect from it",
                               severity=sev, end_line=fn.body[-1].end_lineno)
        elif tests.new().call_expects(fn.name, texts):
            yield self.finding(cf, fn, f"`{fn.name}` {how} {next(iter(texts))!r}, the value a test added by the change "
                               "expects from it", severity=Severity.LOW, confidence=Confidence.LOW,
                               end_line=fn.body[-1].end_lineno)


def _functions(tree: ast.Module | None) -> list[FuncDef]:
    """The module-level functions."""
    if tree is None:
        return []
    return [scope for scope, owner, _ in context(tree).scopes
            if owner is None and isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _answer(fn: FuncDef) -> tuple[set[str], int, bool] | None:
    """(the constant's texts, its specificity, whether the function reads its parameters) of a
    function with parameters whose every return gives one specific constant; else None."""
    params = set(param_names(fn))
    if not params or not isinstance(fn.body[-1], ast.Return):
        return None
    if const_value(fn.body[-1].value) is cases.NO:  # the last return decides most functions: no walk for them
        return None
    values = [const_value(r) for r in returns(fn)]
    if not values or any(v is cases.NO for v in values):
        return None
    texts = {cases.text(v) for v in values}
    spec = cases.specificity(values[0])
    if len(texts) != 1 or spec == 0:
        return None
    return texts, spec, bool(params & names_read(fn))
