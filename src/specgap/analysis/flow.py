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


def mentions(expr: ast.AST, tainted: set[str]) -> bool:
    """Whether an expression reads one of the `tainted` names or the program's input."""
    return any((isinstance(n, ast.Name) and n.id in tainted) or is_input_source(n) for n in subtree(expr))


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
    for n in nodes:
        if isinstance(n, ast.Assign):
            flows.extend((t, n.value) for t in n.targets)
        elif isinstance(n, (ast.AnnAssign, ast.AugAssign)) and n.value is not None:
            flows.append((n.target, n.value))
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
            flows.append((n.target, n.iter))
        elif isinstance(n, ast.NamedExpr):
            flows.append((n.target, n.value))
        elif isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute):
            # `clues.append((l, r))`: the container now holds input
            if n.value.func.attr in ("append", "extend", "add", "insert") and isinstance(n.value.func.value, ast.Name):
                flows.append((n.value.func.value, n.value))
    reads = [(target, *_reads(val)) for target, val in flows]  # each value walked once, not once a pass
    for _ in range(2):
        for target, names, from_input in reads:
            if from_input or not names.isdisjoint(tainted):
                tainted.update(target_names(target))
    return tainted


def _reads(expr: ast.AST) -> tuple[set[str], bool]:
    """The names an expression reads, and whether it reads the program's input (as `mentions`)."""
    names, from_input = set(), False
    for n in subtree(expr):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif not from_input and is_input_source(n):
            from_input = True
    return names, from_input
