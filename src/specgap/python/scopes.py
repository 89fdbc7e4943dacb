"""Functions and the nodes that belong to each one's own scope.

Rules that reason per function (which names are parameters, what it returns) need each node
once, in the function that owns it: walking nested functions again from every enclosing one
would make the work quadratic in the nesting depth.
"""

from __future__ import annotations

import ast
from typing import Iterator

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def local_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Every node under `scope` except those inside nested functions, lambdas and classes.

    The nested definition itself is yielded, and so are its decorators, defaults and annotations.
    Iterative, so deeply nested input cannot exhaust the recursion limit; order is unspecified.
    Expression contexts (`Load`/`Store`) are left out: no rule asks for them, and skipping them
    and `ast.iter_child_nodes`' generator keeps this walk several times cheaper.
    """
    stack: list[ast.AST] = [scope.body] if isinstance(scope, ast.Lambda) else list(getattr(scope, "body", []))
    pop, push, extend = stack.pop, stack.append, stack.extend
    node_type = ast.AST
    while stack:
        node = pop()
        yield node
        if isinstance(node, _SCOPES):
            # decorators, bases, defaults and annotations are evaluated here; the body is not
            if isinstance(node, ast.Lambda):
                push(node.args)
            else:
                body = {id(b) for b in node.body}
                extend(c for c in ast.iter_child_nodes(node) if id(c) not in body)
            continue
        for name in node._fields:
            if name == "ctx":
                continue
            v = getattr(node, name, None)
            if isinstance(v, list):
                extend([x for x in v if isinstance(x, node_type)])
            elif isinstance(v, node_type):
                push(v)


Scope = tuple[ast.AST, "ast.ClassDef | None", list[ast.AST]]
# Kept on the tree itself, so it lives and dies with it (a cache keyed on the tree would hold
# every tree it ever saw: the table refers back to its tree).
_ATTR = "_specgap_scope_table"


def scope_table(tree: ast.Module) -> list[Scope]:
    """`(scope, owner class, own nodes)` for the module, every function, class body and lambda,
    computed once per tree and shared by every rule that asks (the walk costs about as much as
    parsing, so rules must not each repeat it)."""
    table: list[Scope] | None = getattr(tree, _ATTR, None)
    if table is None:
        table = []
        stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(tree, None)]
        while stack:
            scope, owner = stack.pop()
            nodes = list(local_nodes(scope))
            table.append((scope, owner, nodes))
            cls = scope if isinstance(scope, ast.ClassDef) else None
            for node in nodes:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    stack.append((node, cls))
                elif isinstance(node, (ast.ClassDef, ast.Lambda)):
                    stack.append((node, None))
        setattr(tree, _ATTR, table)
    return table


def all_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node of the tree (as `ast.walk` gives them, in another order), from the shared table."""
    for _, _, nodes in scope_table(tree):
        yield from nodes


def param_names(fn: FuncDef | ast.Lambda) -> list[str]:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def dotted(node: ast.AST) -> str:
    """`a.b.c` for a Name/Attribute chain, else ''."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""
