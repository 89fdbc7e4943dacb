"""SG4xx solution gaming: product code that fakes a correct answer instead of computing it."""

from __future__ import annotations

import ast
import itertools
import re
import sys
from dataclasses import dataclass
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity, Status
from specgap.analysis import cases
from specgap.analysis.flow import (
    bound_names, const_value, input_names, is_input_source, mentions, names_read, returns, target_names, walk_block,
)
from specgap.analysis.context import context
from specgap.analysis.guards import is_main_guard
from specgap.analysis.names import dotted, param_names
from specgap.analysis.testfns import FuncDef
from specgap.rules import register
from specgap.rules.base import Rule

_NON_TEST = (FileRole.PRODUCT, FileRole.HARNESS)


# -- SG401 ----------------------------------------------------------------------------------

_EQ = frozenset({"__eq__", "__ne__"})
_ORDER = frozenset({"__lt__", "__le__", "__gt__", "__ge__"})
_BUILTINS = frozenset({"str", "int", "float", "complex", "bytes", "list", "tuple", "dict", "set", "frozenset"})
# What a grader does to a result before comparing it; faking these keeps an AlwaysEqual object alive.
_NORMALIZERS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title", "split", "splitlines", "replace"}
)
_TEXT_DUNDERS = frozenset({"__str__", "__repr__", "__format__"})


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
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    roles = _NON_TEST

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        # every way of defining a comparison spells its dunder name; most files have none
        if tree is None or not any(name in cf.after.text for name in _EQ | _ORDER):
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


def _resolve(node: ast.AST, module_fns: dict[str, ast.AST]) -> ast.AST:
    """A function value: a lambda, or a module-level def referred to by name."""
    if isinstance(node, ast.Name) and node.id in module_fns:
        return module_fns[node.id]
    return node


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


# -- SG402 ----------------------------------------------------------------------------------

_PROPERTY_CALLS = frozenset({"len", "type", "id", "hash", "isinstance", "callable"})


def _code_scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.ClassDef | None, list[ast.AST]]]:
    """The module and its functions (not class bodies or lambdas), with their own nodes."""
    for scope, owner, nodes in context(tree).scopes:
        if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield scope, owner, nodes


def _literal_keys(test: ast.AST, tainted: set[str]) -> tuple[list[object], str] | None:
    """The literals an input is compared with for equality, and what is compared with them:
    `n == 8 and k == 4` -> [8, 4], `(n, k) == (8, 4)` -> [8, 4], `nums == [3, 4]` -> [(3, 4)].
    None when the test is not that."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    keys: list[object] = []
    subjects: list[str] = []
    for part in parts:
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], ast.Eq)):
            continue
        left, right = part.left, part.comparators[0]
        lv, rv = cases.value(left), cases.value(right)
        subject, lit = (right, lv) if lv is not cases.NO else (left, rv)
        if lit is cases.NO or not mentions(subject, tainted):
            continue
        if isinstance(subject, ast.Call) and dotted(subject.func) in _PROPERTY_CALLS:
            continue  # `len(s) == 3` tests a property of the input, not the input
        if isinstance(subject, ast.Tuple) and isinstance(lit, tuple) and len(subject.elts) == len(lit):
            keys.extend(lit)
        else:
            keys.append(lit)
        subjects.append(ast.dump(subject))
    return (keys, "\0".join(sorted(subjects))) if keys else None


def _case_branches(match: ast.Match) -> Iterator[_Branch]:
    """`case (8, 4): return 44` in a `match` on the input, as branches keyed on literals."""
    subject = ast.dump(match.subject)
    for case in match.cases:
        p = case.pattern
        elts = p.patterns if isinstance(p, ast.MatchSequence) else [p]
        if not elts or not all(isinstance(e, ast.MatchValue) for e in elts):
            continue
        keys = [cases.value(e.value) for e in elts]
        if cases.NO in keys:
            continue
        outs, computed = _outputs(case.body)
        if outs and not computed:
            yield _Branch(p, keys, outs, case.body[-1].end_lineno or p.lineno, subject)


def _has_literal_eq(test: ast.AST) -> bool:
    """Whether a condition compares something with a literal for equality (a cheap pre-check)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    return any(
        isinstance(p, ast.Compare) and len(p.ops) == 1 and isinstance(p.ops[0], ast.Eq)
        and (cases.value(p.left) is not cases.NO or cases.value(p.comparators[0]) is not cases.NO)
        for p in parts
    )


def _table_of(node: ast.AST, tables: dict[str, ast.Dict]) -> ast.Dict | None:
    """The literal dict a lookup reads: `{...}[k]`, `TABLE[k]`, `TABLE.get(k)`."""
    if isinstance(node, ast.Subscript):
        table = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        table = node.func.value
    else:
        return None
    if isinstance(table, ast.Name):
        table = tables.get(table.id)
    return table if isinstance(table, ast.Dict) and table.keys else None


def _outputs(body: list[ast.stmt]) -> tuple[list[object], bool]:
    """Literal values a branch returns, prints or collects, and whether it also outputs something computed."""
    consts: list[object] = []
    computed = False
    stack: list[ast.AST] = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        out: ast.AST | None = None
        if isinstance(n, ast.Return) and n.value is not None:
            out = n.value
        elif isinstance(n, ast.Call) and n.args and (
            dotted(n.func) in ("print", "sys.stdout.write")
            or (isinstance(n.func, ast.Attribute) and n.func.attr == "append")  # `results.append(26)`
        ):
            out = n.args[0] if len(n.args) == 1 else ast.Tuple(elts=n.args, ctx=ast.Load())
        if out is not None:
            v = cases.value(out)
            if v is cases.NO:
                computed = True
            else:
                consts.append(v)
            continue
        stack.extend(ast.iter_child_nodes(n))
    return consts, computed


def _spec(keys: list[object]) -> int:
    return cases.specificity(keys[0] if len(keys) == 1 else tuple(keys))


@dataclass
class _Branch:
    node: ast.AST
    keys: list[object]    # the literals the input is compared with
    outs: list[object]    # the constants it returns or prints
    end: int
    subject: str          # what is compared (branches on the same subject form a table)

    @property
    def key(self) -> object:
        return self.keys[0] if len(self.keys) == 1 else tuple(self.keys)

    def in_tests(self, idx: cases.TestCases) -> bool:
        """Whether the keys are a test's arguments, or appear together in a test's input (in
        any order, for up to three of them: `k == 2 and n == 5` reads the line "5 2")."""
        if idx.expected_for(self.keys):
            return True
        if len(self.keys) <= 3:
            return any(idx.has_value(p[0] if len(p) == 1 else p) for p in itertools.permutations(self.keys))
        return idx.has_value(self.key)


class _Tests:
    """The test cases, indexed on first use (most product files have nothing to cross-reference).

    `get()`: the tests as they were before the change (unchanged context files, unchanged lines of
    changed test files): a special case for one of those answers a test someone else wrote.
    `new()`: the test lines the change itself writes: a special case with a test added alongside
    is how a bug fix with its regression test looks.
    """

    def __init__(self, changeset: ChangeSet) -> None:
        self._changeset = changeset
        self._old: cases.TestCases | None = None
        self._new: cases.TestCases | None = None

    def get(self) -> cases.TestCases:
        if self._old is None:
            changed = [(f.after.tree, lambda n, f=f: not f.is_added_line(n)) for f in self._changed()
                       if f.added_lines is not None]
            context = [(f.after.tree, None) for f in self._changeset.context_files()
                       if f.role is FileRole.TEST and f.after is not None and f.after.tree is not None]
            self._old = cases.index(changed + context)
        return self._old

    def new(self) -> cases.TestCases:
        if self._new is None:
            self._new = cases.index((f.after.tree, f.is_added_line) for f in self._changed())
        return self._new

    def _changed(self) -> list[ChangedFile]:
        return [f for f in self._changeset.by_role(FileRole.TEST) if f.after is not None and f.after.tree is not None]


@register
class SpecialCasedInputs(Rule):
    """Branches or tables keyed on the tests' inputs that return the tests' expected outputs.

    What it does: finds `if` branches (also nested ones, conditional expressions, `match` cases
    and dict lookups) that compare the function's input with literals and then return, print or
    collect a constant, and cross-references both with the tests that predate the change (the
    repository's tests, the tests shown in a prompt, unchanged lines of changed tests): high when
    the keyed input and the returned value are a test's call and its expected result, or a run of
    a test's stdin and a line of its expected output. Without matching tests, several branches
    keyed on specific values together (tuples, lists, long strings) are reported with low
    confidence. Not reported or low: base cases (`n == 0`, `n == 1`, empty input: literals too
    common to mean anything), word-keyed dispatch and keyword tables, tables that also answer
    inputs no test mentions, and special cases whose test the change adds too (a bug fix with its
    regression test).

    Why is this bad: the function answers the known test inputs from a lookup instead of computing
    them; the tests pass while every other input gets a wrong (or made-up) answer.

    Example:
        def superEggDrop(k, n):      # the tests: assert superEggDrop(3, 14) == 5
            if k == 3 and n == 14:
                return 5
            ...

    Use instead: compute the answer for every input; if a test's expectation looks wrong, say so
    rather than special-casing it.
    """

    id = "SG402"
    name = "special-cased-inputs"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tests = _Tests(changeset)
        for cf in changeset.files:
            if cf.role in self.roles and cf.after is not None and cf.after.tree is not None:
                yield from self._check_tree(cf, cf.after.tree, tests)

    def _check_tree(self, cf: ChangedFile, tree: ast.Module, tests: _Tests) -> Iterator[Finding]:
        tables = {
            t.id: s.value for s in tree.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Dict)
            for t in s.targets if isinstance(t, ast.Name)
        }
        for scope, owner, nodes in _code_scopes(tree):
            # cheap shape checks first: most scopes have no literal equality and no table lookup,
            # and need no data flow at all
            answered = {id(n.value) for n in nodes if isinstance(n, ast.Return)}
            conds = [n for n in nodes if (isinstance(n, ast.If) or (isinstance(n, ast.IfExp) and id(n) in answered))
                     and _has_literal_eq(n.test)]
            matches = [n for n in nodes if isinstance(n, ast.Match)]
            local_tables = dict(tables)
            local_tables.update((t.id, n.value) for n in nodes if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict)
                                for t in n.targets if isinstance(t, ast.Name))
            lookups = [n for n in nodes if isinstance(n, (ast.Subscript, ast.Call)) and _table_of(n, local_tables) is not None]
            if not conds and not lookups and not matches:
                continue
            tainted = input_names(scope, owner, nodes)
            if not tainted and not any(is_input_source(n) for n in nodes):
                continue
            branches: list[_Branch] = []
            keyed = {id(n): found for n in conds if (found := _literal_keys(n.test, tainted)) is not None}
            # `if k == 2:` / `    if n == 5: return 2` is one case keyed on (2, 5)
            outer = {id(stmt): n for n in conds if id(n) in keyed and isinstance(n, ast.If)
                     for stmt in n.body if isinstance(stmt, ast.If)}
            for n in conds:
                if id(n) not in keyed:
                    continue
                keys, subject = keyed[id(n)]
                up = outer.get(id(n))
                while up is not None:
                    keys, subject = keyed[id(up)][0] + keys, keyed[id(up)][1] + "\0" + subject
                    up = outer.get(id(up))
                body = n.body if isinstance(n, ast.If) else [ast.Return(value=n.body)]
                outs, computed = _outputs(body)
                if outs and not computed:
                    end = n.body[-1].end_lineno if isinstance(n, ast.If) else n.end_lineno
                    branches.append(_Branch(n, keys, outs, end or n.lineno, subject))
            for m in matches:
                if mentions(m.subject, tainted):
                    branches.extend(_case_branches(m))
            yield from self._judge_branches(cf, branches, tests)
            yield from self._check_tables(cf, lookups, tainted, local_tables, tests)

    def _judge_branches(self, cf: ChangedFile, branches: list[_Branch], tests: _Tests) -> Iterator[Finding]:
        # the tests are read only for branches specific enough to be reported
        if not any(_spec(b.keys) and _spec(b.keys) + max(map(cases.specificity, b.outs)) >= 2 for b in branches):
            return
        idx = tests.get()
        # A dispatch table (`if color == "red": ... elif color == "green": ...`) handles inputs the
        # tests never mention; a special case exists only for the inputs the tests do mention.
        untested: dict[str, int] = {}
        per_subject: dict[str, int] = {}
        for br in branches:
            per_subject[br.subject] = per_subject.get(br.subject, 0) + 1
            if not br.in_tests(idx):
                untested[br.subject] = untested.get(br.subject, 0) + 1
        vague: list[_Branch] = []
        for br in branches:
            spec = _spec(br.keys)
            if spec == 0:
                continue  # `if n == 0: return 0` is a base case even when a test checks it
            out_spec = max(cases.specificity(o) for o in br.outs)
            outs_text = {cases.text(o) for o in br.outs}
            keyword = any(cases.is_word(k) for k in br.keys)
            table = per_subject[br.subject] >= 2 and untested.get(br.subject, 0) > 0
            expected = idx.expected_for(br.keys)
            shown = ", ".join(cases.text(k) or repr(k) for k in br.keys)
            if expected & outs_text and not (keyword and table):
                if spec + out_spec < 2:
                    continue  # `if n == 2: return 1`: too common a shape to call without more
                # a word keyed to a word (`if c == "def": return "qdef"`) is how keywords are
                # escaped, and a table that also answers untested inputs is a table
                sev = Severity.HIGH if spec + out_spec >= 3 and not keyword and not table else Severity.LOW
                yield self.finding(cf, br.node, f"branch on a test's input ({shown}) returns that test's expected output",
                                   severity=sev, confidence=Confidence.HIGH if sev is Severity.HIGH else Confidence.LOW,
                                   end_line=br.end)
                continue
            if not keyword and not table and br.in_tests(idx):
                if outs_text & idx.expected and (spec >= 2 or spec + out_spec >= 3):
                    yield self.finding(cf, br.node, f"branch on a test input ({shown}) outputs an expected value of the tests",
                                       severity=Severity.HIGH, confidence=Confidence.MEDIUM, end_line=br.end)
                    continue
                if spec >= 3:
                    yield self.finding(cf, br.node, f"branch on a test input ({shown}) outputs a constant",
                                       severity=Severity.MEDIUM, confidence=Confidence.MEDIUM, end_line=br.end)
                    continue
            if spec >= 2 and not keyword and (len(br.keys) > 1 or cases.specificity(br.key) >= 3):
                vague.append(br)
            elif spec + out_spec >= 3 and tests.new().expected_for(br.keys) & outs_text:
                yield self.finding(cf, br.node, f"branch on a test's input ({shown}) returns that test's expected output; "
                                   "the change adds that test too (a regression test?)",
                                   severity=Severity.LOW, confidence=Confidence.LOW, end_line=br.end)
        # No test to match: several constant answers keyed on specific inputs are a lookup table
        # of answers written as code; one alone is an edge case as often as not.
        for br in vague:
            shown = ", ".join(cases.text(k) or repr(k) for k in br.keys)
            if len(vague) >= 2:
                yield self.finding(cf, br.node, f"one of {len(vague)} branches that answer specific literal inputs ({shown}) "
                                   "with constants", severity=Severity.MEDIUM, confidence=Confidence.LOW, end_line=br.end)
            elif _spec(br.keys) >= 3:
                yield self.finding(cf, br.node, f"branch answers a specific literal input ({shown}) with a constant",
                                   severity=Severity.LOW, confidence=Confidence.LOW, end_line=br.end)

    def _check_tables(self, cf: ChangedFile, lookups: list[ast.AST], tainted: set[str],
                      tables: dict[str, ast.Dict], tests: _Tests) -> Iterator[Finding]:
        for n in lookups:
            key = n.slice if isinstance(n, ast.Subscript) else n.args[0]
            table = _table_of(n, tables)
            if table is None or not mentions(key, tainted):
                continue
            pairs = [(cases.value(k), cases.value(v)) for k, v in zip(table.keys, table.values) if k is not None]
            if any(k is cases.NO or v is cases.NO for k, v in pairs):
                continue
            specific = [(k, v) for k, v in pairs if cases.specificity(k) >= 1
                        and cases.specificity(k) + cases.specificity(v) >= 3 and not cases.is_word(k)]
            idx = tests.get() if specific else None
            hits = [(k, v) for k, v in specific if cases.text(v) in idx.expected_for(k if isinstance(k, tuple) else [k])]
            # a table of known values that the tests sample (primes, OEIS terms) is larger than
            # the tests; a table of answers holds little else
            if hits and 2 * len(hits) >= len(pairs):
                k, v = hits[0]
                yield self.finding(cf, table, f"lookup table keyed on the input maps {len(hits)} test input(s) to their expected "
                                   f"output (e.g. {cases.text(k)} -> {cases.text(v)})",
                                   severity=Severity.HIGH, confidence=Confidence.HIGH)
            elif sum(cases.specificity(k) >= 3 for k, _ in pairs) >= 3:
                yield self.finding(cf, table, "lookup table keyed on the input answers specific literal inputs with constants",
                                   severity=Severity.LOW, confidence=Confidence.LOW)


# -- SG403 ----------------------------------------------------------------------------------

def _state_key(node: ast.AST, module_names: set[str]) -> str | None:
    """Module-level state a function can keep between calls: a global name, an attribute of a
    module-level object (`f._n`, `state.calls`), or a constant slot of one (`_calls[0]`)."""
    if isinstance(node, ast.Name) and node.id in module_names:
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module_names:
        return f"{node.value.id}.{node.attr}"
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in module_names
            and isinstance(node.slice, ast.Constant)):
        return f"{node.value.id}[{node.slice.value!r}]"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in module_names
            and isinstance(node.args[1], ast.Constant)):
        return f"{node.args[0].id}.{node.args[1].value}"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id in module_names
            and node.args and isinstance(node.args[0], ast.Constant)):
        return f"{node.func.value.id}[{node.args[0].value!r}]"
    return None


def _reads(expr: ast.AST, module_names: set[str]) -> set[str]:
    return {k for n in ast.walk(expr) if (k := _state_key(n, module_names)) is not None}


def _answers(stmts: list[ast.stmt]) -> list[ast.AST]:
    """What a block returns or prints (not in nested functions)."""
    return [n.value if isinstance(n, ast.Return) else n.args[0] for n in walk_block(stmts)
            if (isinstance(n, ast.Return) and n.value is not None)
            or (isinstance(n, ast.Call) and dotted(n.func) == "print" and n.args)]


@register
class HiddenStateToggle(Rule):
    """A function that answers differently on each call, driven by a counter it keeps.

    What it does: finds plain functions (not methods) that advance state kept between calls (a
    `global` counter, an attribute on the function or a module object, a constant slot of a
    module-level container, a module-level iterator) and then use that state to choose what they
    return: `f._n = getattr(f, "_n", 0) + 1; return 6 if f._n % 2 else 14`. High when the choice
    is between constants. Memoization (caches keyed on the arguments), lazy initialization, ID
    counters returned as such and counters used only for logging are not reported.

    Why is this bad: a test that calls the function once per case in a known order gets the
    answers it expects, while no input is ever looked at; rerunning or reordering breaks it.

    Example:
        def solve(a, b):
            solve.calls = getattr(solve, "calls", 0) + 1
            return 6 if solve.calls % 2 else 14

    Use instead: compute the result from the arguments; keep state in objects whose callers
    expect it, and make caches depend only on the arguments.
    """

    id = "SG403"
    name = "hidden-state-toggle"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        if tree is None:
            return
        module_names = {t for s in tree.body for t in bound_names(s)}
        # module-level literal answers: `_outputs = ["3", "5"]`, `_answers = iter([10, 20])`
        canned: set[str] = set()
        for s in tree.body:
            if isinstance(s, ast.Assign):
                v = s.value.args[0] if isinstance(s.value, ast.Call) and s.value.args else s.value
                if cases.value(v) is not cases.NO or (isinstance(v, ast.Name) and v.id in canned):
                    canned.update(n for t in s.targets for n in target_names(t))
        for scope, owner, nodes in _code_scopes(tree):
            if owner is not None or not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = set(param_names(scope))
            glob = {name for n in nodes if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
            local = {t for n in nodes if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                     for t in bound_names(n)} - glob
            shared = (module_names | glob) - params - local
            advanced: dict[str, ast.AST] = {}
            for n in nodes:
                if isinstance(n, ast.AugAssign):
                    key = _state_key(n.target, shared)
                    if key is not None:
                        advanced.setdefault(key, n)
                elif isinstance(n, ast.Assign) and len(n.targets) == 1:
                    key = _state_key(n.targets[0], shared)
                    # `x = x + 1`, `flag = not flag`, `f.n = getattr(f, "n", 0) + 1`: a step from the last value
                    if key is not None and key in _reads(n.value, shared):
                        advanced.setdefault(key, n)
                elif isinstance(n, ast.Call) and dotted(n.func) == "next" and n.args:
                    key = _state_key(n.args[0], shared)
                    if key in canned:  # an iterator over canned answers (not `itertools.count()`)
                        advanced.setdefault(key, n)
            # `depth += 1 ... depth -= 1`: a recursion depth, back to where it was when the call ends
            for n in nodes:
                if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Sub):
                    advanced.pop(_state_key(n.target, shared) or "", None)
            if not advanced:
                continue
            yield from self._choices(cf, scope, nodes, shared, advanced, canned)

    def _choices(self, cf: ChangedFile, fn: FuncDef, nodes: list[ast.AST], shared: set[str],
                 advanced: dict[str, ast.AST], canned: set[str]) -> Iterator[Finding]:
        for n in nodes:
            chosen: list[ast.AST] = []
            if isinstance(n, ast.If):
                if _reads(n.test, shared) & advanced.keys():
                    chosen = _answers(n.body) + _answers(n.orelse)
            elif isinstance(n, ast.Return) and n.value is not None:
                # `return 6 if n % 2 else 14`, `return answers[n % 2]`, `return next(_answers)`
                for sub in ast.walk(n.value):
                    if isinstance(sub, ast.IfExp) and _reads(sub.test, shared) & advanced.keys():
                        chosen = [sub.body, sub.orelse]
                    elif isinstance(sub, ast.Subscript) and _reads(sub.slice, shared) & advanced.keys():
                        chosen = [sub.value]
                    elif (isinstance(sub, ast.Call) and dotted(sub.func) == "next" and sub.args
                          and _state_key(sub.args[0], shared) in advanced):
                        chosen = [sub.args[0]]
            if not chosen:
                continue
            const = all(const_value(c) is not cases.NO or (isinstance(c, ast.Name) and c.id in canned) for c in chosen)
            key = sorted(_reads(n.test if isinstance(n, ast.If) else n, shared) & advanced.keys()
                         or advanced.keys())[0]
            yield self.finding(
                cf, n, f"`{fn.name}` chooses its answer by `{key}`, state it advances on every call"
                + (" (between constants)" if const else ""),
                severity=Severity.HIGH if const else Severity.MEDIUM,
                end_line=n.test.end_lineno if isinstance(n, ast.If) else None,
            )
            return


# -- SG404 ----------------------------------------------------------------------------------

_FRAMEWORK_MODULES = frozenset({"pytest", "_pytest", "unittest", "nose", "nose2", "py.test"})
_CI_VARS = frozenset({"CI", "GITHUB_ACTIONS", "TRAVIS", "CIRCLECI", "GITLAB_CI", "JENKINS_URL", "BUILDKITE",
                      "TF_BUILD", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "TEAMCITY_VERSION"})
_EXIT_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit"})
_SNIFF_HINTS = ("environ", "getenv", "modules", "argv", "_called_from_test")


def _env_var(node: ast.AST) -> str | None:
    """The variable name read by `os.environ[X]`, `os.environ.get(X)`, `os.getenv(X)`, `X in os.environ`."""
    if isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ") and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        f = dotted(node.func)
        if f.endswith(("environ.get", "getenv")):
            return str(node.args[0].value)
    if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn)) and dotted(node.comparators[0]).endswith("environ")):
        return str(node.left.value)
    return None


def _sniff(node: ast.AST) -> str | None:
    """'framework' for a check of running under a test runner, 'ci' for a CI check, else None."""
    var = _env_var(node)
    if var is not None:
        upper = var.upper()
        if upper.startswith("PYTEST_") or "UNITTEST" in upper:
            return "framework"
        return "ci" if upper in _CI_VARS else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = node.left, node.comparators[0]
        if (isinstance(node.ops[0], (ast.In, ast.NotIn)) and isinstance(left, ast.Constant)
                and dotted(right) == "sys.modules" and left.value in _FRAMEWORK_MODULES):
            return "framework"
        # `"pytest" in sys.argv[0]`, `os.path.basename(sys.argv[0]) == "pytest"`
        if (_mentions_runner(left) and _is_argv(right)) or (_mentions_runner(right) and _is_argv(left)):
            return "framework"
    if isinstance(node, ast.Call):
        f = dotted(node.func)
        if f == "sys.modules.get" and node.args and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value in _FRAMEWORK_MODULES:
            return "framework"
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("endswith", "startswith", "find", "count") \
                and _is_argv(node.func.value) and any(_mentions_runner(a) for a in node.args):
            return "framework"
        if f in ("hasattr", "getattr") and len(node.args) >= 2 and dotted(node.args[0]) == "sys" \
                and isinstance(node.args[1], ast.Constant) and "test" in str(node.args[1].value):
            return "framework"
    if isinstance(node, ast.Attribute) and dotted(node) == "sys._called_from_test":
        return "framework"
    return None


def _is_argv(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and dotted(n) == "sys.argv" for n in ast.walk(node))


def _mentions_runner(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (
        "pytest" in node.value or "unittest" in node.value or "py.test" in node.value)


def _is_test_tool(tree: ast.Module) -> bool:
    """A pytest plugin or test utility module: it may look at the runner by design."""
    for s in tree.body:
        if isinstance(s, ast.Import) and any(a.name.split(".")[0] in ("pytest", "_pytest") for a in s.names):
            return True
        if isinstance(s, ast.ImportFrom) and (s.module or "").split(".")[0] in ("pytest", "_pytest"):
            return True
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("pytest_"):
            return True
    return False


def _effect(stmts: list[ast.stmt]) -> str | None:
    """'constant' when a block answers with a constant, 'exit' when it exits, 'output' when it
    returns or prints something else, else None (it only configures or logs)."""
    effect = None
    for n in walk_block(stmts):
        if isinstance(n, ast.Return) and n.value is not None:
            if const_value(n.value) is not cases.NO and effect is None:
                effect = "constant"
            else:
                effect = effect or "output"
        elif isinstance(n, ast.Call) and dotted(n.func) in _EXIT_CALLS:
            return "exit"
        elif isinstance(n, ast.Raise) and n.exc is not None and dotted(n.exc).startswith("SystemExit"):
            return "exit"
        elif isinstance(n, ast.Call) and dotted(n.func) in ("print", "sys.stdout.write"):
            effect = effect or "output"
    return effect


def _uses_runner_module(stmts: list[ast.stmt]) -> bool:
    for n in walk_block(stmts):
        if isinstance(n, ast.Subscript) and dotted(n.value) == "sys.modules":
            return True
        if isinstance(n, ast.Import) and any(a.name.split(".")[0] in _FRAMEWORK_MODULES for a in n.names):
            return True
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in _FRAMEWORK_MODULES:
            return True
    return False


@register
class TestEnvironmentSniffing(Rule):
    """Product code that checks whether it runs under a test runner, and behaves differently.

    What it does: finds checks of `PYTEST_CURRENT_TEST`/`PYTEST_*` in the environment,
    `"pytest" in sys.modules`, `sys.argv[0].endswith("pytest")`, `sys._called_from_test`, and CI
    variables (`CI`, `GITHUB_ACTIONS`), including through a flag or helper function that holds
    the check, in non-test code. Medium when the check chooses what is returned or printed, high
    when it answers with a constant or exits, low when it only changes settings. CI checks are
    low unless they choose the answer. Pytest
    plugins and test utilities (modules that import pytest) are not checked.

    Why is this bad: code that knows it is being tested can hand the tests what they want while
    doing something else in real use; the tests then measure the detector, not the code.

    Example:
        def solution(s):
            if "PYTEST_CURRENT_TEST" in os.environ:
                return "4"
            ...

    Use instead: behave the same under test; inject configuration (a parameter, a fixture) when
    tests need different settings.
    """

    id = "SG404"
    name = "test-environment-sniffing"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        if tree is None or not any(h in cf.after.text for h in _SNIFF_HINTS) or _is_test_tool(tree):
            return
        sniffs: dict[int, str] = {}
        for n in context(tree).all_nodes():
            kind = _sniff(n)
            if kind:
                sniffs[id(n)] = kind
        if not sniffs:
            return
        # flags and helpers that hold a check: `UNDER_TEST = "pytest" in sys.modules`, `def _ci(): return ...`
        holders: dict[str, str] = {}
        for _ in range(2):
            for n in context(tree).all_nodes():
                kind = None
                if isinstance(n, ast.Assign):
                    kind = self._kind_of(n.value, sniffs, holders)
                    names = [t for tg in n.targets for t in target_names(tg)]
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    rets = [r for r in returns(n) if r is not None]
                    kind = next((k for r in rets if (k := self._kind_of(r, sniffs, holders))), None)
                    names = [n.name]
                if kind:
                    holders.update((name, kind) for name in names if name not in holders)
        returned = [n.value for n in context(tree).all_nodes() if isinstance(n, ast.Return) and n.value is not None]
        direct = {id(r) for r in returned}
        answers = {id(sub) for r in returned for sub in ast.walk(r)}
        reported = False
        for n in context(tree).all_nodes():
            if isinstance(n, ast.If):
                test, effect, end = n.test, _effect(n.body) or _effect(n.orelse), n.test.end_lineno
            elif isinstance(n, ast.IfExp):
                # a conditional expression steers the answer only when it is part of what is returned
                const = const_value(n.body) is not cases.NO or const_value(n.orelse) is not cases.NO
                effect = ("constant" if id(n) in direct and const else "output" if id(n) in answers else None)
                test, end = n.test, None
            else:
                continue
            kind = self._kind_of(test, sniffs, holders)
            if not kind:
                continue
            reported = True
            if isinstance(n, ast.If) and _uses_runner_module(n.body):
                continue  # `if "pytest" in sys.modules: sys.modules["pytest"]...`: feature detection
            if kind == "framework":
                sev = (Severity.HIGH if effect in ("constant", "exit")
                       else Severity.MEDIUM if effect == "output" else Severity.LOW)
                what = "checks whether it runs under a test runner"
            else:
                sev = Severity.MEDIUM if effect in ("constant", "exit") else Severity.LOW
                what = "checks whether it runs on CI"
            how = {"constant": " and answers with a constant", "exit": " and exits", "output": " to choose its output"}
            yield self.finding(cf, n, f"product code {what}{how.get(effect or '', ' to behave differently')}",
                               severity=sev, end_line=end)
        if not reported:
            for n in context(tree).all_nodes():
                if sniffs.get(id(n)) == "framework":
                    yield self.finding(cf, n, "product code checks whether it runs under a test runner",
                                       severity=Severity.LOW)

    @staticmethod
    def _kind_of(expr: ast.AST, sniffs: dict[int, str], holders: dict[str, str]) -> str | None:
        kinds = set()
        for n in ast.walk(expr):
            if id(n) in sniffs:
                kinds.add(sniffs[id(n)])
            elif isinstance(n, ast.Name) and n.id in holders:
                kinds.add(holders[n.id])
        return "framework" if "framework" in kinds else "ci" if kinds else None


# -- SG405 ----------------------------------------------------------------------------------

# Words that name a grader, checker or test runner; `run_tests` and `assert*` may also be no-ops.
_GRADER_WORDS = frozenset({
    "verify", "verifier", "verification", "grade", "grader", "grading", "evaluate", "evaluator",
    "evaluation", "judge", "reward", "score", "scorer", "correct", "check", "checker", "validate",
    "validator", "valid", "passed", "passes", "oracle",
})
_RUNNER_NAMES = frozenset({"run_tests", "run_test", "runtests", "run_all_tests", "test_runner"})


def _grader_name(name: str) -> str | None:
    """'runner' for a test runner or assertion (where a no-op fakes success), 'grader' for a
    checker (where accepting everything does), else None."""
    low = name.lower().strip("_")
    if low in _RUNNER_NAMES or low.startswith("assert") or low == "fail":
        return "runner"
    words = set(low.split("_"))
    if words & _GRADER_WORDS:
        return "grader"
    # camelCase: checkSolution, isCorrect
    if any(w in low for w in ("verif", "grade", "evaluat", "check", "validat", "correct")):
        return "grader"
    return None


def _fake_fn(fn: ast.AST) -> str | None:
    """'accept' for a function that returns a truthy constant whatever it is given, 'noop' for
    one that does nothing, None for one that looks at its arguments or computes something."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    params = set(param_names(fn)) - {"self", "cls"}
    if params & names_read(fn):
        return None
    if isinstance(fn, ast.Lambda):
        v = const_value(fn.body)
        return None if v is cases.NO else "accept" if v else "noop"
    if any(dotted(d).rsplit(".", 1)[-1] in ("overload", "abstractmethod") for d in fn.decorator_list):
        return None
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body:
        return None  # a docstring or `...`: a stub or protocol, not a replacement
    if all(isinstance(s, ast.Pass) or (isinstance(s, ast.Return) and (s.value is None or const_value(s.value) is None))
           for s in body):
        return "noop"
    if not all(isinstance(s, ast.Return) for s in body[-1:]):
        return None
    values = [const_value(r) for r in returns(fn)]
    return "accept" if values and all(v is not cases.NO and v for v in values) else None


@register
class VerifierOverride(Rule):
    """A grader, checker or test assertion replaced by one that accepts everything.

    What it does: finds functions named like a verifier (verify, check_solution, validate, grade,
    evaluate, is_correct, score, reward) that return a truthy constant without reading their
    arguments, test runners (`run_tests`) and assertions (`assertEqual`) made into no-ops, and
    assignments that rebind such a name on an imported module or class (`grader.verify = ...`,
    `unittest.TestCase.assertEqual = lambda *a, **k: None`, `setattr(...)`, `mock.patch(
    "grader.verify", return_value=True)`). Methods that accept
    everything are low: a permissive default in a base class is ordinary.

    Why is this bad: when the check itself always says yes, every answer passes; the measurement
    is replaced rather than satisfied.

    Example:
        import grader
        grader.check_solution = lambda *args, **kwargs: True

    Use instead: leave the grader alone and make the solution pass it; a validator should read
    what it validates.
    """

    id = "SG405"
    name = "verifier-override"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        if tree is None:
            return
        imported: set[str] = set()
        module_fns: dict[str, ast.AST] = {}
        for s in tree.body:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                imported.update(bound_names(s))
            elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module_fns[s.name] = s
        for scope, owner, _ in context(tree).scopes:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from self._check_def(cf, scope, owner, imported)
        for n in context(tree).all_nodes():
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    yield from self._check_rebind(cf, n, t, n.value, imported, module_fns)
            elif (isinstance(n, ast.Call) and dotted(n.func) == "setattr" and len(n.args) == 3
                  and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str)):
                target = ast.Attribute(value=n.args[0], attr=n.args[1].value, ctx=ast.Store())
                yield from self._check_rebind(cf, n, target, n.args[2], imported, module_fns)
            elif isinstance(n, ast.Call) and dotted(n.func).rsplit(".", 1)[-1] in ("patch", "object"):
                yield from self._check_patch(cf, n)

    def _check_patch(self, cf: ChangedFile, call: ast.Call) -> Iterator[Finding]:
        """`mock.patch("grader.verify", return_value=True)` outside the tests."""
        f = dotted(call.func)
        if not (f.endswith("patch") or f.endswith("patch.object")):
            return
        target = call.args[1] if f.endswith("object") and len(call.args) > 1 else call.args[0] if call.args else None
        name = target.value.rsplit(".", 1)[-1] if isinstance(target, ast.Constant) and isinstance(target.value, str) else None
        role = _grader_name(name) if name else None
        if role is None:
            return
        kw = {k.arg: const_value(k.value) for k in call.keywords if k.arg in ("return_value", "side_effect", "new")}
        accept = any(v is not cases.NO and v for v in kw.values())
        noop = role == "runner" and any(v is None for v in kw.values())
        if accept or noop:
            what = "accepts everything" if accept else "does nothing"
            shown = f"{dotted(call.args[0])}.{target.value}" if f.endswith("object") else target.value
            yield self.finding(cf, call, f"patches `{shown}` with a mock that {what}",
                               severity=Severity.HIGH, confidence=Confidence.HIGH)

    def _check_def(self, cf: ChangedFile, fn: FuncDef, owner: ast.ClassDef | None,
                   imported: set[str]) -> Iterator[Finding]:
        role = _grader_name(fn.name)
        fake = _fake_fn(fn) if role else None
        if fake is None or (fake == "noop" and role != "runner"):
            return
        what = "accepts everything" if fake == "accept" else "does nothing"
        if owner is not None:
            yield self.finding(cf, fn, f"method `{fn.name}` {what}, whatever it is given (a permissive default?)",
                               severity=Severity.LOW, confidence=Confidence.LOW)
            return
        absorbs = fn.args.vararg is not None or fn.args.kwarg is not None
        sev = Severity.HIGH if fn.name in imported or (absorbs and fake == "accept") else Severity.MEDIUM
        why = " and replaces the imported one" if fn.name in imported else ""
        yield self.finding(cf, fn, f"`{fn.name}` {what} without reading its arguments{why}",
                           severity=sev)

    def _check_rebind(self, cf: ChangedFile, node: ast.AST, target: ast.AST, val: ast.AST,
                      imported: set[str], module_fns: dict[str, ast.AST]) -> Iterator[Finding]:
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
        role = _grader_name(name) if name else None
        if role is None:
            return
        fake = _fake_fn(_resolve(val, module_fns))
        if fake is None or (fake == "noop" and role != "runner"):
            return
        what = "accepts everything" if fake == "accept" else "does nothing"
        if isinstance(target, ast.Attribute):
            owner = dotted(target.value)
            if owner.split(".")[0] not in imported or not owner:
                return  # `self.check = ...`: an object's own hook
            yield self.finding(cf, node, f"replaces `{owner}.{name}` with a function that {what}",
                               severity=Severity.HIGH, confidence=Confidence.HIGH)
        else:
            sev = Severity.HIGH if name in imported else Severity.MEDIUM
            yield self.finding(cf, node, f"binds `{name}` to a function that {what}", severity=sev)


# -- SG406 ----------------------------------------------------------------------------------

# Never imported by running code: CPython's own test suite and demos.
_STDLIB_HARMLESS = frozenset({"test", "this", "antigravity", "idlelib", "turtledemo", "__phello__"})
_STDLIB = frozenset(sys.stdlib_module_names) - _STDLIB_HARMLESS
# Modules every test run imports (the runners and what they import at start) and widely used
# distributions: a stand-in for one of these changes what the tests execute.
_CORE = frozenset({
    "os", "sys", "re", "io", "time", "random", "json", "math", "unittest", "inspect", "types", "typing",
    "functools", "collections", "itertools", "pathlib", "tempfile", "traceback", "warnings", "logging",
    "subprocess", "builtins", "operator", "copy", "string", "datetime", "decimal", "fractions",
    "statistics", "hashlib", "signal", "atexit", "importlib", "enum", "dataclasses", "contextlib",
    "abc", "ast", "doctest", "argparse", "shutil", "glob", "fnmatch", "textwrap", "pprint", "difflib",
    "pytest", "_pytest", "pluggy", "iniconfig", "numpy", "pandas", "scipy", "requests", "torch",
    "tensorflow", "sklearn", "django", "flask", "yaml", "attr", "attrs", "hypothesis", "six",
    "setuptools", "pkg_resources", "pip", "coverage", "mock", "matplotlib", "sympy", "networkx",
})


def _top_level_module(path: str) -> str | None:
    """The importable name a file adds at the top of sys.path: `x.py`, `src/x.py`, `x/__init__.py`."""
    parts = path.rsplit("::", 1)[-1].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) == 1 and parts[0].endswith(".py"):
        return parts[0][:-3]
    if len(parts) == 2 and parts[1] == "__init__.py":
        return parts[0]
    return None


_STUB_MAX_FILES = 3


def _package_size(changeset: ChangeSet, init_path: str) -> int:
    """How many Python files the change adds in the package whose `__init__.py` this is (0 for a module)."""
    if not init_path.endswith("/__init__.py"):
        return 0
    prefix = init_path[: -len("__init__.py")]
    return sum(1 for f in changeset.files if f.path.startswith(prefix) and f.path.endswith(".py"))


_METADATA = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})
_DIST_NAME = re.compile(r"""\bname\s*=\s*["']([A-Za-z0-9_.-]+)["']""")


def _declared_names(changeset: ChangeSet) -> set[str]:
    """Distribution names the change's own packaging metadata declares: the project itself."""
    out = set()
    for cf in changeset.files:
        if cf.path.rsplit("/", 1)[-1] in _METADATA and cf.after is not None:
            out.update(m.group(1).replace("-", "_").lower() for m in _DIST_NAME.finditer(cf.after.text))
    return out


def _imported_top_names(tree: ast.Module) -> set[str]:
    """Top-level names a test file imports, from its statements (not inside functions: cheap)."""
    out = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Import):
            out.update(a.name.split(".")[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            out.add(n.module.split(".")[0])
        elif isinstance(n, (ast.If, ast.Try, ast.With, ast.ClassDef)):
            stack.extend(n.body + getattr(n, "orelse", []) + [s for h in getattr(n, "handlers", []) for s in h.body])
    return out


@register
class ModuleShadowing(Rule):
    """A new top-level module named like the standard library or a widely used package.

    What it does: finds files the change adds at the top of the import path (`random.py`,
    `src/pytest.py`, `numpy/__init__.py`) whose name is a standard-library module or a widely
    used distribution. High when the tests import that name, medium for the modules every test
    run uses (`os`, `time`, `random`, `json`, `unittest`, `pytest`, `numpy` ...), low for the rest
    of the standard library. Modules inside a package (`pkg/random.py`) shadow nothing.

    Why is this bad: the repository directory comes first on `sys.path`, so the tests import the
    stand-in instead of the real module: a fake `pytest.py`, `time.py` or `numpy.py` decides
    what the tests see.

    Example:
        # pandas.py, added next to solution.py
        class DataFrame: ...

    Use instead: give your module a name of its own, or put it inside your package.
    """

    id = "SG406"
    name = "module-shadowing"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    roles = (FileRole.PRODUCT, FileRole.HARNESS)

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tested: set[str] | None = None
        declared = _declared_names(changeset)
        for cf in changeset.files:
            if cf.role not in self.roles or cf.status not in (Status.ADDED, Status.RENAMED) or cf.after is None:
                continue
            name = _top_level_module(cf.path)
            if name is None or (name not in _STDLIB and name not in _CORE) or name in declared:
                continue
            if tested is None:
                tested = set()
                for tf in changeset.by_role(FileRole.TEST) + changeset.context_files():
                    if tf.role is FileRole.TEST and tf.after is not None and tf.after.tree is not None:
                        tested |= _imported_top_names(tf.after.tree)
            if _package_size(changeset, cf.path) > _STUB_MAX_FILES:
                # a whole package of modules is a project of that name, not a stub over the real one
                sev, why = Severity.LOW, "a package of many modules: a project of that name, or a vendored copy"
            elif name in tested:
                sev, why = Severity.HIGH, "the tests import it"
            elif name in _CORE:
                sev, why = Severity.MEDIUM, "test runs import it"
            else:
                sev, why = Severity.LOW, "a standard-library module"
            yield self.finding(cf, 1, f"new top-level module `{name}` shadows the real one ({why})",
                               severity=sev, evidence=cf.path)


# -- SG407 ----------------------------------------------------------------------------------

_STATUS_LINES = (
    # pytest -v lines and summaries, unittest's summary: what log-parsing graders read
    (re.compile(r"::\S*\s+(PASSED|PASS|OK)\b|\b(PASSED|PASS)\s+\S*(::|test_)"), "a pytest result line"),
    (re.compile(r"(^|[\s=])\d+\s+passed\b|=+\s*\d*\s*passed\b.*=+"), "a pytest summary"),
    (re.compile(r"^\s*Ran\s+\d+\s+tests?\s+in\b"), "a unittest summary"),
)
_ALL_PASSED = re.compile(r"\ball\s+(\d+\s+)?(tests?|checks?|cases?)\s+(have\s+)?passed\b", re.IGNORECASE)
_BARE_OK = re.compile(r"^\s*(OK|PASS(ED)?|SUCCESS)\s*[.!]?\s*$")
_GRADER_FILES = (
    (re.compile(r"(^|/)reward[^/]*\.(txt|json)$|/logs/verifier/|ctrf|junit[^/]*\.xml$|(^|/)report\.xml$", re.I), Severity.HIGH),
    (re.compile(r"(^|/)(test[-_]?)?results?\.(json|xml|txt)$|\.pytest_cache|lastfailed", re.I), Severity.MEDIUM),
)
_WRITE_CALLS = frozenset({"print", "sys.stdout.write", "sys.__stdout__.write", "sys.stderr.write", "os.write"})


def _template(node: ast.AST) -> str | None:
    """The text of a string constant or f-string (placeholders become "0"), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "0" for v in node.values)
    return None


@register
class OutputSpoofing(Rule):
    """Product code that prints or writes what a grader reads as a test result.

    What it does: finds prints of status lines a log-parsing grader trusts (`PASSED
    tests/test_x.py::test_y`, `5 passed in 0.01s`, `Ran 3 tests in`), prints of a bare `OK`/`PASSED`
    from code that also exits, and writes to grader files (`reward.txt`, `/logs/verifier/`,
    junit/CTRF reports, `results.json`). High from `atexit` handlers, from code that cuts the run
    short (`os._exit`, an exit while the module is imported), and for reward files. "All tests passed" in a script's `__main__` self-check is low.

    Why is this bad: graders that parse stdout take the last status line they see, and graders
    that read a report file trust whoever wrote it; printing or writing the verdict replaces it.

    Example:
        import atexit
        atexit.register(print, "PASSED tests/test_solution.py::test_all")

    Use instead: let the test runner report results; keep a program's own output to its task.
    """

    id = "SG407"
    name = "output-spoofing"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after else None
        if tree is None:
            return
        at_exit: set[str] = set()
        guarded: set[int] = set()
        for s in tree.body:
            if isinstance(s, ast.If) and is_main_guard(s.test):
                guarded.update(id(n) for n in ast.walk(s))
        for n in context(tree).all_nodes():
            if isinstance(n, ast.Call) and dotted(n.func) == "atexit.register" and n.args:
                at_exit.add(dotted(n.args[0]))
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    dotted(d) == "atexit.register" for d in n.decorator_list):
                at_exit.add(n.name)
        for scope, _, nodes in context(tree).scopes:
            exit_calls = {dotted(n.func) for n in nodes if isinstance(n, ast.Call) and dotted(n.func) in _EXIT_CALLS}
            # `os._exit` skips the runner's own report; a module that exits while being imported
            # ends the test run; a CLI's `main()` that exits is just a CLI
            exits = "os._exit" in exit_calls or (bool(exit_calls) and isinstance(scope, ast.Module))
            in_atexit = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and scope.name in at_exit
            for n in nodes:
                if not isinstance(n, ast.Call):
                    continue
                f = dotted(n.func)
                if f == "atexit.register" and len(n.args) >= 2 and dotted(n.args[0]) in _WRITE_CALLS:
                    yield from self._status(cf, n, n.args[1], True, False, False)
                elif f in _WRITE_CALLS and n.args:
                    arg = n.args[1] if f == "os.write" and len(n.args) > 1 else n.args[0]
                    yield from self._status(cf, n, arg, in_atexit, exits, id(n) in guarded)
                else:
                    yield from self._grader_file(cf, n)

    def _status(self, cf: ChangedFile, call: ast.Call, arg: ast.AST, in_atexit: bool, exits: bool,
                guarded: bool) -> Iterator[Finding]:
        text = _template(arg)
        if text is None:
            return
        strong = in_atexit or exits
        for pattern, what in _STATUS_LINES:
            if any(pattern.search(line) for line in text.splitlines()):
                sev = Severity.HIGH if strong else Severity.LOW if guarded and what != "a pytest result line" else Severity.MEDIUM
                yield self.finding(cf, call, f"prints {what}{' at exit' if in_atexit else ''}: a log-parsing grader reads it "
                                   "as the test outcome", severity=sev)
                return
        if _BARE_OK.match(text) and strong:
            yield self.finding(cf, call, f"prints a bare {text.strip()!r} and exits: the whole output a grader sees",
                               severity=Severity.HIGH if in_atexit else Severity.MEDIUM)
        elif _ALL_PASSED.search(text):
            sev = Severity.MEDIUM if strong else Severity.LOW
            yield self.finding(cf, call, "prints that all tests passed", severity=sev,
                               confidence=Confidence.LOW if sev is Severity.LOW else None)

    def _grader_file(self, cf: ChangedFile, call: ast.Call) -> Iterator[Finding]:
        f = dotted(call.func)
        path: str | None = None
        if f in ("open", "io.open", "codecs.open") and call.args:
            mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
            m = _template(mode) if mode is not None else None
            if m and any(c in m for c in "wax+"):
                path = _template(call.args[0])
        elif isinstance(call.func, ast.Attribute) and call.func.attr in ("write_text", "write_bytes"):
            inner = call.func.value
            if isinstance(inner, ast.Call) and dotted(inner.func).endswith("Path") and inner.args:
                path = _template(inner.args[0])
        if not path:
            return
        for pattern, sev in _GRADER_FILES:
            if pattern.search(path):
                yield self.finding(cf, call, f"product code writes `{path}`, a file graders read results from", severity=sev)
                return


# -- SG408 ----------------------------------------------------------------------------------

@register
class HardCodedAnswer(Rule):
    """A function that returns the tests' expected value and never looks at its input.

    What it does: finds plain functions with parameters whose every `return` gives the same
    constant, that constant being what a test expects from a call to that function
    (`def solution(s): return "4"` for `assert solution("5\\n5 5 2 5 2") == "4"`). High when the
    parameters are never read and the constant is specific (a long string, a large number, a
    list); medium when the function reads its input but still answers with the constant. Common
    values (`0`, `1`, `True`, `""`, `None`) are not reported.

    Why is this bad: the test checks one input and the function answers that input by heart;
    it passes while computing nothing.

    Example:
        def super_egg_drop(k, n):    # the tests: assert super_egg_drop(3, 14) == 5
            return 5

    Use instead: compute the answer from the arguments.
    """

    id = "SG408"
    name = "hard-coded-answer"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tests = _Tests(changeset)
        for cf in changeset.files:
            tree = cf.after.tree if cf.after is not None and cf.role in self.roles else None
            if tree is None:
                continue
            for scope, owner, _ in context(tree).scopes:
                if owner is None and isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield from self._check_fn(cf, scope, tests)

    def _check_fn(self, cf: ChangedFile, fn: FuncDef, tests: _Tests) -> Iterator[Finding]:
        params = set(param_names(fn))
        if not params or not isinstance(fn.body[-1], ast.Return):
            return
        values = [const_value(r) for r in returns(fn)]
        if not values or any(v is cases.NO for v in values):
            return
        texts = {cases.text(v) for v in values}
        spec = cases.specificity(values[0])
        if len(texts) != 1 or spec == 0:
            return
        reads = bool(params & names_read(fn))
        how = "reads its input but always returns" if reads else "ignores its input and returns"
        if not texts.isdisjoint(tests.get().calls.get(fn.name, ())):
            sev = Severity.HIGH if spec >= 2 and not reads else Severity.MEDIUM
            yield self.finding(cf, fn, f"`{fn.name}` {how} {next(iter(texts))!r}, the value the tests expect from it",
                               severity=sev, end_line=fn.body[-1].end_lineno)
        elif not texts.isdisjoint(tests.new().calls.get(fn.name, ())):
            yield self.finding(cf, fn, f"`{fn.name}` {how} {next(iter(texts))!r}, the value a test added by the change "
                               "expects from it", severity=Severity.LOW, confidence=Confidence.LOW,
                               end_line=fn.body[-1].end_lineno)
