"""What the solution family's rules share."""

from __future__ import annotations

import ast
import weakref
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import context
from specgap.model import ChangedFile, ChangeSet, FileRole

_NON_TEST = (FileRole.PRODUCT, FileRole.HARNESS)


def _resolve(node: ast.AST, module_fns: dict[str, ast.AST]) -> ast.AST:
    """A function value: a lambda, or a module-level def referred to by name."""
    if isinstance(node, ast.Name) and node.id in module_fns:
        return module_fns[node.id]
    return node


def _code_scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.ClassDef | None, list[ast.AST]]]:
    """The module and its functions (not class bodies or lambdas), with their own nodes."""
    for scope, owner, nodes in context(tree).scopes:
        if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield scope, owner, nodes


class _Tests:
    """The test cases, indexed on first use (most product files have nothing to cross-reference).

    `get()`: the tests as they were before the change (unchanged context files, unchanged lines of
    changed test files): a special case for one of those answers a test someone else wrote.
    `new()`: the test lines the change itself writes: a special case with a test added alongside
    is how a bug fix with its regression test looks.
    """

    @classmethod
    def of(cls, changeset: ChangeSet) -> _Tests:
        """The change set's one index (SG402 and SG408 both read it; each built its own)."""
        tests: _Tests | None = getattr(changeset, "_specgap_tests", None)
        if tests is None:
            tests = cls(changeset)
            setattr(changeset, "_specgap_tests", tests)  # lives and dies with its change set
        return tests

    def __init__(self, changeset: ChangeSet) -> None:
        # weakly: this index is kept on the change set itself, and a cycle would keep a dropped
        # change (every tree of a scan) alive until the garbage collector found it
        self._changeset = weakref.proxy(changeset)
        self._old: cases.LazyCases | None = None
        self._new: cases.LazyCases | None = None

    def get(self) -> cases.LazyCases:
        if self._old is None:
            changed = [(f.after, lambda n, f=f: not f.is_added_line(n)) for f in self._changed()
                       if f.added_lines is not None]
            context = [(f.after, None) for f in self._changeset.context_files()
                       if f.role is FileRole.TEST and f.after is not None]
            self._old = cases.LazyCases(changed + context)
        return self._old

    def new(self) -> cases.LazyCases:
        """Its cases only: a regression test is recognised by its call and expected value."""
        if self._new is None:
            # (a file the change wrote whole needs no line-by-line selection)
            self._new = cases.LazyCases(((f.after, f.is_added_line if f.added_lines is not None else None)
                                         for f in self._changed()), values=False)
        return self._new

    def _changed(self) -> list[ChangedFile]:
        return [f for f in self._changeset.by_role(FileRole.TEST) if f.after is not None]


def _keeps_test(cf: ChangedFile) -> bool:
    """`Rule.keeps` for the test files `_Tests` reads: a whole file's cases are noted while its
    tree is at hand (all `new()` asks of it); one read line by line (`get()`) keeps its tree."""
    if cf.added_lines is not None:
        return True
    if cf.after is not None and cases.NOTE not in cf.after.notes and cf.after.tree is not None:
        cf.after.notes[cases.NOTE] = cases.noted(cf.after.tree)
    return False


_EXIT_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit"})
