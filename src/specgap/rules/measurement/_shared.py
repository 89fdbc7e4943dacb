"""What the measurement family's rules share."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis.context import Context, context, subtree
from specgap.analysis.folding import const_str
from specgap.analysis.guards import where
from specgap.model import ChangedFile, ChangeSet, FileRole, Finding, Kind, Severity
from specgap.rules.base import Rule

_NON_TEST = (FileRole.PRODUCT, FileRole.HARNESS, FileRole.PROTECTED)
_PATCHERS = frozenset({"unittest.mock.patch", "mock.patch", "unittest.mock.patch.object", "mock.patch.object",
                       "pytest.MonkeyPatch.setattr"})
_LASTS = frozenset({"setattr", "object", "patch"})  # the last part of every patching call's name


def patches(ix: Context) -> list[tuple[ast.AST, str, ast.expr | None]]:
    """Every rebinding in the file, found once and shared by the four patch rules."""
    return list(_patches(ix))


def _patches(ix: Context) -> Iterator[tuple[ast.AST, str, ast.expr | None]]:
    """(node, qualified target, new value) for every rebinding of a module or class attribute:
    `time.time = f`, `setattr(time, "time", f)`, `builtins.__dict__["len"] = f`,
    `mock.patch("time.time", f)`, `monkeypatch.setattr(time, "time", f)`."""
    names = ix.names
    for node in ix.of(ast.Assign, ast.AugAssign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for leaf in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(leaf, (ast.Attribute, ast.Subscript)):
                    q = names.qualname(leaf)
                    if q is not None and "." in q:
                        yield node, q, node.value
    # every call below names (or is an attribute) ending in one of `_LASTS`: the others are not resolved
    plain = {"setattr"} | {local for local, q in names.bound.items() if q and q.rsplit(".", 1)[-1] in _LASTS}
    for call in ix.of(ast.Call):
        f = call.func
        if (f.attr not in _LASTS) if type(f) is ast.Attribute else (f.id not in plain) if type(f) is ast.Name else False:
            continue
        q = names.qualname(f)
        args = call.args
        is_setattr = q == "builtins.setattr" or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "setattr"
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "monkeypatch")
        if (is_setattr or (q or "").endswith("patch.object")) and len(args) >= 2:
            attr = const_str(args[1], names)
            obj = names.qualname(args[0]) if not isinstance(args[0], ast.Constant) else None
            if isinstance(attr, str) and obj:
                yield call, f"{obj}.{attr}", args[2] if len(args) > 2 else None
            elif is_setattr and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                yield call, args[0].value, args[1]  # monkeypatch.setattr("time.time", f)
        elif q in _PATCHERS and args:
            target = const_str(args[0], names)
            if isinstance(target, str):
                yield call, target, args[1] if len(args) > 1 else None


def _compat(node: ast.AST, ix: Context) -> bool:
    """Under `if not hasattr(mod, name):` or `except (ImportError, AttributeError):`: a shim that
    fills in a missing name rather than replacing a working one."""
    for p in ix.ancestors(node):
        if isinstance(p, ast.If) and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                                         and n.func.id == "hasattr" for n in subtree(p.test)):
            return True
        if isinstance(p, ast.ExceptHandler):
            return True
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
    return False


class _PatchRule(Rule):
    """Shared shape of the SG6xx patch rules: match rebinding targets, grade, report."""

    roles = _NON_TEST
    kind = Kind.TAMPERING

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        raise NotImplementedError

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        found = [(node, target, g) for node, target, value in ix.derived(patches) if (g := self.grade(target, value))]
        times: dict[str, int] = {}
        for _, target, _ in found:
            times[target] = times.get(target, 0) + 1
        for node, target, (sev, why) in found:
            if _compat(node, ix):
                sev, why = Severity.LOW, why + " (as a compatibility shim)"
            elif times[target] > 1 and where(node, ix).funcs:
                # patch-and-restore inside a function: a sandbox or a context manager, not a rigged process
                sev, why = Severity.LOW, why + " (temporarily: the file also restores it)"
            yield self.finding(cf, node, why, severity=sev)
