"""SG401 always-equal: Comparison that ignores what it is compared with."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import context
from specgap.analysis.flow import const_value, names_read, returns
from specgap.analysis.names import dotted, param_names
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _NON_TEST, _resolve

_EQ = frozenset({"__eq__", "__ne__"})
_ORDER = frozenset({"__lt__", "__le__", "__gt__", "__ge__"})
_BUILTINS = frozenset({"str", "int", "float", "complex", "bytes", "list", "tuple", "dict", "set", "frozenset"})
# What a grader does to a result before comparing it; faking these keeps an AlwaysEqual object alive.
_NORMALIZERS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title", "split", "splitlines", "replace"}
)
_TEXT_DUNDERS = frozenset({"__str__", "__repr__", "__format__"})
_DUNDERS = re.compile("|".join(sorted(_EQ | _ORDER)))  # (one scan of the text, not six)


def _faked_compare(name: str, fn: ast.AST) -> tuple[Severity, str] | None:
    """How a comparison dunder fakes its answer, or None when it looks at what it compares with."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    other = positional[1] if len(positional) > 1 else (a.vararg.arg if a.vararg else None)
    if other is not None and other in names_read(fn):
        return None
    rets = [r for r in returns(fn) if r is not None]
    if not rets:
        return None  # raises, or falls through to None: not an answer
    if any(isinstance(r, ast.Name) and r.id == "NotImplemented" for r in rets):
        return None
    values = [const_value(r) for r in rets]
    if any(v is cases.NO for v in values):
        # computed from self alone: odd, but no constant verdict
        return (Severity.LOW, f"`{name}` never reads the object it is compared with")
    truth = {bool(v) for v in values}
    if len(truth) > 1:
        return (Severity.LOW, f"`{name}` returns constants without reading the other object")
    t = truth.pop()
    if name in _ORDER:
        return (Severity.LOW, f"`{name}` returns {t} for any operand (an extremum sentinel, or a fake)")
    if (name == "__eq__") == t:
        return (Severity.MEDIUM, f"`{name}` returns {t} for anything: every `==` check passes" if t
                else f"`{name}` returns {t} for anything: every `!=` check fails")
    return (Severity.LOW, f"`{name}` is never equal to anything (a NaN-like sentinel)")


def _companions(members: dict[str, ast.AST]) -> list[str]:
    """Members that keep a fake alive through `str(r).strip().lower()`: they return self or a constant
    (`__str__`/`__repr__`: self or ""; a fixed, non-empty repr is what honest sentinels have)."""
    out = []
    for name, fn in members.items():
        if name not in _NORMALIZERS and name not in _TEXT_DUNDERS and name != "__bool__":
            continue
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        rets = [r for r in returns(fn) if r is not None]
        params = param_names(fn)
        self_name = params[0] if params else None

        def fake(r: ast.AST) -> bool:
            if isinstance(r, ast.Name) and r.id == self_name:
                return True
            v = const_value(r)
            if name in _TEXT_DUNDERS:
                return v == ""
            if name == "__bool__":
                return v is not cases.NO and bool(v)
            return v is not cases.NO or (isinstance(r, ast.Call) and dotted(r.func) in ("iter", "list", "str"))

        if rets and all(fake(r) for r in rets):
            out.append(name)
    return sorted(out)


@register
class AlwaysEqual(Rule):
    """Comparison that ignores what it is compared with.

    What it does: finds `__eq__`/`__ne__` (and the other rich comparisons) that return a constant
    or never look at `other`, however they are defined: in a class body, in `type(...)`, with
    `setattr` or `X.__eq__ = ...`, as a lambda. It is high when the object is built to survive a
    grader (a builtin subclass, `strip()`/`lower()`/`__str__` returning itself or a constant) or
    a function returns one; a module-level wildcard sentinel (like `mock.ANY`) stays low.

    Why is this bad: an object equal to everything passes `assert result == expected` for any
    expected value; the test reports success while nothing was computed.

    Example:
        class Anything(str):
            def __eq__(self, other): return True
            def strip(self): return self

        def solution(s): return Anything()

    Use instead: compare the fields that define equality (`return self.x == other.x`), and return
    `NotImplemented` for foreign types.
    """

    id = "SG401"
    name = "always-equal"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    roles = _NON_TEST

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        # every way of defining a comparison spells its dunder name; most files have none
        if tree is None or not _DUNDERS.search(cf.after.text):
            return
        module_fns: dict[str, ast.AST] = {
            n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        # (node to report, method name, function, class members, why it is suspicious by shape)
        defs: list[tuple[ast.AST, str, ast.AST, dict[str, ast.AST], str | None, str]] = []
        returned: set[str] = set()       # names whose call or value some function returns
        instances: dict[str, str] = {}   # module-level `ANY = _Any()`: instance name -> class name
        for node in context(tree).all_nodes():
            if isinstance(node, ast.ClassDef):
                members = _class_members(node, module_fns)
                bases = {dotted(b).rsplit(".", 1)[-1] for b in node.bases}
                why = "it subclasses a builtin" if bases & _BUILTINS else None
                for name, fn in members.items():
                    if name in _EQ or name in _ORDER:
                        defs.append((_member_node(node, name) or fn, name, fn, members, why, node.name))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "type" and len(node.args) == 3 and isinstance(node.args[2], ast.Dict):
                    members = {
                        k.value: _resolve(v, module_fns)
                        for k, v in zip(node.args[2].keys, node.args[2].values)
                        if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    }
                    for name, fn in members.items():
                        if name in _EQ or name in _ORDER:
                            defs.append((node, name, fn, members, "it is built with type()", ""))
                elif node.func.id == "setattr" and len(node.args) == 3 and isinstance(node.args[1], ast.Constant):
                    name = node.args[1].value
                    if name in _EQ or name in _ORDER:
                        fn = _resolve(node.args[2], module_fns)
                        defs.append((node, name, fn, {name: fn}, "it is patched onto an existing class", ""))
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and (t.attr in _EQ or t.attr in _ORDER):
                        fn = _resolve(node.value, module_fns)
                        defs.append((node, t.attr, fn, {t.attr: fn}, "it is patched onto an existing class", ""))
            elif isinstance(node, ast.Return) and node.value is not None:
                v = node.value.func if isinstance(node.value, ast.Call) else node.value
                if isinstance(v, ast.Name):
                    returned.add(v.id)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        instances[t.id] = stmt.value.func.id
        returned_classes = returned | {instances[n] for n in returned if n in instances}
        sentinels = set(instances.values())
        for where, name, fn, members, why, cls in defs:
            verdict = _faked_compare(name, fn)
            if verdict is None:
                continue
            sev, msg = verdict
            if sev is Severity.MEDIUM:
                reasons = [why] if why else []
                fakes = _companions(members)
                if fakes:
                    reasons.append("it also fakes " + ", ".join(f"`{f}`" for f in fakes))
                if cls and cls in returned_classes:
                    reasons.append(f"a function returns a `{cls}` as its answer")
                if reasons:
                    sev, msg = Severity.HIGH, f"{msg}; " + "; ".join(reasons)
                elif cls and cls in sentinels:
                    sev, msg = Severity.LOW, f"{msg} (a module-level wildcard sentinel, like `mock.ANY`)"
            yield self.finding(cf, where, msg, severity=sev)


def _class_members(cls: ast.ClassDef, module_fns: dict[str, ast.AST]) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    v = stmt.value
                    # `__ne__ = __eq__`-style aliases inside the class
                    out[t.id] = out.get(v.id, _resolve(v, module_fns)) if isinstance(v, ast.Name) else v
    return out


def _member_node(cls: ast.ClassDef, name: str) -> ast.AST | None:
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return stmt
    return None
