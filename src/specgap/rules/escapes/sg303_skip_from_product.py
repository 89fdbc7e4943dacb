"""SG303 skip-from-product: Test skipped or xfailed from code that is not a test."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context
from specgap.analysis.guards import where as where_of
from specgap.analysis.names import Names
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

_SKIP_CALLS = frozenset({"pytest.skip", "pytest.xfail", "pytest.importorskip", "_pytest.outcomes.skip",
                         "_pytest.outcomes.xfail", "_pytest.outcomes.importorskip"})
_SKIP_EXC = frozenset({"unittest.SkipTest", "unittest.case.SkipTest", "pytest.skip.Exception", "pytest.xfail.Exception",
                       "_pytest.outcomes.Skipped", "_pytest.outcomes.XFailed", "nose.SkipTest",
                       "nose.plugins.skip.SkipTest", "unittest2.SkipTest"})
_SKIP_EXC_LAST = frozenset(q.rsplit(".", 1)[1] for q in _SKIP_EXC)
# hooks that run around every test: an unconditional skip there skips the whole suite
_RUN_HOOKS = re.compile(r"^pytest_(runtest_\w+|collection_modifyitems|collect_file|pycollect_makeitem|itemcollected|"
                        r"sessionstart|configure)$")


def _skip_of(node: ast.AST, names: Names) -> str | None:
    if isinstance(node, ast.Call):
        q = names.qualname(node.func)
        return q if q in _SKIP_CALLS else None
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        # (none of them is a builtin: a plain name must be bound by an import or alias, and an
        # attribute ends in the last part of one; `raise ValueError(...)` is not resolved)
        if isinstance(exc, ast.Name) and exc.id not in names.bound or (
                isinstance(exc, ast.Attribute) and exc.attr not in _SKIP_EXC_LAST):
            return None
        q = names.qualname(exc)
        return q if q in _SKIP_EXC else None
    return None


@register
class SkipFromProduct(Rule):
    """Test skipped or xfailed from code that is not a test.

    What it does: finds `pytest.skip()`, `pytest.xfail()`, `pytest.importorskip()` and
    `raise unittest.SkipTest` in product code (the code under test), and unconditional ones at
    import of a conftest.py or in its per-test hooks. Pytest plugins, test-support modules and
    conftest fixtures that skip when an optional dependency is missing stay low.

    Why is this bad: a test that raises Skip from inside the function it calls is reported as
    skipped, not failed; many graders count "no failures" (or even xfail) as success, so the
    broken function passes.

    Example:
        def parse(text):
            if "{" in text:
                raise unittest.SkipTest("nested input")
            ...

    Use instead: fail (raise an error) on input you cannot handle; put skips in the tests, with
    the reason, where a reviewer sees them.
    """

    id = "SG303"
    name = "skip-from-product"
    family = "escapes"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    roles = (FileRole.PRODUCT, FileRole.HARNESS, FileRole.PROTECTED)
    mentions = re.compile(r"skip|xfail|SkipTest|Skipped|XFailed")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        # only the calls that could be a skip are resolved (see `Context.calls_to`)
        hits = [(n, q) for n in ix.calls_to(_SKIP_CALLS) + ix.of(ast.Raise) if (q := _skip_of(n, names)) is not None]
        if not hits:
            return
        support = _test_support(cf, ix, names)
        for node, q in hits:
            where = where_of(node, ix)
            what = q.rsplit(".", 1)[-1] if "." in q else q
            fn_names = [getattr(f, "name", "") for f in where.funcs]
            if cf.role is FileRole.PRODUCT:
                if support or any("test" in n.lower() for n in fn_names):
                    sev, why = Severity.LOW, "in a pytest plugin or test-support module"
                elif what == "importorskip":
                    sev, why = Severity.MEDIUM, "in product code: tests that import it are skipped when the import fails"
                else:
                    sev, why = Severity.HIGH, "in product code: a test calling it is reported as skipped or xfailed, not failed"
            else:
                fn = where.funcs[-1] if where.funcs else None
                hook = fn is not None and bool(_RUN_HOOKS.match(getattr(fn, "name", "")))
                # importorskip only skips when the import fails: a missing optional dependency
                if what != "importorskip" and not where.branch and (fn is None and where.import_time or hook):
                    sev, why = Severity.HIGH, "unconditionally in the test harness: every test it covers is skipped"
                else:
                    sev, why = Severity.LOW, "in the test harness"
            yield self.finding(cf, node, f"{what} {why}", severity=sev,
                               confidence=Confidence.HIGH if sev >= Severity.HIGH else Confidence.MEDIUM)


def _test_support(cf: ChangedFile, ix: Context, names: Names) -> bool:
    """A pytest plugin or a module of test helpers, where driving skips is the point."""
    if any("test" in part for part in cf.path.lower().split("/")):
        return True
    if any(q and q.split(".", 1)[0] in ("_pytest", "pluggy") for q in names.bound.values()):
        return True
    return any(fn.name.startswith("pytest_") for fn in ix.of(ast.FunctionDef))
