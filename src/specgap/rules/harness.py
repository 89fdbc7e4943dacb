"""SG2xx harness tampering: what runs, collects and reports the tests was changed.

Pytest plugins and test-runner projects legitimately implement the same hooks and subclass the
same classes, so each rule weighs the evidence: a constant "passed", a dropped failure report, a
collection filter nobody can switch off reach high; code that derives an outcome from the real
exception info, or filters only behind a command-line option, stays low.
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity, Status
from specgap.python import pytest_hooks as ph
from specgap.python import testfns as tf
from specgap.rules import register
from specgap.rules.base import Rule

_FRAMEWORKS = ("_pytest", "pytest", "unittest", "pluggy")
# Words in a guard that show the outcome follows the test's real result (xfail/skip semantics).
_HONEST_GUARD = re.compile(r"xfail|wasxfail|skip|SkipTest|errisinstance|marker|keywords|unexpected", re.I)
# Guards that only select an option the user must pass.
_OPTION_GUARD = re.compile(r"getoption|getvalue|\.option\b|\.option\.|getini|environ|getenv|addopts", re.I)


def _text(nodes: list[ast.expr]) -> str:
    return " ".join(ast.unparse(n) for n in nodes)


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _setattr_call(node: ast.AST) -> tuple[ast.expr, str, ast.expr] | None:
    """`setattr(obj, "name", value)` as (obj, name, value)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
            and len(node.args) == 3 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return node.args[0], node.args[1].value, node.args[2]
    return None


def _attr_writes(fn: tf.FuncDef) -> Iterator[tuple[ast.AST, str, ast.expr | None]]:
    """(statement, attribute name, value) for `x.attr = v` and `setattr(x, "attr", v)` in `fn`."""
    for n in ph.walk_own(fn):
        for t in _targets(n):
            if isinstance(t, ast.Attribute):
                yield n, t.attr, getattr(n, "value", None)
        sa = _setattr_call(n)
        if sa:
            yield n, sa[1], sa[2]


def _python_trees(cf: ChangedFile) -> ast.Module | None:
    return cf.after.tree if cf.after is not None and cf.is_python else None


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
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _python_trees(cf)
        if tree is None:
            return
        hooks = [f for f in ph.hook_impls(tree) if f.name in _REPORT_HOOKS]
        others = []
        if _imports_pytest(tree):
            hook_ids = {id(h) for h in hooks}
            others = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(n) not in hook_ids]
        for fn in hooks + others:
            yield from self._function(cf, fn, is_hook=fn.name in _REPORT_HOOKS)

    def _function(self, cf: ChangedFile, fn: tf.FuncDef, is_hook: bool) -> Iterator[Finding]:
        g: dict[int, list[ast.expr]] | None = None
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
            g = g if g is not None else ph.guards(fn)
            conds = g.get(id(stmt), [])
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
        for n in ph.walk_own(fn):
            if isinstance(n, ast.Call) and tf.call_name(n) in ("force_result", "force_exception") and fn.name != "pytest_report_teststatus":
                g = g if g is not None else ph.guards(fn)
                honest = bool(_HONEST_GUARD.search(_text(g.get(id(n), []))))
                yield self.finding(cf, n, f"{fn.name} replaces the hook's result with `{tf.call_name(n)}`",
                                   severity=Severity.LOW if honest else Severity.HIGH)
            elif fn.name == "pytest_report_teststatus" and isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple):
                first = n.value.elts[0] if n.value.elts else None
                if _const(first) != "passed":
                    continue
                g = g if g is not None else ph.guards(fn)
                conds = _text(g.get(id(n), []))
                if re.search(r"\.passed\b|outcome\s*==\s*['\"]passed", conds):
                    continue  # relabels real passes (custom letters/words)
                yield self.finding(cf, n, 'pytest_report_teststatus reports "passed" for reports that did not pass')


_CALL_HOOKS = frozenset({"pytest_pyfunc_call", "pytest_runtest_call", "pytest_runtest_protocol", "pytest_runtestloop"})
# Accessing any of these means the hook runs the test (or hands it on).
_RUNS_TEST = frozenset({"obj", "_obj", "runtest", "function", "runtestprotocol", "call_and_report", "ihook",
                        "call_runtest_hook", "perform_collect", "items"})


def _swallows(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        broad = h.type is None or any(tf.dotted(t).rsplit(".", 1)[-1] in ("Exception", "BaseException", "AssertionError")
                                      for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))
        if broad and not any(isinstance(n, ast.Raise) for n in ast.walk(ast.Module(body=h.body, type_ignores=[]))):
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
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _python_trees(cf)
        if tree is None:
            return
        for fn in ph.hook_impls(tree):
            if fn.name in _CALL_HOOKS:
                yield from self._call_hook(cf, fn)
            for stmt, attr, value in _attr_writes(fn):
                if attr in ("obj", "runtest") and isinstance(value, ast.Lambda) and (
                        isinstance(value.body, ast.Constant) or ast.dump(value.body) == ast.dump(ast.Constant(value=None))):
                    yield self.finding(cf, stmt, f"{fn.name} replaces the test with a lambda that does nothing")

    def _call_hook(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        nodes = list(ph.walk_own(fn))
        if ph.is_wrapper(fn):
            for n in nodes:
                if isinstance(n, ast.Try) and any(isinstance(x, (ast.Yield, ast.YieldFrom)) for s in n.body for x in ast.walk(s)) \
                        and _swallows(n.handlers):
                    yield self.finding(cf, n.lineno, f"{fn.name} wrapper catches the test's exception and drops it",
                                       end_line=n.handlers[0].lineno)
                elif (isinstance(n, ast.Call) and tf.call_name(n) == "force_result"
                      and fn.name in ("pytest_pyfunc_call", "pytest_runtest_call")):
                    yield self.finding(cf, n, f"{fn.name} wrapper replaces the test's outcome with `force_result`")
            return
        runs = any(isinstance(n, ast.Attribute) and n.attr in _RUNS_TEST or isinstance(n, ast.Name) and n.id in _RUNS_TEST
                   or isinstance(n, ast.Call) and tf.call_name(n) in _RUNS_TEST for n in nodes)
        returns_true = [n for n in nodes if isinstance(n, ast.Return) and n.value is not None and tf.truthy_constant(n.value)]
        if not runs and returns_true and fn.name != "pytest_runtest_call":
            yield self.finding(cf, returns_true[0], f"{fn.name} returns True without running the test",
                               end_line=returns_true[0].lineno)
        for n in nodes:
            if isinstance(n, ast.Try) and _swallows(n.handlers) and any(
                    isinstance(x, ast.Attribute) and x.attr in ("obj", "runtest", "function") for s in n.body for x in ast.walk(s)):
                yield self.finding(cf, n.lineno, f"{fn.name} runs the test inside a try that drops its exception",
                                   end_line=n.handlers[0].lineno)


def _is_ok_status(node: ast.AST | None) -> bool:
    """`0`, `ExitCode.OK`, `pytest.ExitCode.OK`, `False`."""
    if isinstance(node, ast.Constant):
        return node.value in (0, False)
    return tf.dotted(node).endswith("ExitCode.OK") if node is not None else False


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
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _python_trees(cf)
        if tree is None:
            return
        for fn in ph.hook_impls(tree):
            g: dict[int, list[ast.expr]] | None = None
            for n in ph.walk_own(fn):
                for t in _targets(n):
                    name = tf.dotted(t).rsplit(".", 1)[-1]
                    value = getattr(n, "value", None)
                    if name == "exitstatus" and _is_ok_status(value):
                        what = "sets the exit status to success"
                    elif name == "testsfailed" and _const(value) == 0:
                        what = "resets the failure count"
                    else:
                        continue
                    g = g if g is not None else ph.guards(fn)
                    conds = _text(g.get(id(n), []))
                    no_tests_only = bool(re.search(r"NO_TESTS_COLLECTED|==\s*5\b", conds))
                    yield self.finding(
                        cf, n, f"{fn.name} {what}" + (" when no tests were collected" if no_tests_only else ""),
                        severity=Severity.LOW if no_tests_only else None,
                        confidence=Confidence.MEDIUM if no_tests_only else None,
                    )


def _looks_like_tests(value: str) -> bool:
    """A path or glob that names test files, or matches everything."""
    return "test" in value.lower() or value.strip("/") in ("*", "*.py", "**", "**/*.py", ".")


def _skip_mark(node: ast.AST, skip_vars: set[str]) -> bool:
    name = tf.dotted(node)
    return name.rsplit(".", 1)[-1] in ("skip", "xfail") and ".mark." in f".{name}" or (
        isinstance(node, ast.Name) and node.id in skip_vars)


@register
class CollectionNarrowed(Rule):
    """A conftest or plugin drops tests from collection, or marks them all skipped.

    What it does: finds `pytest_collection_modifyitems` removing items (`items[:] = [...if...]`,
    `items.clear()`, `del items[...]`, `items.remove/pop`, `config.hook.pytest_deselected`) or
    adding skip/xfail markers; `pytest_ignore_collect` returning True; `collect_ignore` /
    `collect_ignore_glob` listing test files; unittest `load_tests` that drops the module's tests.
    Unconditional: high. Behind a command-line option or environment variable (the documented
    `--runslow` recipe) or a version check: low. Reordering and adding other markers are fine.

    Why is this bad: tests that are never collected cannot fail; the run is green with fewer tests.

    Example:
        def pytest_collection_modifyitems(config, items):
            items[:] = [i for i in items if "hard" not in i.name]

    Use instead: keep every test in the run; select tests on the command line, visibly.
    """

    id = "SG204"
    name = "collection-narrowed"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _python_trees(cf)
        if tree is None:
            return
        for fn in ph.hook_impls(tree):
            if fn.name == "pytest_collection_modifyitems":
                yield from self._modifyitems(cf, fn)
            elif fn.name == "pytest_ignore_collect":
                yield from self._ignore_collect(cf, fn)
        yield from self._collect_ignore(cf, tree)
        for st in tree.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == "load_tests":
                yield from self._load_tests(cf, st)

    def _severity(self, fn: tf.FuncDef, node: ast.AST, g: dict[int, list[ast.expr]]) -> Severity:
        # an option anywhere in the hook (e.g. an early `return` when --runslow is given) makes it opt-in
        body = ast.unparse(ast.Module(body=fn.body, type_ignores=[]))
        if _OPTION_GUARD.search(body) or re.search(r"version_info|platform", _text(g.get(id(node), []))):
            return Severity.LOW
        return Severity.HIGH

    def _modifyitems(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        params = [a.arg for a in fn.args.args]
        items = "items" if "items" in params else params[-1] if params else "items"
        g = ph.guards(fn)
        skip_vars = {t.id for n in ph.walk_own(fn) if isinstance(n, ast.Assign) and _skip_mark(n.value, set())
                     for t in n.targets if isinstance(t, ast.Name)}
        for n in ph.walk_own(fn):
            what = None
            for t in _targets(n):
                if isinstance(t, ast.Subscript) and tf.dotted(t.value) == items and isinstance(n, ast.Assign):
                    v = n.value
                    filtered = (isinstance(v, (ast.ListComp, ast.GeneratorExp)) and any(c.ifs for c in v.generators)) or (
                        isinstance(v, ast.Call) and tf.call_name(v) == "filter") or (
                        isinstance(v, (ast.List, ast.Tuple)) and not v.elts)
                    if filtered or isinstance(v, ast.Subscript):
                        what = f"replaces `{items}` with a filtered or sliced list"
                elif isinstance(t, ast.Name) and t.id == items and isinstance(n, ast.Assign):
                    pass  # rebinding the local name does not change the session's list
            if isinstance(n, ast.Delete) and any(tf.dotted(getattr(t, "value", t)) == items for t in n.targets):
                what = f"deletes entries of `{items}`"
            elif isinstance(n, ast.Call):
                name = tf.dotted(n.func)
                if name in (f"{items}.clear", f"{items}.remove", f"{items}.pop"):
                    what = f"calls `{name}()`"
                elif name.endswith("pytest_deselected"):
                    what = "deselects tests"
                elif tf.call_name(n) == "add_marker" and n.args and _skip_mark(n.args[0], skip_vars):
                    what = "marks collected tests skip/xfail"
            if what:
                sev = self._severity(fn, n, g)
                yield self.finding(cf, n, f"pytest_collection_modifyitems {what}"
                                   + (" (behind an option or version check)" if sev is Severity.LOW else ""),
                                   severity=sev, confidence=Confidence.MEDIUM if sev is Severity.LOW else None)

    def _ignore_collect(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        g = ph.guards(fn)
        for n in ph.walk_own(fn):
            if isinstance(n, ast.Return) and n.value is not None and tf.truthy_constant(n.value):
                conds = g.get(id(n), [])
                if not conds:
                    sev = Severity.HIGH
                elif re.search(r"test", _text(conds), re.I) and not _OPTION_GUARD.search(_text(conds)):
                    sev = Severity.MEDIUM
                else:
                    sev = Severity.LOW
                yield self.finding(cf, n, "pytest_ignore_collect tells pytest to skip collecting "
                                   + ("every path" if not conds else "some paths"), severity=sev,
                                   confidence=Confidence.MEDIUM if sev is not Severity.HIGH else None)

    def _collect_ignore(self, cf: ChangedFile, tree: ast.Module) -> Iterator[Finding]:
        if posixpath.basename(cf.path) != "conftest.py":
            return

        def visit(stmts: list[ast.stmt], conditional: bool) -> Iterator[Finding]:
            for st in stmts:
                if isinstance(st, ast.If):
                    yield from visit(st.body + st.orelse, True)
                    continue
                if isinstance(st, ast.Try):
                    yield from visit(st.body + st.orelse + st.finalbody, conditional)
                    continue
                values: list[ast.AST] = []
                names = [tf.dotted(t) for t in _targets(st)]
                if any(n in ("collect_ignore", "collect_ignore_glob") for n in names):
                    values = [st.value] if getattr(st, "value", None) is not None else []  # type: ignore[attr-defined]
                elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and tf.dotted(st.value.func) in (
                        "collect_ignore.append", "collect_ignore.extend", "collect_ignore_glob.append", "collect_ignore_glob.extend"):
                    values = list(st.value.args)
                strs = [n.value for v in values for n in ast.walk(v) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                tests = [s for s in strs if _looks_like_tests(s)]
                if tests:
                    sev = Severity.LOW if conditional else Severity.HIGH
                    yield self.finding(cf, st, f"collect_ignore excludes test paths: {', '.join(tests[:3])}",
                                       severity=sev, confidence=Confidence.MEDIUM if conditional else None)

        yield from visit(tree.body, False)

    def _load_tests(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        params = [a.arg for a in fn.args.args]
        standard = params[1] if len(params) >= 2 else None
        nodes = list(ph.walk_own(fn))
        uses_standard = standard is not None and any(isinstance(n, ast.Name) and n.id == standard for n in nodes)
        loads = any(isinstance(n, ast.Call) and tf.call_name(n).startswith(("loadTestsFrom", "discover", "DocTestSuite",
                                                                            "DocFileSuite", "addTest")) for n in nodes)
        if not uses_standard and not loads:
            yield self.finding(cf, fn.lineno, "load_tests returns a suite without the module's tests", end_line=fn.lineno)
        elif uses_standard and any(isinstance(n, (ast.ListComp, ast.GeneratorExp)) and any(c.ifs for c in n.generators)
                                   and any(isinstance(x, ast.Name) and x.id == standard for x in ast.walk(n)) for n in nodes):
            yield self.finding(cf, fn.lineno, "load_tests filters the module's tests", severity=Severity.MEDIUM,
                               end_line=fn.lineno)


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
    nodes = list(ph.walk_own(fn))
    calls_super = any(isinstance(n, ast.Call) and tf.dotted(n.func).startswith("super.") or
                      isinstance(n, ast.Attribute) and n.attr == fn.name and tf.dotted(n.value) != "self" for n in nodes)
    records = any(isinstance(n, ast.Call) and tf.call_name(n) in ("append", "extend", "add", "write", "writeln", "put")
                  for n in nodes)
    if not calls_super and not records:
        return f"{fn.name} drops the failure instead of recording it"
    return None


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
    kind = Kind.TAMPERING
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _python_trees(cf)
        if tree is None:
            return
        origins = ph.import_origins(tree)
        if not any(o.split(".")[0] in _FRAMEWORKS + ("builtins",) for o in origins.values()):
            return
        # `R = unittest.TestResult` then `R.wasSuccessful = ...`
        for st in tree.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                r = ph.resolve(st.value, origins)
                if r.split(".")[0] in _FRAMEWORKS:
                    origins.setdefault(st.targets[0].id, r)
        for node in ast.walk(tree):
            for t in _targets(node):
                if isinstance(t, ast.Attribute):
                    yield from self._write(cf, node, ph.resolve(t.value, origins), t.attr, origins)
            sa = _setattr_call(node)
            if sa:
                yield from self._write(cf, node, ph.resolve(sa[0], origins), sa[1], origins)
            if isinstance(node, ast.ClassDef) and any(ph.resolve(b, origins) in _RESULT_CLASSES for b in node.bases):
                for s in node.body:
                    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in ("wasSuccessful", "addFailure", "addError"):
                        why = _trivial_result(s)
                        if why:
                            yield self.finding(cf, s.lineno, f"{node.name}: {why}", end_line=s.lineno)

    def _write(self, cf: ChangedFile, node: ast.AST, base: str, attr: str, origins: dict[str, str]) -> Iterator[Finding]:
        root = base.split(".")[0]
        if root == "builtins" and attr == "AssertionError":
            yield self.finding(cf, node, "builtins.AssertionError is replaced, so failed asserts raise something else")
        elif root in _FRAMEWORKS:
            if attr in _VERDICT_ATTRS or attr.startswith("assert"):
                yield self.finding(cf, node, f"{base}.{attr} is replaced from outside the test framework")
            elif root == "_pytest":
                yield self.finding(cf, node, f"{base}.{attr} is modified", severity=Severity.LOW,
                                   confidence=Confidence.MEDIUM)
