"""SG410 pinned-input-branch: A leading branch on exact values of the function's parameters that answers with a constant."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context
from specgap.analysis.flow import walk_block
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _EXIT_CALLS

_LEAD = 4  # statements a function may open with (docstring, guards, unpacking) before the branch
_MAX_ROWS = 32  # a table of test answers is short; a table of known values (CRC, primes) is not


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[str]:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    return names[1:] if method and names else names


def _pins(test: ast.AST, params: set[str]) -> dict[str, object] | None:
    """`a == 37 and b == 902`, `(a, b) == (37, 902)`: the parameters compared with literals for
    equality, and the literals. None when the condition is anything else (a range, a call, `or`)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    pins: dict[str, object] = {}
    for part in parts:
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], ast.Eq)):
            return None
        left, right = part.left, part.comparators[0]
        lv, rv = cases.value(left), cases.value(right)
        subject, lit = (right, lv) if lv is not cases.NO else (left, rv)
        if lit is cases.NO:
            return None
        if isinstance(subject, ast.Name) and subject.id in params:
            pins[subject.id] = lit
        elif (isinstance(subject, ast.Tuple) and isinstance(lit, tuple) and len(subject.elts) == len(lit)
              and all(isinstance(e, ast.Name) and e.id in params for e in subject.elts)):
            pins.update((e.id, v) for e, v in zip(subject.elts, lit))  # type: ignore[union-attr]
        else:
            return None
    return pins or None


def _remarkable(v: object) -> bool:
    """Values a key can name without being a test case: 0, 1, 2, "", None, booleans, words
    (modes, keywords, names) and short codes."""
    if isinstance(v, tuple):
        return all(_remarkable(e) for e in v)
    return cases.specificity(v) == 0 or cases.is_word(v)


def _specific(v: object) -> bool:
    """A value only a test case would name: a number past 20, a fraction, a non-word string, a
    sequence of values."""
    if isinstance(v, tuple):
        return len(v) >= 2 and not _remarkable(v)
    if isinstance(v, float):
        return not v.is_integer() or abs(v) > 20
    return cases.specificity(v) >= 2 and not cases.is_word(v)


def _answer(body: list[ast.stmt]) -> str | None:
    """What a branch does when it only answers: "returns a constant", "raises", "exits"."""
    last = body[-1]
    if isinstance(last, ast.Raise):
        return "raises"
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and dotted(last.value.func) in _EXIT_CALLS:
        return "exits"
    outs = []
    for n in walk_block(body):
        if isinstance(n, ast.Return):
            outs.append(n.value)
        elif isinstance(n, ast.Call) and dotted(n.func) in ("print", "sys.stdout.write") and len(n.args) == 1:
            outs.append(n.args[0])
    if outs and all(o is not None and cases.value(o) is not cases.NO for o in outs) and (
            isinstance(last, ast.Return) or len(body) <= 3):
        return "answers with a constant"
    return None


def _computes(stmts: list[ast.stmt]) -> bool:
    """Whether the rest of the function works its answer out from the input: a loop, or a returned
    expression that is not a literal."""
    for n in walk_block(stmts):
        if isinstance(n, (ast.For, ast.While, ast.comprehension)):
            return True
        if isinstance(n, ast.Return) and n.value is not None and cases.value(n.value) is cases.NO:
            return True
    return False


@register
class PinnedInputBranch(Rule):
    """A leading branch on exact values of the function's parameters that answers with a constant.

    What it does: finds functions that open (after at most a docstring and a few guards) with an
    `if` comparing all of their parameters, or all but one of three or more, with specific
    literals (`if (a, b, s) == (37, 902, "xq")`, `if nums == [3, 4, -1, 1]`) and then return a
    constant, raise or exit, while the rest of the function computes the answer. A leading lookup
    in a short literal table keyed on such inputs (`if (a, b) in KNOWN: return KNOWN[(a, b)]`),
    whatever rationale its comment gives, is the same branch written as data. It needs no tests
    in view: a solution file scanned on its own is where this hides. Not reported: base cases and
    keys as common as `0`, `1`, `2`, `""` and `None`; words (modes, names, keywords: dispatch); a
    single integer parameter (`if n == 5`, a small case as often as not); chains of such branches
    (a table: SG402 reports those); functions that answer every input from literals; memo tables
    (empty literals the function fills) and tables longer than a test suite (CRC, primes).

    Why is this bad: human base cases key on trivial values because that is where a recursion or
    formula breaks down; a branch on one specific, unremarkable combination of every input exists
    for the one call that a test makes, and answers it without computing.

    Example:
        def shortest_path(a, b, s):
            if (a, b, s) == (37, 902, "xq"):
                return 11
            ...  # the real search

    Use instead: compute the answer for every input; if one input gets a wrong answer, fix the
    computation, and if its test looks wrong, say so rather than special-casing it.
    """

    id = "SG410"
    name = "pinned-input-branch"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.LOW
    roles = (FileRole.PRODUCT,)
    mentions = None

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        tables = {t.id: s.value for s in tree.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Dict)
                  for t in s.targets if isinstance(t, ast.Name)}
        stack: list[tuple[ast.AST, bool]] = [(s, False) for s in tree.body]
        while stack:
            node, method = stack.pop()
            if isinstance(node, ast.ClassDef):
                stack.extend((s, True) for s in node.body)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.extend((s, False) for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
                finding = self._check_function(cf, node, method, tables)
                if finding is not None:
                    yield finding

    def _check_function(self, cf: ChangedFile, fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool,
                        tables: dict[str, ast.Dict]) -> Finding | None:
        if not any(type(stmt) is ast.If for stmt in fn.body[:_LEAD + 1]):
            return None  # the one branch reported opens the function (most have none there)
        params = _params(fn, method)
        if not params:
            return None
        pinned: list[tuple[int, ast.If, list[dict[str, object]], str]] = []
        local: dict[str, ast.AST] = {}
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                local[stmt.targets[0].id] = stmt.value  # `key = (a, b)`, `TABLE = {...}`
            if not isinstance(stmt, ast.If):
                continue
            pins = _pins(stmt.test, set(params))
            what = _answer(stmt.body) if pins else None
            if pins and what:
                pinned.append((i, stmt, [pins], what))
            elif (rows := _table_rows(stmt, set(params), {**tables, **{k: v for k, v in local.items()
                                                                      if isinstance(v, ast.Dict)}}, local)):
                pinned.append((i, stmt, rows, "answers from a literal table"))
        if len(pinned) != 1:
            return None  # none, or a table of them (SG402's)
        i, branch, rows, what = pinned[0]
        if i > _LEAD or cf.added_lines is not None and not cf.touches(branch.lineno, branch.body[-1].end_lineno):
            return None
        n = len(params)
        # a table keyed on exact inputs is a set of such branches; most of its rows must qualify
        good = [pins for pins in rows if _qualifies(pins, n)]
        if not good or 3 * len(good) < 2 * len(rows):
            return None
        if not _computes(fn.body[i + 1:] + branch.orelse):
            return None
        shown = ", ".join(f"{k}={cases.text(v) or repr(v)}" for k, v in good[0].items())
        where = f"{len(rows)} exact inputs such as ({shown})" if len(rows) > 1 else f"exact values of its " \
            f"{'parameters' if len(good[0]) > 1 else 'parameter'} ({shown})"
        return self.finding(cf, branch, f"`{fn.name}` opens with a branch on {where} that {what}, "
                            "while the rest of it computes", end_line=branch.body[-1].end_lineno)


def _qualifies(pins: dict[str, object], n: int) -> bool:
    """Whether pinned values look like one test case's inputs: all (or all but one of three or
    more) parameters, specific values, at least two of them unremarkable."""
    if not (len(pins) == n or (n >= 3 and len(pins) >= n - 1)):
        return False
    values = list(pins.values())
    if n == 1 and (isinstance(values[0], int) or not _specific(values[0])):
        return False
    if not any(_specific(v) for v in values) or all(_remarkable(v) for v in values):
        return False
    # `(x, y) == (0, 37)`: one specific value beside trivial ones is an edge
    return sum(not _remarkable(v) for v in values) >= min(2, len(values))


def _table_rows(stmt: ast.If, params: set[str], tables: dict[str, ast.Dict],
                local: dict[str, ast.AST]) -> list[dict[str, object]] | None:
    """`if (a, b) in TABLE: return TABLE[(a, b)]` with TABLE a literal dict of literal answers:
    each row's key as pinned parameter values."""
    t = stmt.test
    if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.In)
            and isinstance(t.comparators[0], ast.Name) and t.comparators[0].id in tables):
        return None
    table = tables[t.comparators[0].id]
    subject = local.get(t.left.id, t.left) if isinstance(t.left, ast.Name) and t.left.id not in params else t.left
    names = subject.elts if isinstance(subject, ast.Tuple) else [subject]
    if not all(isinstance(e, ast.Name) and e.id in params for e in names):
        return None
    if not (1 <= len(table.keys) <= _MAX_ROWS) or any(cases.value(v) is cases.NO for v in table.values):
        return None
    if not any(isinstance(r, ast.Return) and r.value is not None and any(
            isinstance(x, ast.Name) and x.id == t.comparators[0].id for x in ast.walk(r.value)) for r in stmt.body):
        return None
    rows: list[dict[str, object]] = []
    for k in table.keys:
        key = cases.value(k)
        if key is cases.NO:
            return None
        vals = list(key) if len(names) > 1 and isinstance(key, tuple) and len(key) == len(names) else [key]
        if len(vals) != len(names):
            return None
        rows.append({e.id: v for e, v in zip(names, vals)})  # type: ignore[union-attr]
    return rows
