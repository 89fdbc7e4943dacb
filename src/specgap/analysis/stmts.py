"""Statement-level traversal: most signals live in statements, and skipping expressions is fast.

`ast.walk` visits every expression node; rules that only look at assignments, imports, asserts,
defs and calls used as statements visit a fraction of the nodes by walking statements only.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from specgap.analysis.context import Context

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# Statements that hold blocks; everything else (most statements) has no children to visit.
_COMPOUND = (ast.Module, ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match, ast.ExceptHandler) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ())


def child_statements(node: ast.AST) -> list[ast.stmt]:
    """The statements directly inside a statement's (or module's) blocks."""
    if not isinstance(node, _COMPOUND):
        return []
    out: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list):
            out.extend(block)
    for h in getattr(node, "handlers", None) or ():
        out.extend(h.body)
    for c in getattr(node, "cases", None) or ():
        out.extend(c.body)
    return out


def statements(root: ast.AST, *, into_defs: bool = True) -> Iterator[ast.stmt]:
    """Every statement below `root`; with `into_defs=False`, nested defs and classes are yielded but not entered."""
    stack = child_statements(root)[::-1]
    while stack:
        st = stack.pop()
        yield st
        if into_defs or not isinstance(st, _DEFS):
            stack.extend(child_statements(st)[::-1])


def calls_in(st: ast.stmt) -> Iterator[ast.Call]:
    """Calls a statement makes at its top: `f(...)`, `x = f(...)`, `return f(...)`, `with f(...):`."""
    values: list[ast.AST | None] = []
    if isinstance(st, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)):
        values.append(st.value)
    elif isinstance(st, (ast.With, ast.AsyncWith)):
        values.extend(i.context_expr for i in st.items)
    for v in values:
        if isinstance(v, ast.Await):
            v = v.value
        if isinstance(v, ast.Call):
            yield v


def statement_making(ctx: Context, call: ast.Call) -> ast.stmt | None:
    """The statement whose `calls_in` gives `call`, found from the call by its parents (for rules
    that find calls by name in the index rather than walking statements)."""
    value: ast.AST = call
    up = ctx.parent.get(call)
    if isinstance(up, ast.Await):
        value, up = up, ctx.parent.get(up)
    if isinstance(up, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)):
        return up if up.value is value else None
    if isinstance(up, ast.withitem) and up.context_expr is value:
        st = ctx.parent.get(up)
        return st if isinstance(st, (ast.With, ast.AsyncWith)) else None
    return None
