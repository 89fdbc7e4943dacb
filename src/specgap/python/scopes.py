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

    The nested definition itself is yielded (its decorators and defaults belong to this scope).
    Iterative, so deeply nested input cannot exhaust the recursion limit.
    """
    if isinstance(scope, ast.Lambda):
        stack: list[ast.AST] = [scope.body]
    else:
        stack = list(reversed(getattr(scope, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            if isinstance(node, ast.ClassDef):
                stack.extend(reversed(node.bases + node.decorator_list))
            elif isinstance(node, ast.Lambda):
                stack.extend(reversed(node.args.defaults))
            else:
                stack.extend(reversed(node.decorator_list + node.args.defaults))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.ClassDef | None]]:
    """The module and every function, each with the class it is a method of (or None)."""
    yield tree, None
    stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(tree, None)]
    while stack:
        scope, _ = stack.pop()
        for node in local_nodes(scope):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner = scope if isinstance(scope, ast.ClassDef) else None
                yield node, owner
                stack.append((node, owner))
            elif isinstance(node, ast.ClassDef):
                stack.append((node, None))


def param_names(fn: FuncDef | ast.Lambda) -> list[str]:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def is_method(fn: FuncDef, owner: ast.ClassDef | None) -> bool:
    return owner is not None and not any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list
    )


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
