"""Pytest hook implementations and where imported names come from.

Used by the harness rules: which functions implement which pytest hook (module-level or in a
plugin class), whether they wrap the call (`hookwrapper=True` / `wrapper=True`), and which module
a local name was imported from, so `TestReport.from_item_and_call = f` is known to patch
`_pytest.reports.TestReport` whatever the import style.
"""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis.context import Context, context, local_nodes
from specgap.analysis.names import dotted
from specgap.analysis.testfns import FuncDef


def import_origins(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin for every import in the module (at any depth)."""
    out: dict[str, str] = {}
    imports = context(tree).of(ast.Import, ast.ImportFrom)
    for node in sorted(imports, key=lambda n: (n.lineno, n.col_offset)):  # a later import wins
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def resolve(node: ast.AST, origins: dict[str, str]) -> str:
    """Dotted name of `node` with its first part replaced by where it was imported from."""
    name = dotted(node, through_calls=True)
    if not name:
        return ""
    head, _, rest = name.partition(".")
    origin = origins.get(head)
    if origin is None:
        return name
    return f"{origin}.{rest}" if rest else origin


def hook_impls(tree: ast.Module) -> list[FuncDef]:
    """Functions named `pytest_*` at module level or in (plugin) classes (found once per file,
    however many rules ask: do not modify the list)."""
    return context(tree).derived(_impls)


def _impls(ctx: Context) -> list[FuncDef]:
    return list(_hook_impls(ctx.tree))  # type: ignore[arg-type]


def _hook_impls(tree: ast.Module) -> Iterator[FuncDef]:
    for st in tree.body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name.startswith("pytest_"):
            yield st
        elif isinstance(st, ast.ClassDef):
            for s in st.body:
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("pytest_"):
                    yield s
        elif isinstance(st, ast.If):  # version-dependent definitions
            yield from _hook_impls(ast.Module(body=st.body + st.orelse, type_ignores=[]))


def is_wrapper(fn: FuncDef) -> bool:
    """`@hookimpl(hookwrapper=True)` or `@hookimpl(wrapper=True)` (or a generator hook body)."""
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call):
            for kw in dec.keywords:
                if kw.arg in ("hookwrapper", "wrapper") and isinstance(kw.value, ast.Constant) and kw.value.value:
                    return True
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in local_nodes(fn))
