"""What a name or expression refers to, through imports and aliases: `s.exit` -> `sys.exit`.

Agents hide the thing they call (`import sys as s`, `from os import _exit as q`,
`getattr(__import__('o' + 's'), '_exit')`), so rules match qualified names, never spellings.
`Names` is built once per tree, on the shared `Context`; `qualname` is cheap to call on every node.
`dotted` is the spelling-level view (`a.b.c`) for rules that match written names on purpose.
"""

from __future__ import annotations

import ast
import builtins
from typing import TYPE_CHECKING

from specgap.analysis.folding import const_str

if TYPE_CHECKING:
    from specgap.analysis.context import Context

_BUILTINS = frozenset(dir(builtins))
# the last part of each name `_base` looks through a call of (`builtins.__import__`,
# `importlib.import_module`, `importlib.__import__`, `builtins.getattr`, `builtins.vars`)
_LOOKED_THROUGH = frozenset({"__import__", "import_module", "getattr", "vars"})
_MAX_DEPTH = 12  # resolution nests through calls and subscripts; hostile input may nest forever


class Names:
    """Local names of one module mapped to the dotted names they are bound to."""

    def __init__(self, ix: Context) -> None:
        self.bound: dict[str, str | None] = {}  # local name -> qualified name (None: ambiguous/unknown)
        # qualname by node (the node itself is the key, so a rule's short-lived node can't pass its
        # id on to another): many rules ask it of every call
        self._known: dict[ast.AST, str | None] = {}
        self._ready = False  # nothing is remembered while the bindings are being found
        for node in ix.of(ast.Import):
            for a in node.names:
                if a.asname:
                    self._bind(a.asname, a.name)
                else:  # `import os.path` binds `os`
                    top = a.name.split(".", 1)[0]
                    self._bind(top, top)
        for node in ix.of(ast.ImportFrom):
            mod = "." * node.level + (node.module or "")
            for a in node.names:
                if a.name != "*":
                    self._bind(a.asname or a.name, f"{mod}.{a.name}" if mod else a.name)
        self._ix: Context | None = ix
        self._assigned: set[str] | None = None  # found on first need: see `_rebinds`
        aliases = [(n.targets[0].id, n.value) for n in ix.of(ast.Assign)
                   if len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)]
        # `e = sys.exit`, `k = __import__('os')`: an alias, if it is the name's only binding
        counts: dict[str, int] = {}
        for name, _ in aliases:
            counts[name] = counts.get(name, 0) + 1
        for name, value in aliases:
            if counts[name] == 1 and name not in self.bound:
                q = self.qualname(value)
                if q is not None:
                    self.bound[name] = q
        self._ready = True

    def _rebinds(self, name: str) -> bool:
        """Whether the module binds `name` itself (by assignment, `for`, `def`, a parameter ...).
        Asked only of builtins' names not bound by an import or alias, which many files never
        resolve: the bindings are found the first time it is asked."""
        if self._assigned is None:
            ix = self._ix
            assert ix is not None
            assigned = _store_names(ix)
            assigned.update(n.name for n in ix.of(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))  # type: ignore[attr-defined]
            assigned.update(n.arg for n in ix.of(ast.arg))  # type: ignore[attr-defined]
            self._assigned, self._ix = assigned, None
        return name in self._assigned

    def _bind(self, local: str, qual: str) -> None:
        if local in self.bound and self.bound[local] != qual:
            self.bound[local] = None
        else:
            self.bound[local] = qual

    def qualname(self, node: ast.AST, _depth: int = 0) -> str | None:
        """Dotted name an expression refers to (`os._exit`, `builtins.exit`), or None if unknown."""
        if not _depth and self._ready:
            # the tree and its bindings do not change while rules read them, so neither does this
            known = self._known.get(node, self)
            if known is self:
                known = self._known[node] = self._resolve(node, 0)
            return known  # type: ignore[return-value]
        return self._resolve(node, _depth)

    def _resolve(self, node: ast.AST, _depth: int) -> str | None:
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):  # iterative: attribute chains can be very long
            attrs.append(node.attr)
            node = node.value
        base = self._base(node, _depth)
        if base is None:
            return None
        return ".".join([base, *reversed(attrs)])

    def _base(self, node: ast.AST, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.bound:
                return self.bound[node.id]
            if node.id in _BUILTINS and not self._rebinds(node.id):
                return f"builtins.{node.id}"
            if node.id == "__builtins__":
                return "builtins"
            return None
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            # only the calls below name something, and their qualnames end in `_LOOKED_THROUGH`'s
            # names: an `x.attr(...)` with another attr, or a plain name neither bound (by an import
            # or alias) nor such a builtin, cannot be one of them, and is not resolved
            if (f.attr not in _LOOKED_THROUGH if type(f) is ast.Attribute else
                    f.id not in self.bound and f.id not in _LOOKED_THROUGH if type(f) is ast.Name else False):
                return None
            fn = self.qualname(f, depth + 1)
            if fn in ("builtins.__import__", "importlib.import_module", "importlib.__import__") and len(node.args) >= 1:
                mod = const_str(node.args[0], self, depth + 1)
                return mod if isinstance(mod, str) and mod else None
            if fn == "builtins.getattr" and len(node.args) >= 2:
                obj = self.qualname(node.args[0], depth + 1)
                attr = const_str(node.args[1], self, depth + 1)
                return f"{obj}.{attr}" if obj and isinstance(attr, str) and attr else None
            if fn == "builtins.vars" and len(node.args) == 1:  # vars(os)['_exit'] via Subscript below
                return self.qualname(node.args[0], depth + 1)
            return None
        if isinstance(node, ast.Subscript):
            key = const_str(node.slice, self, depth + 1)
            if not isinstance(key, str) or not key:
                return None
            value = node.value
            container = self.qualname(value, depth + 1)
            if container == "sys.modules":
                return key
            if container is not None and container.endswith(".__dict__"):
                return f"{container[: -len('.__dict__')]}.{key}"
            if isinstance(value, ast.Call) and self.qualname(value.func, depth + 1) == "builtins.vars":
                return f"{container}.{key}" if container else None
            if container == "builtins":  # __builtins__['exit']
                return f"builtins.{key}"
            return None
        return None


# Where a name is bound or deleted (a `Name` in Store or Del context): these nodes' targets only.
# Reading them is cheaper than testing the context of every name of the module, most of which
# are reads.
_TYPE_ALIAS = getattr(ast, "TypeAlias", None)  # `type X = ...`, Python 3.12+
_BINDERS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.withitem, ast.comprehension,
            ast.NamedExpr, ast.Delete) + ((_TYPE_ALIAS,) if _TYPE_ALIAS else ())


def _store_names(ix: Context) -> set[str]:
    """The names a module binds or deletes anywhere by assignment, `for`, `with ... as`, `del`, ..."""
    load, out = ast.Load, set()
    for node in ix.of(*_BINDERS):
        t = type(node)
        if t is ast.Assign or t is ast.Delete:
            stack = list(node.targets)  # type: ignore[attr-defined]
        elif t is ast.withitem:
            stack = [node.optional_vars] if node.optional_vars is not None else []  # type: ignore[attr-defined]
        elif t is _TYPE_ALIAS:
            stack = [node.name]  # type: ignore[attr-defined]
        else:
            stack = [node.target]  # type: ignore[attr-defined]
        while stack:  # a target is a name, or a tuple, list or starred of targets (or an attribute/subscript)
            n = stack.pop()
            c = type(n)
            if c is ast.Name:
                if n.ctx.__class__ is not load:  # type: ignore[attr-defined]
                    out.add(n.id)  # type: ignore[attr-defined]
            elif c is ast.Tuple or c is ast.List:
                stack.extend(n.elts)  # type: ignore[attr-defined]
            elif c is ast.Starred:
                stack.append(n.value)  # type: ignore[attr-defined]
    return out


def dotted(node: ast.AST, *, through_calls: bool = False) -> str:
    """`a.b.c` for a Name/Attribute chain as written, else ''.

    With `through_calls`, calls are looked through and a chain on something else keeps its
    attributes: `a().b` -> `a.b`, `x[0].b` -> `b` (for matching a decorator or base class by its
    last parts, however it is reached).
    """
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif through_calls and isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        else:
            return ".".join(reversed(parts)) if through_calls else ""


def param_names(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names
