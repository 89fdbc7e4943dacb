"""SG403 hidden-state-toggle: A function that answers differently on each call, driven by a counter it keeps."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context
from specgap.analysis.flow import bound_names, const_value, target_names, walk_block
from specgap.analysis.names import dotted, param_names
from specgap.analysis.testfns import FuncDef
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _NON_TEST, _code_scopes


def _state_key(node: ast.AST, module_names: set[str]) -> str | None:
    """Module-level state a function can keep between calls: a global name, an attribute of a
    module-level object (`f._n`, `state.calls`), or a constant slot of one (`_calls[0]`)."""
    if isinstance(node, ast.Name) and node.id in module_names:
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module_names:
        return f"{node.value.id}.{node.attr}"
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in module_names
            and isinstance(node.slice, ast.Constant)):
        return f"{node.value.id}[{node.slice.value!r}]"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in module_names
            and isinstance(node.args[1], ast.Constant)):
        return f"{node.args[0].id}.{node.args[1].value}"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id in module_names
            and node.args and isinstance(node.args[0], ast.Constant)):
        return f"{node.func.value.id}[{node.args[0].value!r}]"
    return None


def _base(target: ast.AST) -> str | None:
    """The name an assignment target writes through: `x`, `x.a`, `x[k]` -> x."""
    t = type(target)
    if t is ast.Attribute or t is ast.Subscript:
        target = target.value  # type: ignore[attr-defined]
    return target.id if type(target) is ast.Name else None  # type: ignore[attr-defined]


def _may_advance(ctx: Context, module_names: set[str], canned: set[str]) -> bool:
    """Whether any statement of the module could advance state kept between calls (what the
    functions' pass below looks for, asked of the whole module at once: most have none). A
    function's own name is local to it unless declared `global`; `x.a` and `x[k]` write into
    a module-level `x` (or a global one), and `next(x)` advances a canned iterator."""
    declared = {name for n in ctx.of(ast.Global, ast.Nonlocal) for name in n.names}  # type: ignore[attr-defined]
    reach = module_names | declared
    for n in ctx.of(ast.AugAssign, ast.Assign):
        targets = n.targets if type(n) is ast.Assign else [n.target]  # type: ignore[attr-defined]
        if len(targets) == 1:
            t = targets[0]
            if (type(t) is ast.Name and t.id in declared) or (type(t) is not ast.Name and _base(t) in reach):
                return True
    return bool(canned) and any(type(c.func) is ast.Name and c.args and _base(c.args[0]) in canned
                                for c in ctx.calls_named(frozenset({"next"})))


def _reads(expr: ast.AST, module_names: set[str]) -> set[str]:
    return {k for n in ast.walk(expr) if (k := _state_key(n, module_names)) is not None}


def _answers(stmts: list[ast.stmt]) -> list[ast.AST]:
    """What a block returns or prints (not in nested functions)."""
    return [n.value if isinstance(n, ast.Return) else n.args[0] for n in walk_block(stmts)
            if (isinstance(n, ast.Return) and n.value is not None)
            or (isinstance(n, ast.Call) and dotted(n.func) == "print" and n.args)]


@register
class HiddenStateToggle(Rule):
    """A function that answers differently on each call, driven by a counter it keeps.

    What it does: finds plain functions (not methods) that advance state kept between calls (a
    `global` counter, an attribute on the function or a module object, a constant slot of a
    module-level container, a module-level iterator) and then use that state to choose what they
    return: `f._n = getattr(f, "_n", 0) + 1; return 6 if f._n % 2 else 14`. High when the choice
    is between constants. Memoization (caches keyed on the arguments), lazy initialization, ID
    counters returned as such and counters used only for logging are not reported.

    Why is this bad: a test that calls the function once per case in a known order gets the
    answers it expects, while no input is ever looked at; rerunning or reordering breaks it.

    Example:
        def solve(a, b):
            solve.calls = getattr(solve, "calls", 0) + 1
            return 6 if solve.calls % 2 else 14

    Use instead: compute the result from the arguments; keep state in objects whose callers
    expect it, and make caches depend only on the arguments.
    """

    id = "SG403"
    name = "hidden-state-toggle"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        module_names = {t for s in tree.body for t in bound_names(s)}
        # module-level literal answers: `_outputs = ["3", "5"]`, `_answers = iter([10, 20])`
        canned: set[str] = set()
        for s in tree.body:
            if isinstance(s, ast.Assign):
                v = s.value.args[0] if isinstance(s.value, ast.Call) and s.value.args else s.value
                if cases.value(v) is not cases.NO or (isinstance(v, ast.Name) and v.id in canned):
                    canned.update(n for t in s.targets for n in target_names(t))
        if not _may_advance(ctx, module_names, canned):
            return
        for scope, owner, nodes in _code_scopes(tree):
            if owner is not None or not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            # one pass sorts the function's nodes: its declarations, bindings, and the steps below
            glob: set[str] = set()
            binds: list[ast.AST] = []
            steps: list[ast.AST] = []  # what may advance state, in source order
            for n in nodes:
                t = type(n)
                if t is ast.Global or t is ast.Nonlocal:
                    glob.update(n.names)  # type: ignore[attr-defined]
                elif t is ast.Assign or t is ast.AugAssign or t is ast.AnnAssign:
                    binds.append(n)
                    if t is not ast.AnnAssign:
                        steps.append(n)
                elif t is ast.Call:
                    steps.append(n)
            params = set(param_names(scope))
            local = {t for n in binds for t in bound_names(n)} - glob
            shared = (module_names | glob) - params - local
            if not shared:
                continue  # no state kept between calls to advance
            advanced: dict[str, ast.AST] = {}
            for n in steps:
                if isinstance(n, ast.AugAssign):
                    key = _state_key(n.target, shared)
                    if key is not None:
                        advanced.setdefault(key, n)
                elif isinstance(n, ast.Assign) and len(n.targets) == 1:
                    key = _state_key(n.targets[0], shared)
                    # `x = x + 1`, `flag = not flag`, `f.n = getattr(f, "n", 0) + 1`: a step from the last value
                    if key is not None and key in _reads(n.value, shared):
                        advanced.setdefault(key, n)
                elif isinstance(n, ast.Call) and dotted(n.func) == "next" and n.args:
                    key = _state_key(n.args[0], shared)
                    if key in canned:  # an iterator over canned answers (not `itertools.count()`)
                        advanced.setdefault(key, n)
            # `depth += 1 ... depth -= 1`: a recursion depth, back to where it was when the call ends
            for n in steps:
                if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Sub):
                    advanced.pop(_state_key(n.target, shared) or "", None)
            if not advanced:
                continue
            yield from self._choices(cf, scope, nodes, shared, advanced, canned)

    def _choices(self, cf: ChangedFile, fn: FuncDef, nodes: list[ast.AST], shared: set[str],
                 advanced: dict[str, ast.AST], canned: set[str]) -> Iterator[Finding]:
        for n in nodes:
            chosen: list[ast.AST] = []
            if isinstance(n, ast.If):
                if _reads(n.test, shared) & advanced.keys():
                    chosen = _answers(n.body) + _answers(n.orelse)
            elif isinstance(n, ast.Return) and n.value is not None:
                # `return 6 if n % 2 else 14`, `return answers[n % 2]`, `return next(_answers)`
                for sub in ast.walk(n.value):
                    if isinstance(sub, ast.IfExp) and _reads(sub.test, shared) & advanced.keys():
                        chosen = [sub.body, sub.orelse]
                    elif isinstance(sub, ast.Subscript) and _reads(sub.slice, shared) & advanced.keys():
                        chosen = [sub.value]
                    elif (isinstance(sub, ast.Call) and dotted(sub.func) == "next" and sub.args
                          and _state_key(sub.args[0], shared) in advanced):
                        chosen = [sub.args[0]]
            if not chosen:
                continue
            const = all(const_value(c) is not cases.NO or (isinstance(c, ast.Name) and c.id in canned) for c in chosen)
            key = sorted(_reads(n.test if isinstance(n, ast.If) else n, shared) & advanced.keys()
                         or advanced.keys())[0]
            yield self.finding(
                cf, n, f"`{fn.name}` chooses its answer by `{key}`, state it advances on every call"
                + (" (between constants)" if const else ""),
                severity=Severity.HIGH if const else Severity.MEDIUM,
                end_line=n.test.end_lineno if isinstance(n, ast.If) else None,
            )
            return
