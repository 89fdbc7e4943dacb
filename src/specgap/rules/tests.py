"""SG1xx test tampering: the tests were changed so that they stop measuring.

Rules compare each test before and after the change (tests matched by qualified name) and look at
what the change wrote into tests. Humans change tests too (behaviour changes, refactors, moves), so
only shapes that make a failing check disappear reach medium; the rest is reported low as context.
"""

from __future__ import annotations

import ast
import posixpath
import re
import sys
from collections import Counter
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity, SourceFile, Status
from specgap.analysis import testfns as tf
from specgap.analysis.line_map import new_line_for
from specgap.analysis.names import dotted
from specgap.analysis import stmts as stmts_mod
from specgap.analysis.stmts import calls_in, statements
from specgap.rules import register
from specgap.rules.base import Rule

_COMMENTED_CHECK = re.compile(r"^\s*#+\s*(assert\b|self\.assert|self\.fail\(|pytest\.(raises|fail)\b|np\.testing\.|numpy\.testing\.)")


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


def _after_line(cf: ChangedFile, before_line: int) -> int:
    if cf.before is None or cf.after is None:
        return 1
    return new_line_for(cf.before.text, cf.after.text, before_line)


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
    for n in ast.walk(node):
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


def _support_names(tree: ast.Module | None) -> set[str]:
    """Names a test module imports or defines at module level, other than its tests."""
    out: set[str] = set()
    for st in tree.body if tree is not None else []:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in st.names)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not st.name.startswith(("test", "Test")):
            out.add(st.name)
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


@register
class TestFileDeleted(Rule):
    """A test file was deleted.

    What it does: reports a deleted test file that held tests, unless the same tests reappear
    elsewhere in the change (a move or rename) or the product code they test was deleted with them.

    Why is this bad: deleting the file that fails is the bluntest way to make a suite pass; the
    grader sees fewer tests, all green.

    Example:
        git rm tests/test_parser.py

    Use instead: fix the code the tests exercise; if a test is truly obsolete, say why in the change.
    """

    id = "SG101"
    name = "test-file-deleted"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        index: _ChangeIndex | None = None
        for cf in changeset.files:
            if cf.status is not Status.DELETED or cf.binary or cf.before is None:
                continue
            tests = list(_tests(cf, cf.before).values())
            if not tests:
                continue
            index = index or _ChangeIndex(changeset)
            kept = [t for t in tests if not index.moved(t.node, cf.path)]
            if not kept:
                continue
            first = tests[0].node
            names = ", ".join(t.qualname for t in kept[:5]) + (" ..." if len(kept) > 5 else "")
            removed_feature = index.imports_deleted_module(cf.before.tree) or all(index.feature_removed(t.node) for t in kept)
            yield self.finding(
                cf, first.lineno,
                f"test file deleted with {len(kept)} test(s) not found elsewhere in the change: {names}"
                + ("; the code it tested was removed too" if removed_feature else ""),
                evidence=cf.before.segment(first.lineno, first.lineno + 2),
                severity=Severity.LOW if removed_feature else None,
                confidence=Confidence.MEDIUM if removed_feature else None,
                before=f"{len(tests)} tests",
            )


@register
class TestRemoved(Rule):
    """Test functions or methods were removed from a test file that remains.

    What it does: compares the tests of each changed file before and after the change and reports
    the ones that disappeared, unless a function with the same name or the same body exists
    elsewhere in the change (moved or renamed). Removing a test together with the product code it
    exercises (identifiers that vanish from product code), with the imports or fixtures only it
    used, or while adding new tests to the same file, is reported low.

    Why is this bad: a failing test that is removed cannot fail; the run is green and shorter.

    Example:
        -def test_rounding():
        -    assert round_half_even(2.5) == 2

    Use instead: make the test pass by fixing the code, or keep it and mark the known failure with a
    tracked reason so that reviewers see it.
    """

    id = "SG102"
    name = "test-removed"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        index: _ChangeIndex | None = None
        for cf in changeset.files:
            if cf.binary or cf.before is None or cf.after is None or cf.after.tree is None:
                continue
            before = _tests(cf, cf.before)
            if not before:
                continue
            after = {t.qualname: t for t in tf.test_functions(cf.after.tree)}
            gone = [t for q, t in before.items() if q not in after]
            if cf.after.partial:
                # only the hunks are known: a def missing from them was removed only if no hunk keeps it
                gone = [t for t in gone if f"def {t.node.name}(" not in cf.after.text]
            if not gone:
                continue
            index = index or _ChangeIndex(changeset)
            new_tests = [q for q, t in after.items() if q not in before and cf.touches(t.node.lineno)]
            # imports and module-level helpers/fixtures the file lost with the tests: a deliberate cleanup
            dropped = set() if cf.after.partial else _support_names(cf.before.tree) - _support_names(cf.after.tree)
            renamed_here = {_body_key(n) for n in statements(cf.after.tree)
                            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("test")}
            for t in gone:
                if index.moved(t.node, cf.path) or _body_key(t.node) in renamed_here:
                    continue  # moved, or renamed in place to an uncollected name (SG109 reports that)
                cleaned = bool(dropped & _identifiers(t.node))
                deprecation = _tests_a_deprecation(cf.before, t.node)
                low = bool(new_tests) or cleaned or deprecation or index.feature_removed(t.node)
                why = ("new tests were added to the file" if new_tests else
                       "the imports or fixtures only it used went too" if cleaned else
                       "it tested a deprecation, whose period ends with the feature" if deprecation else
                       "the code it tested was removed" if low else "")
                n_checks = len(tf.checks(t.node))
                yield self.finding(
                    cf, _after_line(cf, t.node.lineno),
                    f"test {t.qualname} ({n_checks} check(s)) was removed" + (f"; {why}" if why else ""),
                    evidence=cf.before.segment(t.node.lineno, min(t.node.end_lineno or t.node.lineno, t.node.lineno + 9)),
                    severity=Severity.LOW if low else None,
                    before=cf.before.segment(t.node.lineno, t.node.end_lineno),
                )


def _tests_a_deprecation(src: SourceFile, fn: ast.AST) -> bool:
    """A test of a deprecation warning: removing it when the deprecated API goes is routine upkeep."""
    text = src.segment(fn.lineno, fn.end_lineno or fn.lineno).lower()
    return "deprecat" in text


def _effective_checks(fn: tf.FuncDef, helpers: frozenset[str]) -> list[ast.AST]:
    dead = {id(n) for n in tf.unreachable_checks(fn)}
    return [c for c in tf.real_checks(fn, helpers) if id(c) not in dead]


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
            yield tf.TestFn("<test code in the hunks>", old_loose, None), tf.TestFn("<test code in the hunks>", new_loose, None)


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


def _commented_checks(cf: ChangedFile, fn: tf.FuncDef) -> list[int]:
    """Added lines inside `fn` that are assertions turned into comments."""
    assert cf.after is not None
    lines = cf.after.lines
    end = min(fn.end_lineno or fn.lineno, len(lines))
    # comments after the last statement still belong to the body if indented like it
    while end < len(lines) and (not lines[end].strip() or (
            lines[end].lstrip().startswith("#") and len(lines[end]) - len(lines[end].lstrip()) > fn.col_offset)):
        end += 1
    return [n for n in range(fn.lineno, end + 1) if cf.is_added_line(n) and _COMMENTED_CHECK.match(lines[n - 1])]


@register
class AssertionRemoved(Rule):
    """Assertions were removed from, commented out of, or made unreachable in a test that remains.

    What it does: counts the checks each surviving test makes before and after the change (assert
    statements, unittest `self.assert*`, `pytest.raises`, `np.testing.assert_*`, local helpers
    that assert). A test left with no check at all is reported: high when its body became `pass`,
    `...` or a docstring, or when the asserts were commented out or put behind an early `return`.
    Fewer (but some) checks is reported low, or medium when the missing ones were commented out.

    Why is this bad: the test keeps its name and keeps passing, but no longer checks anything.

    Example:
        def test_total():
        -    assert total([1, 2]) == 3
        +    pass

    Use instead: keep the assertions and fix the code; if the expected behaviour really changed,
    update the assertion to the new behaviour rather than deleting it.
    """

    id = "SG103"
    name = "assertion-removed"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        hb, ha = tf.helper_names(cf.before.tree), tf.helper_names(cf.after.tree)
        for old, new in _pairs(cf):
            n_before = len(_effective_checks(old.node, hb))
            if n_before == 0:
                continue
            after_checks = _effective_checks(new.node, ha)
            n_after = len(after_checks)
            if n_after >= n_before:
                continue
            taut_before = sum(tf.check_tautology(c) is not None for c in tf.checks(old.node, hb))
            taut_after = sum(tf.check_tautology(c) is not None for c in tf.checks(new.node, ha))
            if taut_after > taut_before:
                continue  # the checks were replaced by tautologies: SG104 reports that, at the line
            commented = _commented_checks(cf, new.node)
            dead = tf.unreachable_checks(new.node)
            if n_after == 0:
                if tf.trivial_body(new.node):
                    sev, how = Severity.HIGH, "its body was replaced by a placeholder"
                elif dead:
                    sev, how = Severity.HIGH, "an early return makes its assertions unreachable"
                elif commented:
                    sev, how = Severity.HIGH, "its assertions were commented out"
                else:
                    sev, how = Severity.MEDIUM, "it no longer asserts anything"
            elif commented:
                sev, how = Severity.MEDIUM, "assertions were commented out"
            else:
                sev, how = Severity.LOW, "assertions were removed"
            yield self.finding(
                cf, new.node.lineno,
                f"test {new.qualname}: {how} ({n_before} check(s) before, {n_after} after)",
                severity=sev,
                confidence=Confidence.HIGH if sev is Severity.HIGH else None,
                end_line=new.node.end_lineno,
                before=cf.before.segment(old.node.lineno, old.node.end_lineno),
                after=cf.after.segment(new.node.lineno, new.node.end_lineno),
            )


@register
class TautologicalAssertion(Rule):
    """An assertion that cannot fail.

    What it does: finds `assert True`, `assert 1`, `assert x == x`, `assert x or True`,
    `assert len(x) >= 0`, `assert (cond, "msg")`, `self.assertTrue(True)`, `assertEqual(x, x)` and
    the like in tests, and assertions placed after an unconditional `return` (`if True: return`)
    in new tests (medium). High when it replaces a real check in an existing test, medium at
    module level in test code; low in a new test (smoke tests end in `assert True`, and
    `assert x == x` is how `__eq__` reflexivity is tested).

    Why is this bad: a check that always holds makes the test pass whatever the code does, while
    the test still looks like it verifies something.

    Example:
        def test_parse():
            result = parse("1+1")
            assert True  # was: assert result == 2

    Use instead: assert the value the specification requires.
    """

    id = "SG104"
    name = "tautological-assertion"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None:
            return
        tests = tf.test_functions(tree)
        helpers = tf.helper_names(tree) if tests else frozenset()
        before = _tests(cf, cf.before) if tests else {}
        hb = tf.helper_names(_tree(cf.before)) if before else frozenset()
        for t in tests:
            found = [(c, why) for c in tf.checks(t.node, helpers) if (why := tf.check_tautology(c)) and cf.touches(c.lineno)]
            old = before.get(t.qualname)
            dead = tf.unreachable_checks(t.node)
            if dead and old is None and cf.touches(dead[0].lineno):  # existing tests: SG103 reports it
                yield self.finding(cf, dead[0], f"assertions in {t.qualname} can never run: an unconditional "
                                   "return comes before them", end_line=dead[0].lineno)
            if not found:
                continue
            real_now = len(tf.real_checks(t.node, helpers))
            replaced = old is not None and len(tf.real_checks(old.node, hb)) > real_now
            # a new smoke test ending in `assert True` is a human habit too: only replacing a real check is strong
            sev = Severity.HIGH if replaced else Severity.LOW
            for c, why in found:
                yield self.finding(
                    cf, c, f"assertion in {t.qualname} cannot fail: {why}"
                    + ("; it replaces a real check" if replaced else "; the test makes no other check" if real_now == 0 else ""),
                    severity=sev,
                    before=cf.before.segment(old.node.lineno, old.node.end_lineno) if replaced and old and cf.before else None,
                )
        # module-level asserts outside any test have no purpose but to look like checks (in product
        # code they are at least not pretending to test anything: low)
        in_tests = cf.role is FileRole.TEST or _imports_test_framework(tree)
        for st in tree.body:
            if isinstance(st, ast.Assert) and (why := tf.tautology(st.test)) and cf.touches(st.lineno):
                yield self.finding(cf, st, f"module-level assertion cannot fail: {why}",
                                   severity=None if in_tests else Severity.LOW)


_WEAK_CALLS = frozenset({"assertIsNotNone", "assertTrue", "assertIsInstance", "assert_"})


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


def _weak_subjects(fn: ast.AST) -> list[tuple[str, ast.AST]]:
    """(subject dump, check) for checks that only say a value exists or has a type."""
    out = []
    for c in tf.checks(fn):
        subj: ast.AST | None = None
        if isinstance(c, ast.Assert):
            t = c.test
            if isinstance(t, ast.Compare) and len(t.ops) == 1:
                op, right = t.ops[0], t.comparators[0]
                if isinstance(op, ast.IsNot) and isinstance(right, ast.Constant) and right.value is None:
                    subj = t.left
                elif (isinstance(t.left, ast.Call) and tf.call_name(t.left) == "len" and t.left.args
                      and isinstance(right, ast.Constant) and isinstance(op, (ast.Gt, ast.GtE, ast.NotEq))):
                    subj = t.left.args[0]
            elif isinstance(t, ast.Call) and tf.call_name(t) in ("isinstance", "hasattr", "callable") and t.args:
                subj = t.args[0]
            elif isinstance(t, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
                subj = t
        elif isinstance(c, ast.Call) and tf.call_name(c) in _WEAK_CALLS and c.args:
            subj = c.args[0]
        if subj is not None:
            out.append((ast.dump(subj), c))
    return out


@register
class AssertionWeakened(Rule):
    """An exact assertion was replaced by one that only checks existence or type.

    What it does: in a test present before and after the change, finds a value that used to be
    compared for equality (`assert r == 42`, `assertEqual(r, 42)`) and is now only checked with
    `is not None`, `isinstance`, `hasattr`, truthiness or `len(...) > 0`.

    Why is this bad: the weakened test passes for any wrong answer of the right type, so the
    failing behaviour is hidden while the test still appears to cover it.

    Example:
        -    assert parse("1+1") == 2
        +    assert parse("1+1") is not None

    Use instead: keep the exact expectation and fix the code.
    """

    id = "SG105"
    name = "assertion-weakened"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        for old, new in _pairs(cf):
            exact_before = {s: c for s, _e, c in _equalities(old.node)}
            if not exact_before:
                continue
            exact_after = {s for s, _e, _c in _equalities(new.node)}
            weak_before = {s for s, _c in _weak_subjects(old.node)}
            for subj, c in _weak_subjects(new.node):
                if subj in exact_before and subj not in exact_after and subj not in weak_before and cf.touches(c.lineno):
                    was = exact_before[subj]
                    yield self.finding(
                        cf, c, f"test {new.qualname}: an exact check was weakened to one that any value of the right kind passes",
                        before=ast.unparse(was), after=ast.unparse(c),
                    )


@register
class ExpectedValueChanged(Rule):
    """The expected value of an assertion was changed.

    What it does: in a test present before and after the change, finds `assert s == <literal>`
    (or `assertEqual`) whose subject stayed the same while the literal changed, and shows both.
    Low severity: changing an expectation is normal when behaviour changes on purpose, but it is
    also how a wrong result is made to pass, so a reviewer should see the pair.

    Why is this bad: when the code is wrong, rewriting the expected value to the wrong output makes
    the test agree with the bug.

    Example:
        -    assert fib(10) == 55
        +    assert fib(10) == 89

    Use instead: change expected values only when the specification changed, and say so.
    """

    id = "SG106"
    name = "expected-value-changed"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        for old, new in _pairs(cf):
            before: dict[str, list[ast.AST]] = {}
            for s, e, _c in _equalities(old.node):
                if _literal(e):
                    before.setdefault(s, []).append(e)
            if not before:
                continue
            after_eq = [(s, e, c) for s, e, c in _equalities(new.node) if _literal(e)]
            after_by_subj = Counter(s for s, _e, _c in after_eq)
            for s, e, c in after_eq:
                olds = before.get(s)
                if not olds or not cf.touches(c.lineno) or len(olds) != after_by_subj[s]:
                    continue
                old_dumps = [ast.dump(o) for o in olds]
                if ast.dump(e) in old_dumps:
                    continue
                new_dumps = {ast.dump(x) for x2, x, _ in after_eq if x2 == s}
                was = [o for o in olds if ast.dump(o) not in new_dumps]
                if not was:
                    continue
                yield self.finding(
                    cf, c, f"test {new.qualname}: expected value changed from {ast.unparse(was[0])} to {ast.unparse(e)}",
                    before=ast.unparse(was[0]), after=ast.unparse(e),
                )


def _skips(t: tf.TestFn) -> list[tf.Skip]:
    out = tf.decorator_skips(t.node) + list(tf.body_skips(t.node))
    if t.cls is not None:
        out += tf.decorator_skips(t.cls)
    return out


def _module_skips(tree: ast.Module) -> Iterator[tf.Skip]:
    """`pytestmark = pytest.mark.skip` and module-level `pytest.skip(..., allow_module_level=True)`."""
    for st in tree.body:
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in st.targets):
            marks = st.value.elts if isinstance(st.value, (ast.List, ast.Tuple)) else [st.value]
            holder = ast.FunctionDef(name="_", args=None, body=[], decorator_list=marks)  # type: ignore[arg-type]
            yield from tf.decorator_skips(holder)
        elif isinstance(st, (ast.Expr, ast.If, ast.Try)):
            holder = ast.FunctionDef(name="_", args=None, body=[st], decorator_list=[])  # type: ignore[arg-type]
            yield from tf.body_skips(holder)


@register
class SkipAdded(Rule):
    """A skip or xfail was added to an existing test.

    What it does: finds skip/xfail markers (`pytest.mark.skip`, `xfail`, `skipif(True)`,
    `unittest.skip`, `expectedFailure`, `pytestmark = ...`) and calls (`pytest.skip()`,
    `pytest.xfail()`, `self.skipTest()`, `raise SkipTest`) that the change added to tests that
    existed before it. Unconditional: high. Conditional on platform, version or an optional import:
    low. On new tests: low.

    Why is this bad: graders that count "no failures" treat a skipped or xfailed test as success,
    so skipping the failing test turns a red run green without fixing anything.

    Example:
        +@pytest.mark.skip(reason="flaky")
         def test_merge_sorted():
             assert merge([1, 3], [2]) == [1, 2, 3]

    Use instead: fix the code; skip only for a real environmental reason, with a condition.
    """

    id = "SG107"
    name = "skip-added"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None or not _test_context(cf, tree):
            return
        before = _tests(cf, cf.before)
        tests = tf.test_functions(tree)
        for t in tests:
            old = before.get(t.qualname)
            existed = old is not None or (cf.before is not None and cf.before.partial and not cf.is_added_line(t.node.lineno))
            had = Counter((s.what, s.conditional) for s in _skips(old)) if old is not None else Counter()
            for s in _skips(t):
                line = getattr(s.node, "lineno", t.node.lineno)
                if not cf.is_added_line(line):
                    continue
                key = (s.what, s.conditional)
                if had[key]:
                    had[key] -= 1
                    continue
                sev = Severity.HIGH if existed and not s.conditional else Severity.LOW
                yield self.finding(
                    cf, s.node, f"{'conditional ' if s.conditional else ''}{s.what} added to "
                    f"{'existing' if existed else 'new'} test {t.qualname}",
                    severity=sev,
                    confidence=Confidence.HIGH if sev is Severity.HIGH else Confidence.MEDIUM,
                )
        if not tests:
            return
        old_mod = Counter((s.what, s.conditional) for s in _module_skips(cf.before.tree)) if cf.before is not None and cf.before.tree else Counter()
        had_tests = bool(before) or (cf.before is not None and cf.before.partial)
        for s in _module_skips(tree):
            key = (s.what, s.conditional)
            if old_mod[key]:
                old_mod[key] -= 1
                continue
            sev = Severity.HIGH if had_tests and not s.conditional else Severity.LOW
            yield self.finding(cf, s.node, f"{'conditional ' if s.conditional else ''}{s.what} added for the whole module",
                               severity=sev)


_BROAD = frozenset({"AssertionError", "Exception", "BaseException"})


def _is_broad(t: ast.AST) -> bool:
    name = dotted(t, through_calls=True)
    return name in _BROAD or name.startswith("builtins.") and name[9:] in _BROAD


def _catches_failure(h: ast.ExceptHandler) -> bool:
    if h.type is None:
        return True
    return any(_is_broad(t) for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))


def _names_assertion_error(h: ast.ExceptHandler) -> bool:
    types = [] if h.type is None else h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
    return any(dotted(t, through_calls=True) in ("AssertionError", "builtins.AssertionError") for t in types)


def _expects_exception(body: list[ast.stmt]) -> bool:
    """The try body raises or fails on purpose (`f(); pytest.fail(...)`): the handler catches that, by design."""
    return any(isinstance(st, ast.Raise) or any(tf.call_name(c) == "fail" for c in calls_in(st))
               for st in statements(ast.Module(body=body, type_ignores=[]), into_defs=False))


def _reraises(body: list[ast.stmt], exc_name: str | None) -> bool:
    """The handler fails the test anyway (raise, pytest.fail, self.fail, an assert) or keeps the error."""
    for st in statements(ast.Module(body=body, type_ignores=[])):
        if isinstance(st, ast.Raise):
            return True
        if isinstance(st, ast.Assert) and tf.tautology(st.test) is None:
            return True
        for n in calls_in(st):
            if tf.is_check_call(n) and tf.check_tautology(n) is None:
                return True
            if tf.call_name(n) in ("append", "add", "put", "extend", "set_exception", "_addexcinfo") and any(
                    isinstance(a, ast.Name) and a.id == exc_name or isinstance(a, ast.Call)
                    and tf.call_name(a) in ("format_exc", "exc_info", "from_current") for a in n.args):
                return True  # collected for a later check
    return False


def _own_checks(stmts: list[ast.stmt]) -> bool:
    """Checks in `stmts`, not counting nested function definitions."""
    holder = ast.Module(body=stmts, type_ignores=[])
    return any(isinstance(st, ast.Assert) or any(tf.is_check_call(c) for c in calls_in(st))
               for st in statements(holder, into_defs=False))


@register
class AssertionSwallowed(Rule):
    """Assertions wrapped in a `try` whose `except` swallows the failure.

    What it does: finds `try` blocks around assertions whose handler catches `AssertionError`,
    `Exception`, `BaseException` or everything, and then passes, continues, returns or logs
    without failing the test; also `contextlib.suppress(AssertionError)` around assertions.
    Outside test code only handlers that name `AssertionError` and do nothing count (asserts used
    as validation with a fallback are a product-code idiom). Inside a retry loop it is
    reported low (the loop usually fails later); a `try` whose body raises or calls `fail()` on
    purpose (expecting the check to fail) is not reported.

    Why is this bad: the assertion still runs but its failure never reaches the runner, so the test
    passes whatever the result.

    Example:
        try:
            assert result == expected
        except AssertionError:
            pass

    Use instead: let the assertion fail; use `pytest.raises` to test for an expected exception.
    """

    id = "SG108"
    name = "assertion-swallowed"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    _any_broad = True

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None:
            return
        # in test code any broad handler counts; elsewhere only one that names AssertionError,
        # since product code catches `Exception` around asserts-as-validation for honest reasons
        self._any_broad = cf.role is FileRole.TEST or bool(tf.test_functions(tree))
        yield from self._visit(cf, tree, in_loop=False)

    def _visit(self, cf: ChangedFile, node: ast.AST, in_loop: bool) -> Iterator[Finding]:
        for child in stmts_mod.child_statements(node):
            loop = in_loop or isinstance(child, (ast.For, ast.AsyncFor, ast.While))
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                loop = False
            if (isinstance(child, ast.Try) and _own_checks(child.body) and not _expects_exception(child.body)
                    and not _fails_otherwise(child.orelse)):
                for h in child.handlers:
                    catches = _catches_failure(h) if self._any_broad else (
                        _names_assertion_error(h) and tf.trivial_body(h))
                    if catches and not _reraises(h.body, h.name) and cf.touches(child.lineno, h.lineno):
                        yield self.finding(
                            cf, child.lineno,
                            "assertion failures inside this try are caught and dropped"
                            + (" (inside a loop: a retry?)" if in_loop else ""),
                            end_line=h.end_lineno,
                            severity=Severity.LOW if in_loop else None,
                            confidence=Confidence.MEDIUM if in_loop else None,
                        )
                        break
            elif isinstance(child, (ast.With, ast.AsyncWith)) and _own_checks(child.body):
                for item in child.items:
                    e = item.context_expr
                    if (isinstance(e, ast.Call) and tf.call_name(e) == "suppress"
                            and any(_is_broad(a) if self._any_broad else dotted(a, through_calls=True) == "AssertionError" for a in e.args)
                            and cf.touches(child.lineno)):
                        yield self.finding(cf, child.lineno, "assertion failures inside this block are suppressed",
                                           end_line=child.lineno)
            yield from self._visit(cf, child, loop)


def _fails_otherwise(orelse: list[ast.stmt]) -> bool:
    """`try: assert_equal(a, b) except AssertionError: return else: raise ...`: an assertion that
    two things differ (the failure is the expected path), not a swallowed failure."""
    return any(isinstance(s, ast.Raise) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
               and tf.call_name(s.value) == "fail" for s in orelse)


def _is_test_path(path: str) -> bool:
    base = posixpath.basename(path.rsplit("::", 1)[-1])
    return base.startswith("test_") and base.endswith(".py") or base.endswith("_test.py")


@register
class TestMadeUncollectable(Rule):
    """A test was hidden from the test runner without being deleted.

    What it does: reports tests renamed so that pytest or unittest no longer collects them (the
    `test` prefix dropped with the body unchanged, a test class renamed without its `Test` prefix),
    `__test__ = False` added to a module or class that holds tests, and test modules renamed out of
    `test_*.py` / `*_test.py`.

    Why is this bad: the test is still in the file and looks intact in review, but never runs.

    Example:
        -def test_overflow():
        +def _test_overflow():

    Use instead: keep the test collectable and make it pass.
    """

    id = "SG109"
    name = "test-made-uncollectable"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.status is Status.RENAMED and cf.old_path and _is_test_path(cf.old_path) and not _is_test_path(cf.path):
            if _tests(cf, cf.after) or _tests(cf, cf.before):
                yield self.finding(cf, 1, f"test module renamed from {cf.old_path} to a name the runner does not collect",
                                   evidence=f"{cf.old_path} -> {cf.path}")
        tree = _tree(cf.after)
        if tree is None or cf.before is None or cf.before.tree is None:
            return
        before = _tests(cf, cf.before)
        if not before:
            return
        after_tests = {t.qualname for t in tf.test_functions(tree)}
        gone = {q: t for q, t in before.items() if q not in after_tests}
        if gone:
            yield from self._renamed(cf, tree, gone)
        yield from self._dunder_test(cf, tree)

    def _renamed(self, cf: ChangedFile, tree: ast.Module, gone: dict[str, tf.TestFn]) -> Iterator[Finding]:
        by_body = {_body_key(t.node): t for t in gone.values() if not tf.trivial_body(t.node)}
        gone_classes: dict[frozenset[str], str] = {}
        for t in gone.values():
            if t.cls is not None:
                gone_classes[frozenset(s.name for s in t.cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))] = t.cls.name
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test"):
                old = by_body.get(_body_key(node))
                if old is not None and cf.touches(node.lineno):
                    yield self.finding(cf, node.lineno, f"test {old.qualname} renamed to {node.name}, which is not collected",
                                       before=old.node.name, after=node.name, end_line=node.lineno)
            elif isinstance(node, ast.ClassDef) and not tf.is_test_class(node) and cf.touches(node.lineno):
                methods = frozenset(s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
                old_name = gone_classes.get(methods)
                if old_name and any(m.startswith("test") for m in methods):
                    yield self.finding(cf, node.lineno, f"test class {old_name} renamed to {node.name}, which is not collected",
                                       before=old_name, after=node.name, end_line=node.lineno)

    def _dunder_test(self, cf: ChangedFile, tree: ast.Module) -> Iterator[Finding]:
        def off(st: ast.stmt) -> bool:
            return (isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in st.targets)
                    and isinstance(st.value, ast.Constant) and not st.value.value)

        has_tests = bool(tf.test_functions(tree))
        for st in tree.body:
            if off(st) and has_tests and cf.is_added_line(st.lineno):
                yield self.finding(cf, st, "`__test__ = False` hides every test in this module")
            if isinstance(st, ast.ClassDef) and any(
                    isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test") for s in st.body):
                for s in st.body:
                    if off(s) and cf.is_added_line(s.lineno):
                        yield self.finding(cf, s, f"`__test__ = False` hides the tests of class {st.name}")


def _patch_targets(fn: tf.FuncDef) -> list[tuple[ast.Call, str, ast.AST | None, str]]:
    """(patch call, patched attribute, replacement value, owner) in a test's decorators and body.

    The owner is the dotted module or object the attribute is patched on ("calc", "Solver").
    """
    out = []
    for node in list(fn.decorator_list) + [c for st in statements(fn) for c in calls_in(st)]:
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func, through_calls=True)
        last = name.rsplit(".", 1)[-1]
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        value = kw.get("return_value") or kw.get("new")
        if last == "patch" or name.endswith("patch.object") or (last == "setattr" and "monkeypatch" in name):
            args = node.args
            target = owner = None
            if last == "patch" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                owner, _, target = args[0].value.rpartition(".")
                value = value or (args[1] if len(args) > 1 else None)
            elif last in ("object", "setattr") and len(args) >= 2:
                if isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
                    target, owner = args[1].value, dotted(args[0], through_calls=True)
                    value = value or (args[2] if len(args) > 2 else None)
                elif isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):  # setattr("a.b.f", value)
                    owner, _, target = args[0].value.rpartition(".")
                    value = value or args[1]
            if target:
                out.append((node, target, value, owner or ""))
    return out


def _constant_return(value: ast.AST | None) -> ast.AST | None:
    """The constant a replacement returns: `return_value=5`, `lambda *a: 5`."""
    if value is None:
        return None
    if isinstance(value, ast.Lambda):
        value = value.body
    return value if _literal(value) else None


@register
class MockedSubject(Rule):
    """A test replaces the very function it checks with a mock.

    What it does: finds tests that patch a function (`patch("pkg.mod.solve", return_value=42)`,
    `patch.object(Solver, "solve")`, `monkeypatch.setattr(mod, "solve", ...)`, `mocker.patch`) and
    then assert on the result of calling that same function. High when the mock returns exactly
    the value the assertion expects.

    Why is this bad: the assertion checks the mock, not the code; it passes even if the real
    function is missing or wrong.

    Example:
        @patch("calc.add", return_value=5)
        def test_add(_):
            assert calc.add(2, 3) == 5

    Use instead: mock the function's collaborators (I/O, network, clock), never the function under test.
    """

    id = "SG110"
    name = "mocked-subject"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None or ("patch" not in cf.after.text and "setattr" not in cf.after.text):
            return
        local = {st.name for st in statements(tree) if isinstance(st, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
        for t in tf.test_functions(tree):
            patches = _patch_targets(t.node)
            if not patches:
                continue
            results: dict[str, str] = {}  # variable -> function whose result it holds
            for n in statements(t.node):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    results[n.targets[0].id] = tf.call_name(n.value)
            checked: dict[str, list[ast.AST]] = {}
            for c in tf.checks(t.node):
                for n in ast.walk(c):
                    if isinstance(n, ast.Call) and n is not c:
                        checked.setdefault(tf.call_name(n), []).append(c)
                    elif isinstance(n, ast.Name) and n.id in results:
                        checked.setdefault(results[n.id], []).append(c)
            for call, target, value, owner in patches:
                if target not in checked or not cf.touches(call.lineno, call.end_lineno):
                    continue
                if owner in local or results.get(owner) in local or owner.split(".")[0] in sys.stdlib_module_names:
                    # a class defined in the test module, or os.listdir: the test exercises the
                    # mocking itself (a mocking library's own tests), not product code
                    yield self.finding(cf, call, f"test {t.qualname} mocks {target}() of {owner} and asserts on it",
                                       severity=Severity.LOW, confidence=Confidence.LOW, end_line=call.lineno)
                    continue
                const = _constant_return(value)
                same = const is not None and any(
                    ast.dump(const) in {ast.dump(x) for x in ast.walk(c)} for c in checked[target])
                yield self.finding(
                    cf, call, f"test {t.qualname} mocks {target}() and then asserts on {target}()'s result"
                    + ("; the mock returns exactly the expected value" if same else ""),
                    severity=Severity.HIGH if same else None,
                    confidence=Confidence.HIGH if same else None,
                    end_line=call.lineno,
                )


_DEMO_DIRS = frozenset({"example", "examples", "demo", "demos", "docs", "doc"})


@register
class VacuousNewTests(Rule):
    """A new test file whose tests check nothing.

    What it does: reports a test file added by the change whose tests contain no assertion that can
    fail: only tautologies (`assert True`, `assertTrue(True)`: medium) or no checks at all (low).
    Example and documentation suites (under examples/, docs/, demo/) are reported low.

    Why is this bad: an agent that cannot pass the real tests can add its own "tests" that always
    pass, and point the grader or the reviewer at them.

    Example:
        # tests/test_solution.py (new)
        def test_solution():
            assert True

    Use instead: write tests that assert the behaviour the task specifies.
    """

    id = "SG111"
    name = "vacuous-new-tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.TEST,)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.status is not Status.ADDED or cf.after is None or cf.after.tree is None:
            return
        tree = cf.after.tree
        tests = tf.test_functions(tree)
        if not tests or not _is_test_path(cf.path):
            return
        helpers = tf.helper_names(tree)
        if any(tf.real_checks(t.node, helpers) for t in tests):
            return
        tauts = sum(len(tf.checks(t.node, helpers)) for t in tests)
        first = tests[0].node
        # example and documentation suites (e.g. a test runner's demo of scheduling) assert nothing on purpose
        demo = bool(_DEMO_DIRS & set(cf.path.rsplit("::", 1)[-1].split("/")[:-1]))
        yield self.finding(
            cf, first.lineno,
            f"new test file: none of its {len(tests)} test(s) makes a check that can fail"
            + (" (only tautologies)" if tauts else " (no assertions at all)"),
            severity=None if tauts and not demo else Severity.LOW,
            end_line=first.lineno,
        )
