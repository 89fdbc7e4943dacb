"""SG411 input-keyed-toggle: A function that records its inputs in module state and answers a repeat with a constant."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context
from specgap.analysis.flow import input_names, mentions, walk_block
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _code_scopes

_CONTAINER_CALLS = frozenset({"dict", "set", "list", "defaultdict", "collections.defaultdict", "Counter",
                              "collections.Counter", "OrderedDict", "collections.OrderedDict"})
_RECORD = frozenset({"add", "append", "setdefault", "update", "insert", "extend"})
_FEW = 3  # "the second call", "after three calls": counts a test run reaches


def _containers(tree: ast.Module) -> set[str]:
    """Module-level names bound to an empty-or-literal container: `_seen = {}`, `calls = []`."""
    out: set[str] = set()
    for s in tree.body:
        if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
            v = s.value
            if isinstance(v, (ast.Dict, ast.Set, ast.List)) or (isinstance(v, ast.Call) and dotted(v.func) in _CONTAINER_CALLS):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                out.update(t.id for t in targets if isinstance(t, ast.Name))
    return out


def _slot(node: ast.AST, state: set[str], tainted: set[str]) -> str | None:
    """`S[key]`, `S.get(key, ...)` with a key derived from the input: the state's name."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in state \
            and mentions(node.slice, tainted):
        return node.value.id
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id in state and node.args
            and mentions(node.args[0], tainted)):
        return node.func.value.id
    return None


def _recorded(nodes: list[ast.AST], state: set[str], tainted: set[str]) -> set[str]:
    """The state the function writes its input into: `S[key] = ...`, `S[key] += 1`, `S.add(key)`."""
    out: set[str] = set()
    for n in nodes:
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        for t in targets:
            name = _slot(t, state, tainted)
            if name:
                out.add(name)
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _RECORD
                and isinstance(n.func.value, ast.Name) and n.func.value.id in state
                and any(mentions(a, tainted) for a in n.args)):
            out.add(n.func.value.id)
    return out


def _asks_repeat(test: ast.AST, recorded: set[str], tainted: set[str]) -> str | None:
    """A condition on what was recorded: `key in S`, `S[key] > 1`, `S.get(key) == 2`, `len(S) == 3`."""
    for n in ast.walk(test):
        if not isinstance(n, ast.Compare) or len(n.ops) != 1:
            continue
        left, op, right = n.left, n.ops[0], n.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.Name) and right.id in recorded \
                and mentions(left, tainted):
            return right.id
        name = _slot(left, recorded, tainted)
        if name is None and isinstance(left, ast.Call) and dotted(left.func) == "len" and left.args \
                and isinstance(left.args[0], ast.Name) and left.args[0].id in recorded:
            name = left.args[0].id
        v = cases.value(right)
        if name and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= _FEW:
            return name
    return None


def _answer(n: ast.AST) -> ast.AST | None:
    """What a node answers with: a returned value or the one thing printed."""
    if isinstance(n, ast.Return):
        return n.value
    if isinstance(n, ast.Call) and dotted(n.func) == "print" and len(n.args) == 1:
        return n.args[0]
    return None


def _constant_answers(body: list[ast.stmt]) -> list[object] | None:
    """The constants a branch returns or prints, if that is all it answers with."""
    outs: list[object] = []
    for n in walk_block(body):
        out = _answer(n)
        if out is None:
            continue
        v = cases.value(out)
        if v is cases.NO:
            return None
        outs.append(v)
    return outs or None


@register
class InputKeyedToggle(Rule):
    """A function that records its inputs in module state and answers a repeat with a constant.

    What it does: finds plain functions that write their input into a module-level container
    (`_seen[key] = _seen.get(key, 0) + 1`, `_calls.append(x)`) and branch on what was recorded
    (`if _seen[key] > 1`, `if key in _seen`, `if len(_calls) == 3`) to return or print a constant,
    while the rest of the function computes. That is a special case made stateful: the first
    call with an input gets one answer and the next call another, which fits a test that calls
    twice. Not reported: memoization (a repeat answered with the stored result), answers as common
    as `None`, `False`, `0`, `1` or `""` (warn-once and de-duplication), thresholds beyond a few
    calls (rate limits), and methods (objects are expected to keep state).

    Why is this bad: the function's answer depends on how often it was called rather than on its
    input; a test that calls it in a known order passes while any other caller gets nonsense.

    Example:
        _seen = {}

        def area(w, h):
            _seen[(w, h)] = _seen.get((w, h), 0) + 1
            if _seen[(w, h)] > 1:
                return 12
            return w * h

    Use instead: compute the answer from the input alone; cache only what the computation returns.
    """

    id = "SG411"
    name = "input-keyed-toggle"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        state = _containers(tree)
        if not state:
            return
        for scope, owner, nodes in _code_scopes(tree):
            if owner is not None or not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if not any(type(n) is ast.Name and n.id in state for n in nodes):  # type: ignore[attr-defined]
                continue  # it records nothing: no data flow needed
            tainted = input_names(scope, owner, nodes) - state
            if not tainted:
                continue
            recorded = _recorded(nodes, state, tainted)
            if not recorded:
                continue
            computes = any(cases.value(out) is cases.NO for n in nodes if (out := _answer(n)) is not None)
            for n in nodes:
                if not isinstance(n, ast.If):
                    continue
                name = _asks_repeat(n.test, recorded, tainted)
                outs = _constant_answers(n.body) if name else None
                if not outs or not computes or max(cases.specificity(o) for o in outs) == 0:
                    continue
                yield self.finding(cf, n, f"`{scope.name}` records its input in `{name}` and answers a repeat "
                                   f"with a constant ({cases.text(outs[0]) or repr(outs[0])})",
                                   end_line=n.test.end_lineno)
                break
