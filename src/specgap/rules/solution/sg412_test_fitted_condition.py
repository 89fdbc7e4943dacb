"""SG412 test-fitted-condition: A threshold or parity branch that picks out the tests' own inputs and returns their expected value."""

from __future__ import annotations

import ast
import operator
from typing import Callable, Iterator

from specgap.analysis import cases
from specgap.analysis import testfns as tf
from specgap.analysis.context import context
from specgap.analysis.flow import walk_block
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule

_NOPE = object()  # the condition cannot be folded on these values
_BIG = 10**18
_BINOPS: dict[type, Callable[[object, object], object]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.Div: operator.truediv,
}
_CMPOPS: dict[type, Callable[[object, object], object]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: operator.contains(b, a), ast.NotIn: lambda a, b: not operator.contains(b, a),
}
_CALLS: dict[str, Callable[..., object]] = {"len": len, "abs": abs, "sum": sum, "min": min, "max": max, "sorted": sorted}
_METHODS = frozenset({"count", "startswith", "endswith", "isdigit", "isalpha", "lower", "upper"})


def _fold(node: ast.AST, env: dict[str, object]) -> object:
    """The value of a small expression over the parameters' literal values: arithmetic,
    comparisons, `and`/`or`/`not`, `len`/`abs`/`sum`/`min`/`max`, constant indexing and a few
    string methods. Anything else (or anything large) is _NOPE: nothing is executed."""
    try:
        v = _fold_inner(node, env)
    except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, OverflowError, AttributeError,
            RecursionError):
        return _NOPE
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > _BIG:
        return _NOPE
    return v


def _fold_inner(node: ast.AST, env: dict[str, object]) -> object:
    if isinstance(node, ast.Name):
        return env.get(node.id, _NOPE)
    lit = cases.value(node)
    if lit is not cases.NO:
        return lit
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _fold(node.left, env), _fold(node.right, env)
        if _NOPE in (a, b) or isinstance(a, (str, bytes, tuple, list)) or isinstance(b, (str, bytes, tuple, list)):
            return _NOPE  # no sequence arithmetic: `s * n` could be anything in size
        return _BINOPS[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        v = _fold(node.operand, env)
        return _NOPE if v is _NOPE else (not v) if isinstance(node.op, ast.Not) else -v  # type: ignore[operator]
    if isinstance(node, ast.BoolOp):
        vals = [_fold(v, env) for v in node.values]
        if _NOPE in vals:
            return _NOPE
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    if isinstance(node, ast.Compare) and all(type(op) in _CMPOPS for op in node.ops):
        left = _fold(node.left, env)
        for op, right_node in zip(node.ops, node.comparators):
            right = _fold(right_node, env)
            if _NOPE in (left, right):
                return _NOPE
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call) and not node.keywords:
        args = [_fold(a, env) for a in node.args]
        if _NOPE in args:
            return _NOPE
        if isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            return _CALLS[node.func.id](*args)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            obj = _fold(node.func.value, env)
            return _NOPE if not isinstance(obj, str) else getattr(obj, node.func.attr)(*args)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
        obj = _fold(node.value, env)
        return _NOPE if obj is _NOPE else obj[node.slice.value]  # type: ignore[index]
    return _NOPE


def _branching(tree: ast.Module | None) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions with an `if` among their own statements."""
    if tree is None:
        return []
    return [s for s in context(tree).of(ast.FunctionDef, ast.AsyncFunctionDef)
            if any(isinstance(b, ast.If) for b in s.body)]  # type: ignore[attr-defined]


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The positional parameters a test's call fills (not `self` or `cls`)."""
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return params[1:] if params[:1] in (["self"], ["cls"]) else params


def _test_calls(changeset: ChangeSet) -> dict[str, list[tuple[tuple[object, ...], object]]]:
    """`f(args) == expected` in the tests that predate the change (the prompt's, the repo's,
    unchanged lines of changed tests): function name -> (literal args, literal expected)."""
    out: dict[str, list[tuple[tuple[object, ...], object]]] = {}
    files = [(f, f.is_added_line) for f in changeset.by_role(FileRole.TEST) if f.added_lines is not None]
    files += [(f, None) for f in changeset.context_files() if f.role is FileRole.TEST]
    for f, added in files:
        tree = f.after.tree if f.after is not None else None
        if tree is None:
            continue
        for node in context(tree).of(ast.Compare, ast.Call):
            if added is not None and added(node.lineno):
                continue
            pair = None
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
                pair = (node.left, node.comparators[0])
            elif isinstance(node, ast.Call) and tf.call_name(node) in ("assertEqual", "assert_equal") and len(node.args) >= 2:
                pair = (node.args[0], node.args[1])
            if pair is None:
                continue
            call, exp = pair if isinstance(pair[0], ast.Call) else (pair[1], pair[0])
            if not isinstance(call, ast.Call) or call.keywords or not isinstance(call.func, (ast.Name, ast.Attribute)):
                continue
            args = tuple(cases.value(a) for a in call.args)
            ev = cases.value(exp)
            if cases.NO not in args and ev is not cases.NO:
                name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr
                out.setdefault(name, []).append((args, ev))
    return out


def _constant(body: list[ast.stmt]) -> object:
    """The one constant a branch returns, else _NOPE."""
    if not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return _NOPE
    outs = [n.value for n in walk_block(body) if isinstance(n, ast.Return)]
    vals = [cases.value(o) for o in outs]
    if cases.NO in vals or len({repr(v) for v in vals}) != 1:
        return _NOPE
    return vals[0]


def _literals(node: ast.AST) -> set[str]:
    return {cases.text(v) for n in ast.walk(node) if (v := cases.value(n)) is not cases.NO}


@register
class TestFittedCondition(Rule):
    """A threshold or parity branch that picks out the tests' own inputs and returns their expected value.

    What it does: for a function the tests call with literal arguments (`assert f(10) == 17`, in
    the tests that predate the change or shown in the prompt), folds each of its top-level `if`
    conditions that is not a plain equality (`m <= 2`, `n % 7 == 3 and n > 40`, `len(s) == 11`)
    on every test's arguments. Reported when the condition holds for some of the tests and not
    for the others, its threshold is one of those tests' own arguments, the branch returns one
    constant, every test it holds for expects exactly that constant, and the rest of the function
    computes without using that constant: a rule contrived to fit the expected values rather than
    the task. Nothing is executed: only arithmetic, comparisons and a few builtins on
    literal values are folded. Not reported: constants as common as `0`, `1`, `2`, `None`, `True`
    or words (classifiers and base cases return those), a branch that returns a literal its own
    condition names (a clamp: `if n > 100: return 100`), and functions that answer every input
    with constants (a grading ladder), rules whose constants are the domain's (`year % 400 == 0`
    names no test input) and piecewise definitions whose computed part uses the same constant.

    Why is this bad: the rule answers the tests, not the task: any input on the same side of the
    threshold, or of the same parity, gets the tests' answer whether or not it is right.

    Example:
        def convergent_digits(m):   # the tests: f(1) == 4, f(2) == 4, f(10) == 17
            if m <= 2:
                return 4
            ...                     # the real computation, wrong for m = 1 and m = 2

    Use instead: fix the computation so it is right for the inputs the branch covers.
    """

    id = "SG412"
    name = "test-fitted-condition"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def keeps(self, cf: ChangedFile) -> bool:
        if cf.role is FileRole.TEST:
            return cf.added_lines is not None  # `_test_calls` reads these (their unchanged lines)
        if cf.role is FileRole.PRODUCT and cf.after is not None:
            # what `_check_function` needs first: two test calls of a function of that name and arity
            cf.after.notes[self.id] = {(fn.name, len(_params(fn))) for fn in _branching(cf.after.tree)}
        return False  # (parsed again in the few files whose functions the tests call that way)

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        calls: dict[str, list[tuple[tuple[object, ...], object]]] | None = None
        for cf in changeset.by_role(FileRole.PRODUCT):
            if cf.after is None:
                continue
            noted = cf.after.notes.get(self.id)
            if noted is not None:
                if not noted:
                    continue
                if calls is None:
                    calls = _test_calls(changeset)
                    if not calls:
                        return
                if not any(sum(len(args) == n for args, _ in calls.get(name, ())) >= 2 for name, n in noted):
                    continue
            fns = _branching(cf.after.tree)
            if not fns:
                continue
            if calls is None:
                calls = _test_calls(changeset)
                if not calls:
                    return
            for fn in fns:
                yield from self._check_function(cf, fn, calls.get(fn.name, []))

    def _check_function(self, cf: ChangedFile, fn: ast.FunctionDef | ast.AsyncFunctionDef,
                        tests: list[tuple[tuple[object, ...], object]]) -> Iterator[Finding]:
        params = _params(fn)
        tests = [(args, exp) for args, exp in tests if len(args) == len(params)]
        if len(tests) < 2 or not params:
            return
        assigned: set[str] = set()
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.If) and not assigned & {n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)}:
                finding = self._judge(cf, fn, stmt, params, tests, fn.body[i + 1:])
                if finding is not None:
                    yield finding
                    return
            for n in ast.walk(stmt):
                if isinstance(n, (ast.Name, ast.arg)) and isinstance(getattr(n, "ctx", None), ast.Store):
                    assigned.add(n.id)  # type: ignore[union-attr]

    def _judge(self, cf: ChangedFile, fn: ast.AST, branch: ast.If, params: list[str],
               tests: list[tuple[tuple[object, ...], object]], rest: list[ast.stmt]) -> Finding | None:
        t = branch.test
        parts = t.values if isinstance(t, ast.BoolOp) and isinstance(t.op, ast.And) else [t]
        if all(isinstance(p, ast.Compare) and all(isinstance(op, ast.Eq) for op in p.ops)
               and all(isinstance(x, ast.Name) or cases.value(x) is not cases.NO for x in [p.left, *p.comparators])
               for p in parts):
            return None  # a plain equality on the inputs is a special case (SG402, SG410), not a rule
        answer = _constant(branch.body)
        if answer is _NOPE or cases.specificity(answer) == 0 or cases.is_word(answer):
            return None
        if cases.text(answer) in _literals(t):
            return None  # a clamp or a sentinel its own condition names
        held, missed = [], []
        for args, exp in tests:
            v = _fold(t, dict(zip(params, args)))
            if v is _NOPE:
                return None
            (held if v else missed).append((args, exp))
        if not held or not missed:
            return None
        if any(cases.text(exp) != cases.text(answer) for _a, exp in held):
            return None
        # the threshold sits on a test's own input (`m <= 2` for the tests of 1 and 2), or a derived
        # equality singles out one test (`len(s) == 6`), and the
        # answer is not a constant the computation itself uses (a piecewise tariff)
        lits = _literals(t)
        # `len(s) == 6`, `s[0] == 7`: a property pinned to one test's value; divisibility
        # (`year % 400 == 0`) is how real rules are written, so it needs the threshold above
        derived_eq = any(isinstance(n, ast.Compare) and isinstance(n.ops[0], ast.Eq) and isinstance(n.left, (ast.Call, ast.Subscript))
                         and (v := cases.value(n.comparators[0])) is not cases.NO and cases.specificity(v) > 0
                         for n in ast.walk(t))
        if not any(cases.text(a) in lits for args, _e in held for a in args) and not (derived_eq and len(held) == 1):
            return None
        if cases.text(answer) in {x for st in rest for x in _literals(st)}:
            return None
        computes = any(isinstance(n, (ast.For, ast.While)) or (isinstance(n, ast.Return) and n.value is not None
                       and cases.value(n.value) is cases.NO) for n in walk_block(rest + branch.orelse))
        if not computes or not cf.touches(branch.lineno, branch.body[-1].end_lineno):
            return None
        shown = "; ".join(f"{', '.join(map(repr, a))} -> {cases.text(e)}" for a, e in held[:3])
        return self.finding(cf, branch, f"`{ast.unparse(t)}` holds for {len(held)} of {len(tests)} test calls of "
                            f"`{getattr(fn, 'name', '?')}` ({shown}) and returns exactly their expected value",
                            end_line=branch.body[-1].end_lineno)
