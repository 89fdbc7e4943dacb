"""What the tests family's rules share."""

from __future__ import annotations

import ast
import posixpath
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import subtree
from specgap.analysis.names import dotted
from specgap.analysis.stmts import statements
from specgap.model import ChangedFile, ChangeSet, FileRole, SourceFile, Status


def _tree(sf: SourceFile | None) -> ast.Module | None:
    return sf.tree if sf is not None else None


def _imports_test_framework(tree: ast.Module | None) -> bool:
    if tree is None:
        return False
    for st in tree.body:
        if isinstance(st, ast.Import) and any(a.name.split(".")[0] in ("pytest", "unittest") for a in st.names):
            return True
        if isinstance(st, ast.ImportFrom) and (st.module or "").split(".")[0] in ("pytest", "unittest"):
            return True
    return False


def _test_context(cf: ChangedFile, tree: ast.Module | None) -> bool:
    """Whether `test*` functions in this file are tests (not e.g. a product `test_connection()`):
    a test file, a module importing pytest/unittest, or tests carrying pytest/unittest decorators."""
    if cf.role is FileRole.TEST or _imports_test_framework(tree):
        return True
    return any(dotted(d, through_calls=True).split(".")[0] in ("pytest", "unittest", "mock", "patch")
               for t in tf.test_functions(tree) for d in t.node.decorator_list)


def _tests(cf: ChangedFile, sf: SourceFile | None) -> dict[str, tf.TestFn]:
    tree = _tree(sf)
    if not _test_context(cf, tree):
        return {}
    return {t.qualname: t for t in tf.test_functions(tree)}


def _body_key(fn: tf.FuncDef) -> str:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
        body = body[1:]  # a docstring edit does not make a moved test a different test
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _identifiers(node: ast.AST | None, *, api_only: bool = False) -> set[str]:
    """Names, attributes, keywords, parameters, defined names and identifier-like strings under `node`.

    `api_only` leaves out plain names other than module-level globals: local variables (`result`,
    `i`) come and go in any rewrite and say nothing about a removed feature.
    """
    out: set[str] = set()
    if node is None:
        return out
    if api_only and isinstance(node, ast.Module):
        for st in node.body:
            for t in st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AnnAssign) else []:
                if isinstance(t, ast.Name):
                    out.add(t.id)
    for n in subtree(node):
        if isinstance(n, ast.Name):
            if not api_only:
                out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.alias):
            out.add((n.asname or n.name).split(".")[-1])
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            out.add(n.value)
    return out


def _module_names(path: str) -> set[str]:
    """Importable names a file provides: `src/pkg/mod.py` -> {"mod", "pkg.mod", ...}."""
    p = path.rsplit("::", 1)[-1]
    if p.endswith("/__init__.py"):
        p = p[: -len("/__init__.py")]
    elif p.endswith(".py"):
        p = p[:-3]
    parts = p.split("/")
    return {".".join(parts[i:]) for i in range(len(parts))}


class _ChangeIndex:
    """What the whole change did, for telling moves and feature removals from test deletion."""

    def __init__(self, changeset: ChangeSet) -> None:
        # tests present after the change, by name and by body, with the file they are in: a test
        # "moved" into a module the runner does not collect (helpers.py) has not moved
        self.test_names: dict[str, set[str]] = {}
        self.bodies: dict[str, set[str]] = {}
        self.removed_product: set[str] = set()  # identifiers the change removed from product code
        self.deleted_modules: set[str] = set()
        for cf in changeset.files:
            after = _tree(cf.after)
            if after is not None and cf.role is FileRole.TEST:
                for t in tf.test_functions(after):
                    self.test_names.setdefault(t.node.name, set()).add(cf.path)
                    self.bodies.setdefault(_body_key(t.node), set()).add(cf.path)
            if cf.role is FileRole.PRODUCT and cf.before is not None and cf.is_python:
                # identifiers that vanished from a product file: a removed feature, option or warning
                # takes its tests with it (for hunk-only files: gone from the hunks)
                self.removed_product |= _identifiers(_tree(cf.before), api_only=True) - _identifiers(after, api_only=True)
                if cf.status is Status.DELETED:
                    self.deleted_modules |= _module_names(cf.path)

    def moved(self, fn: tf.FuncDef, source: str) -> bool:
        """Whether a test with this name or body is collected elsewhere after the change."""
        where = self.test_names.get(fn.name, set()) | self.bodies.get(_body_key(fn), set())
        # custom `python_files` (the source itself not named test_*.py) make any test file collectable
        return any(_is_test_path(p) or not _is_test_path(source) for p in where)

    def feature_removed(self, node: ast.AST) -> bool:
        return bool(_identifiers(node) & self.removed_product)

    def imports_deleted_module(self, tree: ast.Module | None) -> bool:
        if tree is None or not self.deleted_modules:
            return False
        for st in statements(tree):
            if isinstance(st, ast.ImportFrom) and st.module and st.module in self.deleted_modules:
                return True
            if isinstance(st, ast.Import) and any(a.name in self.deleted_modules for a in st.names):
                return True
        return False


def _pairs(cf: ChangedFile) -> Iterator[tuple[tf.TestFn, tf.TestFn]]:
    """Tests present both before and after the change, as (before, after).

    In a hunk-only diff of a test file, hunks that show a test's body but not its `def` line parse
    as loose statements; they are compared as one pseudo-test, "the hunks' test code".
    """
    if cf.before is None or cf.after is None:
        return
    before = _tests(cf, cf.before)
    for t in tf.test_functions(cf.after.tree):
        old = before.get(t.qualname)
        if old is not None and cf.touches(t.node.lineno, t.node.end_lineno):
            yield old, t
    if (cf.before.partial or cf.after.partial) and cf.role is FileRole.TEST:
        old_loose, new_loose = _loose(cf.before.tree), _loose(cf.after.tree)
        if old_loose is not None and new_loose is not None and cf.touches(new_loose.lineno, new_loose.end_lineno):
            # named from the hunk headers (`@@ ... @@ def test_x():`) when the diff gives one name
            names = {cf.after.function_outside(st.lineno) for st in new_loose.body}
            name = names.pop() if len(names) == 1 else None
            name = name or ("in a function outside the hunk" if len(cf.after.hunk_headers) <= 1
                            else "in functions outside the hunks")
            yield tf.TestFn(name, old_loose, None), tf.TestFn(name, new_loose, None)


def _loose(tree: ast.Module | None) -> ast.FunctionDef | None:
    """Module-level statements other than imports and definitions, wrapped as one function."""
    if tree is None:
        return None
    body = [st for st in tree.body if not isinstance(st, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                                          ast.AsyncFunctionDef, ast.ClassDef))]
    if not body:
        return None
    fn = ast.FunctionDef(name="<hunks>", args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                         body=body, decorator_list=[], returns=None, type_comment=None)
    fn.lineno, fn.col_offset = body[0].lineno, 0
    fn.end_lineno = max(getattr(st, "end_lineno", st.lineno) or st.lineno for st in body)
    return fn


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and tf.call_name(node) == "approx" and node.args:
        node = node.args[0]
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _equalities(fn: ast.AST) -> list[tuple[str, ast.AST, ast.AST]]:
    """(subject dump, expected node, check node) for `assert s == e` and `assertEqual(s, e)`."""
    out = []
    for c in tf.checks(fn):
        pair = None
        if isinstance(c, ast.Assert) and isinstance(c.test, ast.Compare) and len(c.test.ops) == 1 and isinstance(c.test.ops[0], ast.Eq):
            pair = (c.test.left, c.test.comparators[0])
        elif isinstance(c, ast.Call) and tf.call_name(c) in ("assertEqual", "assertEquals", "assert_equal") and len(c.args) >= 2:
            pair = (c.args[0], c.args[1])
        if pair is None:
            continue
        a, b = pair
        if _literal(a) and not _literal(b):
            a, b = b, a
        if not _literal(a):
            out.append((ast.dump(a), b, c))
    return out


def _is_test_path(path: str) -> bool:
    base = posixpath.basename(path.rsplit("::", 1)[-1])
    return base.startswith("test_") and base.endswith(".py") or base.endswith("_test.py")


_PROSE = (".md", ".rst", ".txt", ".markdown")


def _product_edited(changeset: ChangeSet) -> bool:
    """Whether the change edits any product file (code or data, not prose): a reason a test's
    expectations may move on purpose."""
    return any(c.role is FileRole.PRODUCT and not c.path.endswith(_PROSE) for c in changeset.files)
