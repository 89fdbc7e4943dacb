"""SG204 collection-narrowed: A conftest or plugin drops tests from collection, or marks them all skipped."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import pytest_hooks as ph
from specgap.analysis import testfns as tf
from specgap.analysis.context import Context, local_nodes, subtree
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness import _pytest_config as pc
from specgap.rules.harness import _test_commands as tc
from specgap.rules.harness._shared import _OPTION_GUARD, _targets, _text

# State a plugin object or pytest's cache holds (set up from options, e.g. --lf, --sw).
_PLUGIN_STATE = re.compile(r"\bself\.\w+|\.cache\b|lastfailed|\bconfig\.(?!hook\b)\w+")


def _skip_mark(node: ast.AST, skip_vars: set[str]) -> bool:
    name = dotted(node, through_calls=True)
    return name.rsplit(".", 1)[-1] in ("skip", "xfail") and ".mark." in f".{name}" or (
        isinstance(node, ast.Name) and node.id in skip_vars)


@register
class CollectionNarrowed(Rule):
    """A conftest or plugin drops tests from collection, or marks them all skipped.

    What it does: finds `pytest_collection_modifyitems` removing items (`items[:] = [...if...]`,
    `items.clear()`, `del items[...]`, `items.remove/pop`, `config.hook.pytest_deselected`) or
    adding skip/xfail markers; `pytest_ignore_collect` returning True; `collect_ignore` /
    `collect_ignore_glob` listing test files; unittest `load_tests` that drops the module's tests.
    Unconditional: high. Behind a command-line option, environment variable or plugin state (the
    documented `--runslow` recipe, `--lf`, `--sw`), a version check, or in a plugin module (not a
    conftest.py, and registering options/config too): low. Reordering and adding other markers are fine.

    Why is this bad: tests that are never collected cannot fail; the run is green with fewer tests.

    Example:
        def pytest_collection_modifyitems(config, items):
            items[:] = [i for i in items if "hard" not in i.name]

    Use instead: keep every test in the run; select tests on the command line, visibly.
    """

    id = "SG204"
    name = "collection-narrowed"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    _plugin = False

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        hooks = list(ph.hook_impls(tree))
        # a plugin module (not a conftest, registering options or config, or many hooks) runs only
        # where it is installed and enabled, unlike a conftest.py that every run of the repo loads;
        # SG208 reports new plugin registrations
        self._plugin = tc.file_name(cf.path) != "conftest.py" and (
            len(hooks) >= 3 or any(h.name in ("pytest_addoption", "pytest_configure") for h in hooks))
        for fn in hooks:
            if fn.name == "pytest_collection_modifyitems":
                yield from self._modifyitems(cf, ctx, fn)
            elif fn.name == "pytest_ignore_collect":
                yield from self._ignore_collect(cf, ctx, fn)
        yield from self._collect_ignore(cf, tree)
        for st in tree.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == "load_tests":
                yield from self._load_tests(cf, st)

    def _severity(self, cf: ChangedFile, ctx: Context, fn: tf.FuncDef, node: ast.AST) -> Severity:
        if self._plugin:
            return Severity.LOW
        # an option anywhere in the hook (e.g. an early `return` when --runslow is given) makes it opt-in
        body = ast.unparse(ast.Module(body=fn.body, type_ignores=[]))
        if _OPTION_GUARD.search(body) or _PLUGIN_STATE.search(body) or re.search(r"version_info|platform", _text(ctx.conditions(node, fn))):
            return Severity.LOW
        return Severity.HIGH

    def _modifyitems(self, cf: ChangedFile, ctx: Context, fn: tf.FuncDef) -> Iterator[Finding]:
        params = [a.arg for a in fn.args.args]
        items = "items" if "items" in params else params[-1] if params else "items"
        skip_vars = {t.id for n in local_nodes(fn) if isinstance(n, ast.Assign) and _skip_mark(n.value, set())
                     for t in n.targets if isinstance(t, ast.Name)}
        for n in local_nodes(fn):
            what = None
            for t in _targets(n):
                if isinstance(t, ast.Subscript) and dotted(t.value, through_calls=True) == items and isinstance(n, ast.Assign):
                    v = n.value
                    filtered = (isinstance(v, (ast.ListComp, ast.GeneratorExp)) and any(c.ifs for c in v.generators)) or (
                        isinstance(v, ast.Call) and tf.call_name(v) == "filter") or (
                        isinstance(v, (ast.List, ast.Tuple)) and not v.elts)
                    if filtered or isinstance(v, ast.Subscript):
                        what = f"replaces `{items}` with a filtered or sliced list"
                elif isinstance(t, ast.Name) and t.id == items and isinstance(n, ast.Assign):
                    pass  # rebinding the local name does not change the session's list
            if isinstance(n, ast.Delete) and any(dotted(getattr(t, "value", t), through_calls=True) == items for t in n.targets):
                what = f"deletes entries of `{items}`"
            elif isinstance(n, ast.Call):
                name = dotted(n.func, through_calls=True)
                if name in (f"{items}.clear", f"{items}.remove", f"{items}.pop"):
                    what = f"calls `{name}()`"
                elif name.endswith("pytest_deselected"):
                    what = "deselects tests"
                elif tf.call_name(n) == "add_marker" and n.args and _skip_mark(n.args[0], skip_vars):
                    what = "marks collected tests skip/xfail"
            if what:
                sev = self._severity(cf, ctx, fn, n)
                yield self.finding(cf, n, f"pytest_collection_modifyitems {what}"
                                   + (" (in a plugin package, or behind an option or version check)" if sev is Severity.LOW else ""),
                                   severity=sev, confidence=Confidence.MEDIUM if sev is Severity.LOW else None)

    def _ignore_collect(self, cf: ChangedFile, ctx: Context, fn: tf.FuncDef) -> Iterator[Finding]:
        for n in local_nodes(fn):
            if isinstance(n, ast.Return) and n.value is not None and tf.truthy_constant(n.value):
                conds = ctx.conditions(n, fn)
                if self._plugin:
                    sev = Severity.LOW
                elif not conds:
                    sev = Severity.HIGH
                elif re.search(r"test", _text(conds), re.I) and not _OPTION_GUARD.search(_text(conds)):
                    sev = Severity.MEDIUM
                else:
                    sev = Severity.LOW
                yield self.finding(cf, n, "pytest_ignore_collect tells pytest to skip collecting "
                                   + ("every path" if not conds else "some paths"), severity=sev,
                                   confidence=Confidence.MEDIUM if sev is not Severity.HIGH else None)

    def _collect_ignore(self, cf: ChangedFile, tree: ast.Module) -> Iterator[Finding]:
        if tc.file_name(cf.path) != "conftest.py":
            return

        for st, tests, conditional in _ignored_tests(tree.body, False):
            sev = Severity.LOW if conditional else Severity.HIGH
            yield self.finding(cf, st, f"collect_ignore excludes test paths: {', '.join(tests[:3])}",
                               severity=sev, confidence=Confidence.MEDIUM if conditional else None)

    def _load_tests(self, cf: ChangedFile, fn: tf.FuncDef) -> Iterator[Finding]:
        params = [a.arg for a in fn.args.args]
        standard = params[1] if len(params) >= 2 else None
        nodes = list(local_nodes(fn))
        uses_standard = standard is not None and any(isinstance(n, ast.Name) and n.id == standard for n in nodes)
        loads = any(isinstance(n, ast.Call) and tf.call_name(n).startswith(("loadTestsFrom", "discover", "DocTestSuite",
                                                                            "DocFileSuite", "addTest")) for n in nodes)
        if not uses_standard and not loads:
            yield self.finding(cf, fn.lineno, "load_tests returns a suite without the module's tests", end_line=fn.lineno)
        elif uses_standard and any(isinstance(n, (ast.ListComp, ast.GeneratorExp)) and any(c.ifs for c in n.generators)
                                   and any(isinstance(x, ast.Name) and x.id == standard for x in subtree(n)) for n in nodes):
            yield self.finding(cf, fn.lineno, "load_tests filters the module's tests", severity=Severity.MEDIUM,
                               end_line=fn.lineno)


def _ignored_tests(stmts: list[ast.stmt], conditional: bool) -> Iterator[tuple[ast.stmt, list[str], bool]]:
    """Statements that put test paths in `collect_ignore(_glob)`: (statement, the paths, under a condition).
    (Module level: a nested generator that calls itself is a reference cycle, which held the file.)"""
    for st in stmts:
        if isinstance(st, ast.If):
            yield from _ignored_tests(st.body + st.orelse, True)
            continue
        if isinstance(st, ast.Try):
            yield from _ignored_tests(st.body + st.orelse + st.finalbody, conditional)
            continue
        values: list[ast.AST] = []
        names = [dotted(t, through_calls=True) for t in _targets(st)]
        if any(n in ("collect_ignore", "collect_ignore_glob") for n in names):
            values = [st.value] if getattr(st, "value", None) is not None else []  # type: ignore[attr-defined]
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and dotted(st.value.func, through_calls=True) in (
                "collect_ignore.append", "collect_ignore.extend", "collect_ignore_glob.append", "collect_ignore_glob.extend"):
            values = list(st.value.args)
        strs = [n.value for v in values for n in subtree(v) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        tests = [s for s in strs if pc.looks_like_tests(s)]
        if tests:
            yield st, tests, conditional
