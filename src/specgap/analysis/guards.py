"""Where a node runs: at import time or in a function, under a main guard, in a branch.

Whether an exit or a patch matters depends on when it runs: at import of a module the tests
import, inside `if __name__ == "__main__":` (never under a test runner), or only in an error path.
`where` answers that for one node by climbing its parents in the shared `Context`.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from specgap.analysis.context import Context

FuncLike = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class Where(NamedTuple):
    funcs: tuple[FuncLike, ...] = ()       # enclosing functions, innermost last
    main_guard: bool = False               # under `if __name__ == "__main__":`
    branch: bool = False                   # conditional within the innermost function (or module)
    tests: tuple[ast.expr, ...] = ()       # conditions of the enclosing ifs/whiles, innermost function
    withs: tuple[ast.expr, ...] = ()       # context managers around the node, innermost function
    prev: ast.stmt | None = None           # the statement just before this one in its block

    @property
    def import_time(self) -> bool:
        """Runs when the module is imported (module level or class body, no main guard)."""
        return not self.funcs and not self.main_guard


def is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _previous(parent: ast.AST, stmt: ast.stmt) -> ast.stmt | None:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list):
            for k, s in enumerate(block):
                if s is stmt:
                    return block[k - 1] if k else None
    return None


def _in(child: ast.AST, block: list[ast.stmt]) -> bool:
    return any(s is child for s in block)


def where(node: ast.AST, ix: Context) -> Where:
    """The `Where` of `node`, found by climbing its parents (cheap: only for nodes a rule kept)."""
    funcs: list[FuncLike] = []
    tests: list[ast.expr] = []
    withs: list[ast.expr] = []
    main_guard = branch = False
    prev: ast.stmt | None = None
    stmt_seen = False
    child = node
    for p in ix.ancestors(node):
        if not stmt_seen and isinstance(child, ast.stmt):
            stmt_seen = True
            prev = _previous(p, child)
        local = not funcs  # branch/tests/withs describe the innermost function only
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _in(child, p.body):
                funcs.append(p)
        elif isinstance(p, ast.Lambda):
            if child is p.body:
                funcs.append(p)
        elif isinstance(p, (ast.If, ast.While)):
            if child is not p.test:
                if isinstance(p, ast.If) and _in(child, p.body) and is_main_guard(p.test):
                    main_guard = True
                if local:
                    branch = True
                    tests.append(p.test)
        elif not local:
            pass
        elif isinstance(p, (ast.For, ast.AsyncFor)):
            branch = branch or child is not p.iter and child is not p.target
        elif isinstance(p, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            if isinstance(child, ast.ExceptHandler):
                branch = True
            elif _in(child, p.orelse):
                branch = True
        elif isinstance(p, (ast.With, ast.AsyncWith)):
            if _in(child, p.body):
                withs.extend(i.context_expr for i in p.items)
        elif isinstance(p, ast.IfExp):
            if child is not p.test:
                branch = True
                tests.append(p.test)
        elif isinstance(p, ast.BoolOp):
            if child is not p.values[0]:
                branch = True
                tests.append(p.values[0])
        elif isinstance(p, ast.match_case):
            branch = True
        child = p
    return Where(tuple(reversed(funcs)), main_guard, branch, tuple(tests), tuple(withs), prev)
