"""SG402 special-cased-inputs: Branches or tables keyed on the tests' inputs that return the tests' expected outputs."""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from typing import Callable, Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context, children, context
from specgap.analysis.flow import input_names, is_input_source, mentions
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _NON_TEST, _code_scopes, _keeps_test, _Tests

_PROPERTY_CALLS = frozenset({"len", "type", "id", "hash", "isinstance", "callable"})


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
        outs = _outputs(case.body)
        if outs:
            yield _Branch(p, keys, outs, case.body[-1].end_lineno or p.lineno, subject)


def _has_literal_eq(test: ast.AST) -> bool:
    """Whether a condition compares something with a literal for equality (a cheap pre-check)."""
    t = type(test)  # exact types: asked of every `if` of a file
    if t is ast.Compare:
        parts: list[ast.expr] = [test]  # type: ignore[list-item]
    elif t is ast.BoolOp and type(test.op) is ast.And:  # type: ignore[attr-defined]
        parts = test.values  # type: ignore[attr-defined]
    else:
        return False
    no, value = cases.NO, cases.value
    for p in parts:
        if (type(p) is ast.Compare and len(p.ops) == 1 and type(p.ops[0]) is ast.Eq  # type: ignore[attr-defined]
                and (value(p.left) is not no or value(p.comparators[0]) is not no)):  # type: ignore[attr-defined]
            return True
    return False


def _table_of(node: ast.AST, tables: dict[str, ast.Dict]) -> ast.Dict | None:
    """The literal dict a lookup reads: `{...}[k]`, `TABLE[k]`, `TABLE.get(k)`."""
    t = type(node)  # exact types: asked of every subscript of a file with a table
    if t is ast.Subscript:
        table = node.value  # type: ignore[attr-defined]
    elif t is ast.Call and type(f := node.func) is ast.Attribute and f.attr == "get" and node.args:  # type: ignore[attr-defined]
        table = f.value
    else:
        return None
    if type(table) is ast.Name:
        table = tables.get(table.id)
    return table if type(table) is ast.Dict and table.keys else None


def _branch_outputs(n: ast.If | ast.IfExp) -> list[object] | None:
    if type(n) is ast.IfExp:
        v = cases.value(n.body)  # type: ignore[union-attr]
        return None if v is cases.NO else [v]
    return _outputs(n.body)  # type: ignore[arg-type]


_NOT_WALKED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})


def _outputs(body: list[ast.stmt]) -> list[object] | None:
    """Literal values a branch returns, prints or collects; None if it also outputs something
    computed. Every caller wants only branches whose outputs are all constants, so the walk stops
    at the first computed one: what is left could not make such a branch of it."""
    consts: list[object] = []
    stack: list[ast.AST] = list(body)
    pop, push = stack.pop, stack.extend
    ret, call, name, attribute = ast.Return, ast.Call, ast.Name, ast.Attribute
    while stack:
        n = pop()
        t = type(n)  # exact types: a branch's every node passes here
        if t is ret:
            if n.value is None:  # type: ignore[attr-defined]
                continue
            out = n.value  # type: ignore[attr-defined]
        elif t is call and n.args:  # type: ignore[attr-defined]
            f = n.func  # type: ignore[attr-defined]
            ft = type(f)
            # `print(...)`, `sys.stdout.write(...)`, `results.append(26)`
            if not (ft is name and f.id == "print" or ft is attribute and (
                    f.attr == "append" or f.attr == "write" and dotted(f) == "sys.stdout.write")):
                push(children(n))
                continue
            args = n.args  # type: ignore[attr-defined]
            out = args[0] if len(args) == 1 else ast.Tuple(elts=args, ctx=ast.Load())
        elif t in _NOT_WALKED:
            continue
        else:
            push(children(n))
            continue
        v = cases.value(out)
        if v is cases.NO:
            return None
        consts.append(v)
    return consts


def _answers(n: ast.AST) -> bool:
    """Whether a branch outputs constants, and nothing computed."""
    return bool(_branch_outputs(n))  # type: ignore[arg-type]


_GET = frozenset({"get"})


def _candidate_scopes(ctx: Context, answers: Callable[[ast.AST], bool]) -> set[int]:
    """The scopes (by id) that own anything `_check_tree` looks at: a `match`, a branch on a literal
    that outputs constants, or a lookup in a literal dict. Found from the file's index, so scopes
    without any (all of them in three product files in four) skip the walk through their nodes."""
    found: list[ast.AST] = list(ctx.of(ast.Match))
    found += [n for n in ctx.of(ast.If, ast.IfExp) if _has_literal_eq(n.test) and answers(n)]  # type: ignore[attr-defined]
    if ctx.of(ast.Dict):
        # every name bound to a non-empty dict anywhere: a superset of what each scope's tables hold
        # (found from the dicts, fewer than the assignments; which dict a name keeps does not matter)
        parent = ctx.parent
        keyed = {t.id: d for d in ctx.of(ast.Dict) if d.keys and type(a := parent.get(d)) is ast.Assign  # type: ignore[attr-defined]
                 and a.value is d for t in a.targets if type(t) is ast.Name}  # type: ignore[attr-defined]
        found += [n for n in ctx.of(ast.Subscript) + ctx.calls_named(_GET) if _table_of(n, keyed) is not None]
    return {id(ctx.scope_of(n)) for n in found}


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

    def in_tests(self, idx: cases.LazyCases) -> bool:
        """Whether the keys are a test's arguments, or appear together in a test's input (in
        any order, for up to three of them: `k == 2 and n == 5` reads the line "5 2")."""
        if idx.has_args(self.keys):
            return True
        if len(self.keys) <= 3:
            return any(idx.has_value(p[0] if len(p) == 1 else p) for p in itertools.permutations(self.keys))
        return idx.has_value(self.key)


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
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def keeps(self, cf: ChangedFile) -> bool:
        if cf.role is FileRole.TEST:
            return _keeps_test(cf)
        tree = cf.after.tree if cf.role in self.roles and cf.after is not None else None
        if tree is None:
            return False
        found = cf.after.notes[self.id] = bool(_candidate_scopes(context(tree), _answers))  # type: ignore[union-attr]
        return found

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tests = _Tests.of(changeset)
        for cf in changeset.files:
            # (a file noted without candidates while its tree was at hand has nothing to look at)
            if cf.role in self.roles and cf.after is not None and cf.after.notes.get(self.id, True) \
                    and cf.after.tree is not None:
                yield from self._check_tree(cf, cf.after.tree, tests)

    def _check_tree(self, cf: ChangedFile, tree: ast.Module, tests: _Tests) -> Iterator[Finding]:
        outputs: dict[int, list[object] | None] = {}  # each branch's outputs, walked once

        def branch_outputs(n: ast.AST) -> list[object] | None:
            found = outputs.get(id(n), outputs)
            if found is outputs:
                found = outputs[id(n)] = _branch_outputs(n)  # type: ignore[arg-type]
            return found  # type: ignore[return-value]

        def answers(n: ast.AST) -> bool:  # outputs constants, and nothing computed
            return bool(branch_outputs(n))

        candidates = _candidate_scopes(context(tree), answers)
        if not candidates:
            return
        tables = {
            t.id: s.value for s in tree.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Dict)
            for t in s.targets if isinstance(t, ast.Name)
        }
        for scope, owner, nodes in _code_scopes(tree):
            if id(scope) not in candidates:
                continue
            # cheap shape checks first: most scopes have no literal equality and no table lookup,
            # and need no data flow at all
            # one pass sorts the scope's nodes by what the checks below need
            answered: set[int] = set()
            branching: list[ast.AST] = []
            matches: list[ast.AST] = []
            reads: list[ast.AST] = []
            local_tables = dict(tables)
            for n in nodes:
                t = type(n)
                if t is ast.Return:
                    answered.add(id(n.value))
                elif t is ast.If or t is ast.IfExp:
                    branching.append(n)
                elif t is ast.Match:
                    matches.append(n)
                elif t is ast.Subscript or t is ast.Call:
                    reads.append(n)
                elif t is ast.Assign and isinstance(n.value, ast.Dict):
                    local_tables.update((x.id, n.value) for x in n.targets if isinstance(x, ast.Name))
            conds = [n for n in branching if (type(n) is ast.If or id(n) in answered) and _has_literal_eq(n.test)]
            lookups = [n for n in reads if _table_of(n, local_tables) is not None]
            if not lookups and not matches and not any(answers(n) for n in conds):
                continue  # only a branch that outputs constants alone is reported: no data flow needed
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
                outs = branch_outputs(n)
                if outs:
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
            # keyed on words (and values as common as 0 and ""): dispatch or a keyword escape; a
            # word beside specific numbers (`(37, 902, "xq")`) is one more argument of a test case
            keyword = any(cases.is_word(k) for k in br.keys) and all(
                cases.is_word(k) or cases.specificity(k) == 0 for k in br.keys)
            table = per_subject[br.subject] >= 2 and untested.get(br.subject, 0) > 0
            shown = ", ".join(cases.text(k) or repr(k) for k in br.keys)
            if not (keyword and table) and idx.expects(br.keys, outs_text):
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
                if (spec >= 2 or spec + out_spec >= 3) and idx.is_expected(outs_text):
                    yield self.finding(cf, br.node, f"branch on a test input ({shown}) outputs an expected value of the tests",
                                       severity=Severity.HIGH, confidence=Confidence.MEDIUM, end_line=br.end)
                    continue
                if spec >= 3:
                    yield self.finding(cf, br.node, f"branch on a test input ({shown}) outputs a constant",
                                       severity=Severity.MEDIUM, confidence=Confidence.MEDIUM, end_line=br.end)
                    continue
            if spec >= 2 and not keyword and (len(br.keys) > 1 or cases.specificity(br.key) >= 3):
                vague.append(br)
            elif spec + out_spec >= 3 and tests.new().expects(br.keys, outs_text):
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
            hits = [(k, v) for k, v in specific if idx.expects(k if isinstance(k, tuple) else [k], {cases.text(v)})]
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
