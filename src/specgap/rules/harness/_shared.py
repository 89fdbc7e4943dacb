"""What the harness family's rules share."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.stmts import calls_in, statements
from specgap.model import ChangedFile

# Guards that only select an option the user must pass.
_OPTION_GUARD = re.compile(r"getoption|getvalue|\.option\b|\.option\.|getini|environ|getenv|addopts", re.I)


def _text(nodes: list[ast.expr]) -> str:
    return " ".join(ast.unparse(n) for n in nodes)


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _setattr_call(node: ast.AST) -> tuple[ast.expr, str, ast.expr] | None:
    """`setattr(obj, "name", value)` as (obj, name, value)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
            and len(node.args) == 3 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return node.args[0], node.args[1].value, node.args[2]
    return None


def _attr_writes(fn: tf.FuncDef) -> Iterator[tuple[ast.AST, str, ast.expr | None]]:
    """(statement, attribute name, value) for `x.attr = v` and `setattr(x, "attr", v)` in `fn`."""
    for n in statements(fn, into_defs=False):
        for t in _targets(n):
            if isinstance(t, ast.Attribute):
                yield n, t.attr, getattr(n, "value", None)
        for call in calls_in(n):
            sa = _setattr_call(call)
            if sa:
                yield call, sa[1], sa[2]


def _first_written_line(cf: ChangedFile) -> int:
    """The first line the change wrote (1 for deletions and binary files)."""
    if cf.after is None:
        return 1
    if cf.added_lines:
        return min(cf.added_lines)
    for n, line in enumerate(cf.after.lines, 1):
        if line.strip() and cf.is_added_line(n):
            return n
    return 1


_SPECGAP_CONFIG = frozenset({".specgap.toml", "specgap.toml"})
