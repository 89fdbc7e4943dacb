"""SG108 assertion-swallowed: Assertions wrapped in a `try` whose `except` swallows the failure."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, context
from specgap.analysis.names import dotted
from specgap.analysis.stmts import calls_in, statements
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _tree

_BROAD = frozenset({"AssertionError", "Exception", "BaseException"})


def _is_broad(t: ast.AST) -> bool:
    name = dotted(t, through_calls=True)
    return name in _BROAD or name.startswith("builtins.") and name[9:] in _BROAD


def _catches_failure(h: ast.ExceptHandler) -> bool:
    if h.type is None:
        return True
    return any(_is_broad(t) for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))


def _names_assertion_error(h: ast.ExceptHandler) -> bool:
    types = [] if h.type is None else h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
    return any(dotted(t, through_calls=True) in ("AssertionError", "builtins.AssertionError") for t in types)


def _expects_exception(body: list[ast.stmt]) -> bool:
    """The try body raises or fails on purpose (`f(); pytest.fail(...)`): the handler catches that, by design."""
    return any(isinstance(st, ast.Raise) or any(tf.call_name(c) == "fail" for c in calls_in(st))
               for st in statements(ast.Module(body=body, type_ignores=[]), into_defs=False))


def _reraises(body: list[ast.stmt], exc_name: str | None) -> bool:
    """The handler fails the test anyway (raise, pytest.fail, self.fail, an assert) or keeps the error."""
    for st in statements(ast.Module(body=body, type_ignores=[])):
        if isinstance(st, ast.Raise):
            return True
        if isinstance(st, ast.Assert) and tf.tautology(st.test) is None:
            return True
        for n in calls_in(st):
            if tf.is_check_call(n) and tf.check_tautology(n) is None:
                return True
            if tf.call_name(n) in ("append", "add", "put", "extend", "set_exception", "_addexcinfo") and any(
                    isinstance(a, ast.Name) and a.id == exc_name or isinstance(a, ast.Call)
                    and tf.call_name(a) in ("format_exc", "exc_info", "from_current") for a in n.args):
                return True  # collected for a later check
    return False


def _own_checks(stmts: list[ast.stmt]) -> bool:
    """Checks in `stmts`, not counting nested function definitions."""
    holder = ast.Module(body=stmts, type_ignores=[])
    return any(isinstance(st, ast.Assert) or any(tf.is_check_call(c) for c in calls_in(st))
               for st in statements(holder, into_defs=False))


@register
class AssertionSwallowed(Rule):
    """Assertions wrapped in a `try` whose `except` swallows the failure.

    What it does: finds `try` blocks around assertions whose handler catches `AssertionError`,
    `Exception`, `BaseException` or everything, and then passes, continues, returns or logs
    without failing the test; also `contextlib.suppress(AssertionError)` around assertions.
    Outside test code only handlers that name `AssertionError` and do nothing count (asserts used
    as validation with a fallback are a product-code idiom). Inside a retry loop it is
    reported low (the loop usually fails later); a `try` whose body raises or calls `fail()` on
    purpose (expecting the check to fail) is not reported.

    Why is this bad: the assertion still runs but its failure never reaches the runner, so the test
    passes whatever the result.

    Example:
        try:
            assert result == expected
        except AssertionError:
            pass

    Use instead: let the assertion fail; use `pytest.raises` to test for an expected exception.
    """

    id = "SG108"
    name = "assertion-swallowed"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    _any_broad = True

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None or not _may_swallow(context(tree)):
            return
        # in test code any broad handler counts; elsewhere only one that names AssertionError,
        # since product code catches `Exception` around asserts-as-validation for honest reasons
        self._any_broad = cf.role is FileRole.TEST or bool(tf.test_functions(tree))
        ctx = context(tree)
        for child in ctx.of(ast.Try, ast.With, ast.AsyncWith):  # from the index: no walk of every statement
            yield from self._check(cf, child, _in_loop(ctx, child))

    def _check(self, cf: ChangedFile, child: ast.AST, in_loop: bool) -> Iterator[Finding]:
        if (isinstance(child, ast.Try) and _own_checks(child.body) and not _expects_exception(child.body)
                and not _fails_otherwise(child.orelse)):
            for h in child.handlers:
                catches = _catches_failure(h) if self._any_broad else (
                    _names_assertion_error(h) and tf.trivial_body(h))
                if catches and not _reraises(h.body, h.name) and cf.touches(child.lineno, h.lineno):
                    yield self.finding(
                        cf, child.lineno,
                        "assertion failures inside this try are caught and dropped"
                        + (" (inside a loop: a retry?)" if in_loop else ""),
                        end_line=h.end_lineno,
                        severity=Severity.LOW if in_loop else None,
                        confidence=Confidence.MEDIUM if in_loop else None,
                    )
                    break
        elif isinstance(child, (ast.With, ast.AsyncWith)) and _own_checks(child.body):
            for item in child.items:
                e = item.context_expr
                if (isinstance(e, ast.Call) and tf.call_name(e) == "suppress"
                        and any(_is_broad(a) if self._any_broad else dotted(a, through_calls=True) == "AssertionError" for a in e.args)
                        and cf.touches(child.lineno)):
                    yield self.finding(cf, child.lineno, "assertion failures inside this block are suppressed",
                                       end_line=child.lineno)


def _in_loop(ctx: Context, node: ast.AST) -> bool:
    """Whether a loop of the same function holds `node` (a retry, most likely)."""
    for p in ctx.ancestors(node):
        if isinstance(p, (ast.For, ast.AsyncFor, ast.While)):
            return True
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
    return False


def _may_swallow(ctx: Context) -> bool:
    """Whether the file has a `try` or a `with suppress(...)` at all (most test files have neither)."""
    return bool(ctx.of(ast.Try)) or any(isinstance(i.context_expr, ast.Call) and tf.call_name(i.context_expr) == "suppress"
                                        for w in ctx.of(ast.With, ast.AsyncWith) for i in w.items)  # type: ignore[attr-defined]


def _fails_otherwise(orelse: list[ast.stmt]) -> bool:
    """`try: assert_equal(a, b) except AssertionError: return else: raise ...`: an assertion that
    two things differ (the failure is the expected path), not a swallowed failure."""
    return any(isinstance(s, ast.Raise) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
               and tf.call_name(s.value) == "fail" for s in orelse)
