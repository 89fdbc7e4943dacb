"""What a function returns, reads and binds, and which of its names hold its input.

Shared by the solution-gaming rules: "returns a constant", "never reads `other`", "compares the
input with a literal" all need the same small, fast, recursion-free answers.
"""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import local_nodes, subtree
from specgap.analysis.names import dotted, param_names
from specgap.analysis.testfns import FuncDef

# Where a stdin-style solution reads the test's input.
INPUT_CALLS = frozenset({"input", "sys.stdin.readline", "sys.stdin.read", "sys.stdin.readlines", "raw_input"})


def const_value(node: ast.AST | None) -> object:
    """The value of a constant expression (`True`, `1`, `not False`, `""`), else cases.NO."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        v = const_value(node.operand)
        return cases.NO if v is cases.NO else not v
    return cases.value(node)


def returns(fn: FuncDef | ast.Lambda) -> list[ast.AST | None]:
    """The returned expressions of a function's own body (a lambda's body is its return)."""
    if isinstance(fn, ast.Lambda):
        return [fn.body]
    return [n.value for n in local_nodes(fn) if isinstance(n, ast.Return)]


def names_read(fn: FuncDef | ast.Lambda) -> set[str]:
    """Names the function reads, including in nested functions (closures see its parameters)."""
    body = [fn.body] if isinstance(fn, ast.Lambda) else fn.body
    return {n.id for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)}


def bound_names(stmt: ast.AST) -> Iterator[str]:
    """Names a statement binds at its own level."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield stmt.name
    elif isinstance(stmt, ast.Assign):
        for t in stmt.targets:
            yield from target_names(t)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        yield from target_names(stmt.target)
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for a in stmt.names:
            yield (a.asname or a.name).split(".")[0]


def walk_block(stmts: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a block of statements, not those inside functions or classes it defines."""
    stack: list[ast.AST] = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield n
        stack.extend(ast.iter_child_nodes(n))


def is_input_source(node: ast.AST) -> bool:
    """`input()`, `sys.stdin...`: where a stdin-style solution gets the test's input."""
    if isinstance(node, ast.Call):
        return dotted(node.func) in INPUT_CALLS
    return isinstance(node, ast.Attribute) and dotted(node) in ("sys.stdin", "sys.argv")


# The names every spelling `is_input_source` accepts is written from: `input(...)`, `sys.stdin...`.
_INPUT_BASES = frozenset(d.split(".", 1)[0] for d in INPUT_CALLS | {"sys.stdin", "sys.argv"})


def mentions(expr: ast.AST, tainted: set[str]) -> bool:
    """Whether an expression reads one of the `tainted` names or the program's input."""
    name, call, attribute = ast.Name, ast.Call, ast.Attribute
    for n in subtree(expr):
        t = type(n)  # exact types: asked of every compared subject and lookup key
        if t is name:
            if n.id in tainted:  # type: ignore[attr-defined]
                return True
        elif (t is call or t is attribute) and is_input_source(n):
            return True
    return False


def target_names(node: ast.AST) -> Iterator[str]:
    """Names bound by an assignment target (`a, (b, c)`, `*rest`); not `self` in `self.x = ...`."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for e in node.elts:
            yield from target_names(e)
    elif isinstance(node, ast.Starred):
        yield from target_names(node.value)


def input_names(scope: ast.AST, owner: ast.ClassDef | None, nodes: list[ast.AST]) -> set[str]:
    """Names that hold the function's input: parameters, what is read from stdin, and what is
    derived from those (two passes over the assignments reach the usual `n, k = map(int, ...)`)."""
    tainted: set[str] = set()
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        params = param_names(scope)
        tainted.update(params[1:] if owner is not None and params else params)
    flows: list[tuple[ast.AST, ast.AST]] = []
    assign, aug, ann, named, expr = ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.Expr
    for n in nodes:
        t = type(n)  # exact types: every node of the scope passes here
        if t is assign:
            flows.extend((x, n.value) for x in n.targets)  # type: ignore[attr-defined]
        elif t is aug or t is ann:
            if n.value is not None:  # type: ignore[attr-defined]
                flows.append((n.target, n.value))  # type: ignore[attr-defined]
        elif t is ast.For or t is ast.AsyncFor or t is ast.comprehension:
            flows.append((n.target, n.iter))  # type: ignore[attr-defined]
        elif t is named:
            flows.append((n.target, n.value))  # type: ignore[attr-defined]
        elif t is expr and type(c := n.value) is ast.Call and type(f := c.func) is ast.Attribute:  # type: ignore[attr-defined]
            # `clues.append((l, r))`: the container now holds input
            if f.attr in ("append", "extend", "add", "insert") and type(f.value) is ast.Name:
                flows.append((f.value, c))
    reads = [(target, *_reads(val)) for target, val in flows]  # each value walked once, not once a pass
    for _ in range(2):
        for target, names, from_input in reads:
            if from_input or not names.isdisjoint(tainted):
                tainted.update(target_names(target))
    return tainted


def _reads(expr: ast.AST) -> tuple[set[str], bool]:
    """The names an expression reads, and whether it reads the program's input (as `mentions`)."""
    name = ast.Name
    names = {n.id for n in subtree(expr) if type(n) is name}  # type: ignore[attr-defined]
    # every input source is spelled from one of `_INPUT_BASES`: without one, no need to look
    return names, not names.isdisjoint(_INPUT_BASES) and any(is_input_source(n) for n in subtree(expr))
