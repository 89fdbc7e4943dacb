"""SG605 nan-return: Function that always returns NaN, whatever its inputs."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context
from specgap.analysis.folding import const_str
from specgap.analysis.names import Names
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.measurement._shared import _NON_TEST

_NAN_NAMES = frozenset({"math.nan", "numpy.nan", "numpy.NaN", "numpy.NAN", "cmath.nan", "torch.nan", "float.nan"})
_NAN_FUNC = re.compile(r"nan|(^|_)na($|_)|null|missing|fill|sentinel|default|empty|invalid|undefined", re.I)


def _is_nan(node: ast.AST | None, names: Names) -> bool:
    if node is None:
        return False
    if isinstance(node, (ast.Name, ast.Attribute)):
        return names.qualname(node) in _NAN_NAMES
    if isinstance(node, ast.Call) and len(node.args) == 1:
        q = names.qualname(node.func) or ""
        if q in ("builtins.float", "numpy.float64", "numpy.float32", "numpy.double", "torch.tensor", "numpy.array"):
            arg = node.args[0]
            s = const_str(arg, names)
            return (isinstance(s, str) and s.strip().lower() in ("nan", "+nan", "-nan")) or _is_nan(arg, names)
    return False


@register
class NanReturn(Rule):
    """Function that always returns NaN, whatever its inputs.

    What it does: finds functions (and lambdas) with parameters whose every `return` gives a
    constant NaN (`float('nan')`, `math.nan`, `np.nan`). Functions named for missing values
    (`nan_value`, `na_fill`, `default`), and NaN returned on some paths only, are not reported.

    Why is this bad: a tolerance check written as `not (abs(result - expected) > tol)` passes for
    NaN, since every comparison with NaN is false; returning NaN is a way to pass such checks
    without computing anything.

    Example:
        def loss(pred, target):
            return float("nan")

    Use instead: compute the value; signal "no value" with an exception or None.
    """

    id = "SG605"
    name = "nan-return"
    family = "measurement"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST
    mentions = re.compile(r"nan|NaN|NAN")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        own = _returns_by_function(ix)
        for fn in ix.of(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs] + [
                a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
            if not [p for p in params if p not in ("self", "cls")] or _NAN_FUNC.search(getattr(fn, "name", "")):
                continue
            rets = own.get(fn, [])
            values: list[ast.AST | None] = [fn.body] if isinstance(fn, ast.Lambda) else [r.value for r in rets]
            if values and all(_is_nan(v, names) for v in values):
                at = fn if isinstance(fn, ast.Lambda) else min(rets, key=lambda r: r.lineno)
                yield self.finding(cf, at, f"{getattr(fn, 'name', 'lambda')}() always returns NaN: "
                                   "`not (err > tol)` style checks pass for it")


def _returns_by_function(ix: Context) -> dict[ast.AST, list[ast.Return]]:
    """Return statements grouped by the function they belong to (not functions nested in it)."""
    out: dict[ast.AST, list[ast.Return]] = {}
    for r in ix.of(ast.Return):
        for p in ix.ancestors(r):
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                out.setdefault(p, []).append(r)
                break
    return out
