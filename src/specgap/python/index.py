"""One pass over a tree: every node's parent, and the nodes rules look for, grouped by type.

Rules ask "which calls / assignments / raises are there, and where do they sit". Walking the whole
tree once per rule costs more than parsing it; one shared pass (cached per tree) plus a climb up
the parents of the few interesting nodes keeps a rule's cost to a fraction of `ast.parse`.
"""

from __future__ import annotations

import ast
from collections import defaultdict

# Context and operator nodes are shared singletons: they have no single parent and hold nothing.
_SKIP = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)


class Index:
    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        self.parent: dict[ast.AST, ast.AST] = {}
        self.by_type: defaultdict[type, list[ast.AST]] = defaultdict(list)
        self.attrs: defaultdict[str, list[ast.Attribute]] = defaultdict(list)  # attribute nodes by `.attr`
        parent, by_type, attrs = self.parent, self.by_type, self.attrs
        stack: list[ast.AST] = [tree]
        while stack:  # iterative: hostile input can nest deeper than the recursion limit
            node = stack.pop()
            t = type(node)
            by_type[t].append(node)
            if t is ast.Attribute:
                attrs[node.attr].append(node)  # type: ignore[attr-defined]
            for field in node._fields:
                v = getattr(node, field, None)
                if type(v) is list:
                    for c in v:
                        if isinstance(c, ast.AST) and not isinstance(c, _SKIP):
                            parent[c] = node
                            stack.append(c)
                elif isinstance(v, ast.AST) and not isinstance(v, _SKIP):
                    parent[v] = node
                    stack.append(v)

    def of(self, *types: type) -> list[ast.AST]:
        """Nodes of the given types (in no particular order)."""
        if len(types) == 1:
            return self.by_type.get(types[0], [])
        return [n for t in types for n in self.by_type.get(t, [])]

    def ancestors(self, node: ast.AST):
        """Parents of `node`, innermost first."""
        p = self.parent.get(node)
        while p is not None:
            yield p
            p = self.parent.get(p)


# Kept on the tree itself: the index refers to every node, so a cache keyed weakly on the tree
# would keep each tree alive forever; as an attribute it lives and dies with its tree.
_ATTR = "_specgap_index"


def index_of(tree: ast.AST) -> Index:
    """The (cached) `Index` of a parsed module."""
    ix: Index | None = getattr(tree, _ATTR, None)
    if ix is None:
        ix = Index(tree)
        setattr(tree, _ATTR, ix)
    return ix
