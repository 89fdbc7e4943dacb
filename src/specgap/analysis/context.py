"""The per-file analysis every rule shares: built once per parsed tree, and only as far as asked.

Rules ask "which calls / assignments / raises are there, where do they sit, which function owns
them, what does this name refer to". Walking the whole tree once per rule costs more than parsing
it, so ONE walk (the first time any rule asks) records every node's parent, the nodes grouped by
type, attributes by name, and each scope's own nodes; name resolution and test functions are
derived from that on first use. A rule asks for the nodes of the types it wants (`ctx.of(ast.Call)`)
and climbs parents only for the few it keeps, instead of walking the tree itself.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

if TYPE_CHECKING:
    from specgap.analysis.guards import Where
    from specgap.analysis.names import Names

T = TypeVar("T")

_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})

# Fields that never hold a node (identifiers, constants, flags), by node type; with `ctx`, the
# walk never looks at them, and leaves (`Name`, `Constant`, ...) cost one append.
_PLAIN = {
    "FunctionDef": ("name", "type_comment"), "AsyncFunctionDef": ("name", "type_comment"),
    "ClassDef": ("name",), "Constant": ("value", "kind"), "Attribute": ("attr",), "Name": ("id",),
    "ImportFrom": ("module", "level"), "alias": ("name", "asname"), "keyword": ("arg",),
    "arg": ("arg", "type_comment"), "Global": ("names",), "Nonlocal": ("names",),
    "FormattedValue": ("conversion",), "ExceptHandler": ("name",), "comprehension": ("is_async",),
    "AnnAssign": ("simple",), "Assign": ("type_comment",), "For": ("type_comment",),
    "AsyncFor": ("type_comment",), "With": ("type_comment",), "AsyncWith": ("type_comment",),
    "MatchSingleton": ("value",), "MatchStar": ("name",), "MatchMapping": ("rest",),
    "MatchClass": ("kwd_attrs",), "MatchAs": ("name",), "TypeIgnore": ("lineno", "tag"),
    "ParamSpec": ("name",), "TypeVarTuple": ("name",), "TypeVar": ("name",), "TypeAlias": (),
}
_OPS = frozenset({"op", "ops"})  # operator singletons (`ast.Add()`, `[ast.Eq()]`)
_LEAF = ((), ())
_SHAPES: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # type -> (node fields, operator fields)


def _shape(t: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    plain = set(_PLAIN.get(t.__name__, ())) | {"ctx"}
    children = tuple(f for f in t._fields if f not in plain and f not in _OPS)
    ops = tuple(f for f in t._fields if f in _OPS)
    _SHAPES[t] = shape = (children, ops) if children or ops else _LEAF
    return shape

# (scope, owner class, own nodes): the module, every function, class body and lambda. A scope's
# own nodes exclude what nested functions, lambdas and classes hold in their bodies; the nested
# definition itself is its enclosing scope's, and so are its decorators, defaults and annotations.
Scope = tuple[ast.AST, "ast.ClassDef | None", list[ast.AST]]


class Context:
    """What rules read about one parsed module. Build it with `context(tree)`."""

    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        self.parent: dict[ast.AST, ast.AST] = {}
        self.by_type: defaultdict[type, list[ast.AST]] = defaultdict(list)
        self.attrs: defaultdict[str, list[ast.Attribute]] = defaultdict(list)  # attribute nodes by `.attr`
        self.scopes: list[Scope] = []
        self._own: dict[int, list[ast.AST]] = {}
        self._names: Names | None = None
        self._derived: dict[Callable[[Context], Any], Any] = {}
        self._calls: defaultdict[str, list[ast.Call]] | None = None  # calls by the name they call
        self._walk()

    def _walk(self) -> None:
        parent, by_type, attrs, scopes, own_of = self.parent, self.by_type, self.attrs, self.scopes, self._own
        tree = self.tree
        into: list[ast.AST] = []  # the scope the nodes popped now belong to, and its class
        cls: ast.ClassDef | None = None
        by_type[type(tree)].append(tree)
        scopes.append((tree, None, into))
        own_of[id(tree)] = into
        # iterative: hostile input can nest deeper than the recursion limit. The stack holds nodes,
        # and (scope, class) pairs that switch where the nodes popped after them go: a scope's body
        # is pushed between a switch into it and a switch back, so no node carries its scope along.
        stack: list[Any] = []
        push, pop = stack.append, stack.pop
        for f in (_SHAPES.get(type(tree)) or _shape(type(tree)))[0]:
            for c in getattr(tree, f):
                parent[c] = tree
                push(c)
        shapes, attribute, class_def = _SHAPES, ast.Attribute, ast.ClassDef
        while stack:
            node = pop()
            t = type(node)
            if t is tuple:
                into, cls = node
                continue
            by_type[t].append(node)
            into.append(node)
            shape = shapes.get(t) or _shape(t)
            if shape is _LEAF:
                continue
            if t is attribute:
                attrs[node.attr].append(node)
            children, ops = shape
            if t in _SCOPE_TYPES:
                # the body goes to the new scope; decorators, defaults, annotations stay outside.
                # Methods are owned by their class; a class nested in a function owns nothing outside
                inner: list[ast.AST] = []
                scopes.append((node, cls if t is not class_def else None, inner))
                own_of[id(node)] = inner
                for f in children:
                    v = getattr(node, f)
                    if f == "body":
                        push((into, cls))
                        for c in (v if type(v) is list else (v,)):  # a lambda's body is one expression
                            parent[c] = node
                            push(c)
                        push((inner, node if t is class_def else None))
                    else:
                        for c in (v if type(v) is list else (v,)):
                            if c is not None:
                                parent[c] = node
                                push(c)
                continue
            for f in children:
                v = getattr(node, f)
                if type(v) is list:
                    for c in v:
                        if c is not None:
                            parent[c] = node
                            push(c)
                elif v is not None:
                    parent[v] = node
                    push(v)
            for f in ops:  # operators: listed in their scope, with no parent and no children
                v = getattr(node, f)
                if type(v) is list:
                    into.extend(v)
                else:
                    into.append(v)

    # -- nodes ----------------------------------------------------------------------------------

    def of(self, *types: type) -> list[ast.AST]:
        """Nodes of the given types (in no particular order)."""
        if len(types) == 1:
            return self.by_type.get(types[0], [])
        return [n for t in types for n in self.by_type.get(t, [])]

    def calls_named(self, names: frozenset[str]) -> list[ast.Call]:
        """Calls `x.NAME(...)` and `NAME(...)` for any of `names` (in no particular order)."""
        by_name = self._calls
        if by_name is None:  # `NAME(...)`: one pass over the calls, for every rule that asks
            by_name = self._calls = defaultdict(list)
            name = ast.Name
            for c in self.by_type.get(ast.Call, ()):
                if type(f := c.func) is name:  # type: ignore[attr-defined]
                    by_name[f.id].append(c)  # type: ignore[attr-defined]
        # `x.NAME(...)`: from the walk's attributes by name
        out = [c for n in names for a in self.attrs.get(n, ()) if type(c := self.parent.get(a)) is ast.Call and c.func is a]
        return out + [c for n in names for c in by_name.get(n, ())]  # type: ignore[misc]

    def calls_to(self, quals: frozenset[str]) -> list[ast.Call]:
        """Calls of any of the qualified names `quals` (`os._exit`, `builtins.exec`), through
        imports and aliases (see `names`), in no particular order. A call is resolved only if it
        could be one: `x.attr(...)` whose `attr` ends none of them, or `name(...)` where `name` is
        neither such a builtin nor bound to one of them, cannot (and most calls are one of those)."""
        names = self.names
        lasts = {q.rsplit(".", 1)[-1] for q in quals}
        plain = {q[len("builtins."):] for q in quals if q.startswith("builtins.")}
        plain.update(local for local, q in names.bound.items() if q in quals)
        attribute, name = ast.Attribute, ast.Name
        out: list[ast.Call] = []
        for c in self.by_type.get(ast.Call, ()):
            f = c.func  # type: ignore[attr-defined]
            t = type(f)
            if (f.attr in lasts if t is attribute else f.id in plain if t is name else True) and names.qualname(f) in quals:
                out.append(c)  # type: ignore[arg-type]
        return out

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        """Parents of `node`, innermost first."""
        p = self.parent.get(node)
        while p is not None:
            yield p
            p = self.parent.get(p)

    def all_nodes(self) -> Iterator[ast.AST]:
        """Every node of the tree but the module (as `ast.walk` gives them, in another order)."""
        for _, _, nodes in self.scopes:
            yield from nodes

    def scope_of(self, node: ast.AST) -> ast.AST:
        """The scope that owns `node` (see `own_nodes`): the innermost function, class or lambda
        whose body holds it, else the module. A definition's decorators, defaults and annotations
        are its enclosing scope's."""
        child = node
        for p in self.ancestors(node):
            t = type(p)
            if t in _SCOPE_TYPES:
                body = p.body  # type: ignore[attr-defined]
                if body is child if t is ast.Lambda else any(s is child for s in body):
                    return p
            child = p
        return self.tree

    def own_nodes(self, scope: ast.AST) -> list[ast.AST]:
        """The nodes `scope` (the module, a function, class or lambda of this tree) owns itself."""
        return self._own[id(scope)]

    # -- derived on first use -------------------------------------------------------------------

    @property
    def names(self) -> Names:
        """What each local name refers to, through imports and aliases."""
        if self._names is None:
            from specgap.analysis.names import Names

            self._names = Names(self)
        return self._names

    def derived(self, compute: Callable[[Context], T]) -> T:
        """`compute(self)`, once per file however many rules ask (facts a family's rules share)."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return self._derived[compute]

    def conditions(self, node: ast.AST, within: ast.AST) -> list[ast.expr]:
        """The `if`/`while` tests and `match` subjects `node` runs under inside `within` (a function
        or the module), outermost first."""
        out: list[ast.expr] = []
        child = node
        for p in self.ancestors(node):
            if p is within:
                break
            t = type(p)
            if (t is ast.If or t is ast.While) and child is not p.test:  # type: ignore[attr-defined]
                out.append(p.test)  # type: ignore[attr-defined]
            elif t is ast.match_case and any(s is child for s in p.body):  # type: ignore[attr-defined]
                out.append(self.parent[p].subject)  # type: ignore[attr-defined]
            child = p
        out.reverse()
        return out

    def where(self, node: ast.AST) -> Where:
        """Where `node` runs: the functions, guards, branches and `with`s around it."""
        from specgap.analysis.guards import where

        return where(node, self)


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


def children(node: ast.AST) -> list[ast.AST]:
    """`node`'s child nodes but expression contexts and operators: `ast.iter_child_nodes`, several
    times cheaper (identifier and constant fields are not looked at)."""
    out: list[ast.AST] = []
    for f in (_SHAPES.get(type(node)) or _shape(type(node)))[0]:
        v = getattr(node, f)
        if type(v) is list:
            out.extend([c for c in v if c is not None])
        elif v is not None:
            out.append(v)
    return out


def subtree(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and every node below it (no expression contexts or operators), as `ast.walk` gives
    them but in another order, and several times faster: identifier and constant fields are not
    looked at."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        yield n
        shape = _SHAPES.get(type(n)) or _shape(type(n))
        for f in shape[0]:
            v = getattr(n, f)
            if type(v) is list:
                stack.extend(c for c in v if c is not None)
            elif v is not None:
                push(v)


# Kept on the tree itself: the context refers to every node, so a cache keyed weakly on the tree
# would keep each tree alive forever; as an attribute it lives and dies with its tree.
_ATTR = "_specgap_context"


def context(tree: ast.AST) -> Context:
    """The (cached) `Context` of a parsed module."""
    ctx: Context | None = getattr(tree, _ATTR, None)
    if ctx is None:
        ctx = Context(tree)
        setattr(tree, _ATTR, ctx)
    return ctx


def release(tree: ast.AST) -> None:
    """Let go of a tree's analysis, and break the references between them, so that both are freed
    as soon as the tree is (the tree and its analysis refer to each other: left to the garbage
    collector, freeing a large scan cost almost as much as analysing it)."""
    ctx = tree.__dict__.pop(_ATTR, None)
    if ctx is not None:
        ctx.__dict__.clear()
