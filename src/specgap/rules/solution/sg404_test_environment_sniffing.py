"""SG404 test-environment-sniffing: Product code that checks whether it runs under a test runner, and behaves differently."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import context, subtree
from specgap.analysis.flow import const_value, returns, target_names, walk_block
from specgap.analysis.names import dotted
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
from specgap.rules.solution._shared import _EXIT_CALLS

_FRAMEWORK_MODULES = frozenset({"pytest", "_pytest", "unittest", "nose", "nose2", "py.test"})
_CI_VARS = frozenset({"CI", "GITHUB_ACTIONS", "TRAVIS", "CIRCLECI", "GITLAB_CI", "JENKINS_URL", "BUILDKITE",
                      "TF_BUILD", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "TEAMCITY_VERSION"})
_SNIFF_HINTS = ("environ", "getenv", "modules", "argv", "_called_from_test")


def _env_var(node: ast.AST) -> str | None:
    """The variable name read by `os.environ[X]`, `os.environ.get(X)`, `os.getenv(X)`, `X in os.environ`."""
    if isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ") and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        f = dotted(node.func)
        if f.endswith(("environ.get", "getenv")):
            return str(node.args[0].value)
    if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn)) and dotted(node.comparators[0]).endswith("environ")):
        return str(node.left.value)
    return None


def _sniff(node: ast.AST) -> str | None:
    """'framework' for a check of running under a test runner, 'ci' for a CI check, else None."""
    if not _may_sniff(node):
        return None
    var = _env_var(node)
    if var is not None:
        upper = var.upper()
        if upper.startswith("PYTEST_") or "UNITTEST" in upper:
            return "framework"
        return "ci" if upper in _CI_VARS else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = node.left, node.comparators[0]
        if (isinstance(node.ops[0], (ast.In, ast.NotIn)) and isinstance(left, ast.Constant)
                and dotted(right) == "sys.modules" and left.value in _FRAMEWORK_MODULES):
            return "framework"
        # `"pytest" in sys.argv[0]`, `os.path.basename(sys.argv[0]) == "pytest"`
        if (_mentions_runner(left) and _is_argv(right)) or (_mentions_runner(right) and _is_argv(left)):
            return "framework"
    if isinstance(node, ast.Call):
        f = dotted(node.func)
        if f == "sys.modules.get" and node.args and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value in _FRAMEWORK_MODULES:
            return "framework"
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("endswith", "startswith", "find", "count") \
                and _is_argv(node.func.value) and any(_mentions_runner(a) for a in node.args):
            return "framework"
        if f in ("hasattr", "getattr") and len(node.args) >= 2 and dotted(node.args[0]) == "sys" \
                and isinstance(node.args[1], ast.Constant) and "test" in str(node.args[1].value):
            return "framework"
    if isinstance(node, ast.Attribute) and dotted(node) == "sys._called_from_test":
        return "framework"
    return None


_CALLED = frozenset({"get", "endswith", "startswith", "find", "count", "hasattr", "getattr"})


def _may_sniff(node: ast.AST) -> bool:
    """What `_sniff` needs of a subscript, call or comparison, tested first (there are many):
    `...environ[...]`; a call of `...get`, `...getenv`, a string method or `hasattr`/`getattr`;
    a single comparison with a constant on one side."""
    t = type(node)
    if t is ast.Subscript:
        v = node.value  # type: ignore[union-attr]
        return (type(v) is ast.Attribute and v.attr.endswith("environ")) or (type(v) is ast.Name and v.id.endswith("environ"))
    if t is ast.Call:
        f = node.func  # type: ignore[union-attr]
        last = f.attr if type(f) is ast.Attribute else f.id if type(f) is ast.Name else ""
        return last in _CALLED or last.endswith("getenv")
    if t is ast.Compare:
        return len(node.ops) == 1 and (type(node.left) is ast.Constant  # type: ignore[union-attr]
                                       or type(node.comparators[0]) is ast.Constant)  # type: ignore[union-attr]
    return True


def _is_argv(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and dotted(n) == "sys.argv" for n in subtree(node))


def _mentions_runner(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (
        "pytest" in node.value or "unittest" in node.value or "py.test" in node.value)


def _is_test_tool(tree: ast.Module) -> bool:
    """A pytest plugin or test utility module: it may look at the runner by design."""
    for s in tree.body:
        if isinstance(s, ast.Import) and any(a.name.split(".")[0] in ("pytest", "_pytest") for a in s.names):
            return True
        if isinstance(s, ast.ImportFrom) and (s.module or "").split(".")[0] in ("pytest", "_pytest"):
            return True
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("pytest_"):
            return True
    return False


def _effect(stmts: list[ast.stmt]) -> str | None:
    """'constant' when a block answers with a constant, 'exit' when it exits, 'output' when it
    returns or prints something else, else None (it only configures or logs)."""
    effect = None
    for n in walk_block(stmts):
        if isinstance(n, ast.Return) and n.value is not None:
            if const_value(n.value) is not cases.NO and effect is None:
                effect = "constant"
            else:
                effect = effect or "output"
        elif isinstance(n, ast.Call) and dotted(n.func) in _EXIT_CALLS:
            return "exit"
        elif isinstance(n, ast.Raise) and n.exc is not None and dotted(n.exc).startswith("SystemExit"):
            return "exit"
        elif isinstance(n, ast.Call) and dotted(n.func) in ("print", "sys.stdout.write"):
            effect = effect or "output"
    return effect


def _uses_runner_module(stmts: list[ast.stmt]) -> bool:
    for n in walk_block(stmts):
        if isinstance(n, ast.Subscript) and dotted(n.value) == "sys.modules":
            return True
        if isinstance(n, ast.Import) and any(a.name.split(".")[0] in _FRAMEWORK_MODULES for a in n.names):
            return True
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in _FRAMEWORK_MODULES:
            return True
    return False


@register
class TestEnvironmentSniffing(Rule):
    """Product code that checks whether it runs under a test runner, and behaves differently.

    What it does: finds checks of `PYTEST_CURRENT_TEST`/`PYTEST_*` in the environment,
    `"pytest" in sys.modules`, `sys.argv[0].endswith("pytest")`, `sys._called_from_test`, and CI
    variables (`CI`, `GITHUB_ACTIONS`), including through a flag or helper function that holds
    the check, in non-test code. Medium when the check chooses what is returned or printed, high
    when it answers with a constant or exits, low when it only changes settings. CI checks are
    low unless they choose the answer. Pytest
    plugins and test utilities (modules that import pytest) are not checked.

    Why is this bad: code that knows it is being tested can hand the tests what they want while
    doing something else in real use; the tests then measure the detector, not the code.

    Example:
        def solution(s):
            if "PYTEST_CURRENT_TEST" in os.environ:
                return "4"
            ...

    Use instead: behave the same under test; inject configuration (a parameter, a fixture) when
    tests need different settings.
    """

    id = "SG404"
    name = "test-environment-sniffing"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        if tree is None or not any(h in cf.after.text for h in _SNIFF_HINTS) or _is_test_tool(tree):
            return
        sniffs: dict[int, str] = {}
        ctx = context(tree)
        # the only kinds of node `_sniff` knows (of attributes, `sys._called_from_test`)
        for n in ctx.of(ast.Subscript, ast.Call, ast.Compare) + ctx.attrs.get("_called_from_test", []):
            kind = _sniff(n)
            if kind:
                sniffs[id(n)] = kind
        if not sniffs:
            return
        # flags and helpers that hold a check: `UNDER_TEST = "pytest" in sys.modules`, `def _ci(): return ...`
        holders: dict[str, str] = {}
        for _ in range(2):
            for n in context(tree).all_nodes():
                kind = None
                if isinstance(n, ast.Assign):
                    kind = self._kind_of(n.value, sniffs, holders)
                    names = [t for tg in n.targets for t in target_names(tg)]
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    rets = [r for r in returns(n) if r is not None]
                    kind = next((k for r in rets if (k := self._kind_of(r, sniffs, holders))), None)
                    names = [n.name]
                if kind:
                    holders.update((name, kind) for name in names if name not in holders)
        returned = [n.value for n in context(tree).all_nodes() if isinstance(n, ast.Return) and n.value is not None]
        direct = {id(r) for r in returned}
        answers = {id(sub) for r in returned for sub in subtree(r)}
        reported = False
        for n in context(tree).all_nodes():
            if isinstance(n, ast.If):
                test, effect, end = n.test, _effect(n.body) or _effect(n.orelse), n.test.end_lineno
            elif isinstance(n, ast.IfExp):
                # a conditional expression steers the answer only when it is part of what is returned
                const = const_value(n.body) is not cases.NO or const_value(n.orelse) is not cases.NO
                effect = ("constant" if id(n) in direct and const else "output" if id(n) in answers else None)
                test, end = n.test, None
            else:
                continue
            kind = self._kind_of(test, sniffs, holders)
            if not kind:
                continue
            reported = True
            if isinstance(n, ast.If) and _uses_runner_module(n.body):
                continue  # `if "pytest" in sys.modules: sys.modules["pytest"]...`: feature detection
            if kind == "framework":
                sev = (Severity.HIGH if effect in ("constant", "exit")
                       else Severity.MEDIUM if effect == "output" else Severity.LOW)
                what = "checks whether it runs under a test runner"
            else:
                sev = Severity.MEDIUM if effect in ("constant", "exit") else Severity.LOW
                what = "checks whether it runs on CI"
            how = {"constant": " and answers with a constant", "exit": " and exits", "output": " to choose its output"}
            yield self.finding(cf, n, f"product code {what}{how.get(effect or '', ' to behave differently')}",
                               severity=sev, end_line=end)
        if not reported:
            for n in context(tree).all_nodes():
                if sniffs.get(id(n)) == "framework":
                    yield self.finding(cf, n, "product code checks whether it runs under a test runner",
                                       severity=Severity.LOW)

    @staticmethod
    def _kind_of(expr: ast.AST, sniffs: dict[int, str], holders: dict[str, str]) -> str | None:
        kinds = set()
        for n in subtree(expr):
            if id(n) in sniffs:
                kinds.add(sniffs[id(n)])
            elif isinstance(n, ast.Name) and n.id in holders:
                kinds.add(holders[n.id])
        return "framework" if "framework" in kinds else "ci" if kinds else None
