"""Disguise the trusted tests and plant canaries and sentinels among them.

Every collected test function gets a fresh random name for this run, so code that forges only the
outcomes of tests it knows by name cannot tell them from the canaries. Canaries are copies of
real tests, same module, same fixtures and call, whose expected value is replaced by a wrong
value of the same type: they must fail. Sentinels compare the result against a fresh `object()`
and check for builtin subclasses that override equality: they must fail too. A canary that passes
or a sentinel that holds means the run's outcome was decided by something other than the code.

The parent keeps the plan (which random names are real tests, canaries or sentinels); the child
only ever sees the rewritten files.
"""

from __future__ import annotations

import ast
import copy
import io
import random
import re
import secrets
import tokenize
from dataclasses import dataclass, field

CANARY = "canary"
SENTINEL = "sentinel"
_PARAMS = re.compile(r"\[.*\]$", re.S)


def function_id(nodeid: str) -> str:
    """A node id without its parameters (`t.py::test_f[1-2]` -> `t.py::test_f`)."""
    i = nodeid.find("[")
    if i < 0:
        return nodeid
    return nodeid[:i] if nodeid.endswith("]") else _PARAMS.sub("", nodeid)


@dataclass
class Plan:
    names: dict[str, str] = field(default_factory=dict)          # original test name -> random name
    originals: dict[str, str] = field(default_factory=dict)      # random name -> original
    injected: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # random -> (kind, original, path)
    expected: set[str] = field(default_factory=set)              # static ids: path::[Class::]name (original)
    errors: dict[str, str] = field(default_factory=dict)         # path -> why it could not be read

    def display(self, nodeid: str) -> str:
        """A child node id with the disguised names put back."""
        return re.sub(r"\b(test_[0-9a-f]{16})\b", lambda m: self.originals.get(m.group(1), m.group(1)), nodeid)

    def injected_kind(self, nodeid: str) -> tuple[str, str, str] | None:
        name = function_id(nodeid).rsplit("::", 1)[-1]
        return self.injected.get(name)


_SELF_AWARE = frozenset({"request", "_testMethodName", "__name__", "__qualname__", "_getframe", "currentframe", "stack",
                         "getframeinfo", "f_code", "co_name", "id"})


def _all_test_defs(tree: ast.Module):
    yield from _test_defs(tree.body)
    for c in tree.body:
        if isinstance(c, ast.ClassDef):
            yield from _test_defs(c.body)


def _sees_own_name(fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True
        if isinstance(node, ast.Name) and node.id in _SELF_AWARE - {"id"}:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _SELF_AWARE and (
                node.attr != "id" or isinstance(node.value, ast.Name) and node.value.id == "self"):
            return True
    return any(a.arg == "request" for a in fn.args.args)


def _fresh_name(taken: set[str]) -> str:
    while True:
        n = "test_" + secrets.token_hex(8)
        if n not in taken:
            taken.add(n)
            return n


def _is_fixture(fn: ast.AST) -> bool:
    for d in getattr(fn, "decorator_list", []):
        target = d.func if isinstance(d, ast.Call) else d
        if (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "fixture"
        ):
            return True
    return False


def _test_defs(body: list[ast.stmt]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        s for s in body
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test") and not _is_fixture(s)
    ]


def _disabled(body: list[ast.stmt]) -> bool:
    """`__test__ = False` at this level."""
    for s in body:
        if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in s.targets):
            return isinstance(s.value, ast.Constant) and not s.value.value
    return False


def _is_test_class(c: ast.ClassDef) -> bool:
    if _disabled(c.body):
        return False
    if any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in c.body):
        return False
    if c.name.startswith("Test"):
        return True
    return any((isinstance(b, ast.Name) and b.id.endswith("TestCase")) or (isinstance(b, ast.Attribute) and b.attr.endswith("TestCase")) for b in c.bases)


# Checker calls whose last argument is the expected value. Names with a negation or about raising
# are left out: a wrong expected value could make those pass for honest code.
_CHECKER = re.compile(r"(equal|close|same)|^(check|verify|expect|compare)", re.I)
# check/verify/expect/compare helpers count only as a statement of their own (they assert inside):
# a result that is itself asserted, as in `assert check_valid(f, 1)`, is a predicate's, and its
# last argument no expected value.
_HELPER = re.compile(r"^(check|verify|expect|compare)", re.I)
_NOT_CHECKER = re.compile(r"not|raise|warn|fail|true|false|instance|subclass|type|^assert(in|is|less|greater|regex)", re.I)
_SMALL = {ast.Lt: "lhs", ast.LtE: "lhs", ast.Gt: "rhs", ast.GtE: "rhs"}  # which side must be small for "close"


def _checker(f: ast.expr, bare: bool = True) -> bool:
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if not name or not _CHECKER.search(name) or _NOT_CHECKER.search(name):
        return False
    return bare or not _HELPER.search(name) or bool(re.search("equal|close|same", name, re.I))


def _abs_sub(node: ast.expr) -> ast.BinOp | None:
    if (isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.args[0], ast.BinOp)
            and isinstance(node.args[0].op, ast.Sub)
            and ((isinstance(node.func, ast.Name) and node.func.id == "abs")
                 or (isinstance(node.func, ast.Attribute) and node.func.attr == "fabs"))):
        return node.args[0]
    return None


class _Wrong(ast.NodeTransformer):
    """Rewrite the first check in a test into its canary or sentinel form.

    Checks understood: `assert a == b`; `self.assertEqual(a, b)` and other equality/closeness
    checker calls; `assert abs(a - b) < tol` and `assert not (abs(a - b) > tol)` (the NaN-proof
    way to write them matters: a NaN result makes the negated form hold).
    """

    def __init__(self, kind: str, side: str, wrong, sentinel: str):
        self.kind, self.side, self.wrong, self.sentinel = kind, side, wrong, sentinel
        self.done = False
        self.bare: ast.AST | None = None  # the call that is a statement of its own, if any

    def _call(self, name: str, *args: ast.expr) -> ast.Call:
        return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])

    def _pair(self, a: ast.expr, b: ast.expr) -> tuple[ast.expr, ast.expr]:
        return (a, self.wrong(b)) if self.side == "right" else (self.wrong(a), b)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        if self.done:
            return node
        t = node.test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq):
            self.done = True
            a, b = t.left, t.comparators[0]
            if self.kind == SENTINEL:
                return ast.Assert(test=self._call(self.sentinel, a, b), msg=None)
            a, b = self._pair(a, b)
            return ast.Assert(test=ast.Compare(left=a, ops=[ast.Eq()], comparators=[b]), msg=None)
        sub = self._closeness(t)
        if sub is not None and self.kind == SENTINEL:
            self.done = True
            flag = ast.keyword("numeric", ast.Constant(True))
            return ast.Assert(test=ast.Call(ast.Name(self.sentinel, ast.Load()), [sub.left, sub.right], [flag]), msg=None)
        if sub is not None and self.kind == CANARY:
            self.done = True
            sub.left, sub.right = self._pair(sub.left, sub.right)
            return ast.Assert(test=node.test, msg=None)
        return self.generic_visit(node)

    def _closeness(self, t: ast.expr) -> ast.BinOp | None:
        """The `a - b` of an assertion that `abs(a - b)` is small (directly or negated)."""
        negated = False
        while isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
            negated, t = not negated, t.operand
        if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and type(t.ops[0]) in _SMALL):
            return None
        side = _SMALL[type(t.ops[0])]
        if negated:
            side = "rhs" if side == "lhs" else "lhs"
        return _abs_sub(t.left if side == "lhs" else t.comparators[0])

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if self.done or len(node.args) < 2 or not _checker(node.func, node is self.bare):
            return self.generic_visit(node)
        self.done = True
        a, b = node.args[0], node.args[1]
        f = node.func
        if self.kind == SENTINEL:
            if isinstance(f, ast.Attribute) and f.attr.startswith("assert") and "Equal" in f.attr:
                return ast.Call(func=ast.Attribute(f.value, "assertTrue", ast.Load()), args=[self._call(self.sentinel, a, b)], keywords=[])
            return ast.Call(func=f, args=[a, self._call("object"), *node.args[2:]], keywords=node.keywords)
        a, b = self._pair(a, b)
        return ast.Call(func=f, args=[a, b, *node.args[2:]], keywords=node.keywords)

    # Nested scopes run at another time (or never): leave them alone.
    def visit_FunctionDef(self, node):  # noqa: N802
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def _local_nodes(node: ast.AST):
    """Nodes of `node` outside nested scopes."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            yield from _local_nodes(child)


def _rewrite(body: list[ast.stmt], tr: "_Wrong") -> list[ast.stmt] | None:
    """`body` with its first check rewritten, or None when there is no check that always runs.

    Only top-level statements count: a check inside `if`/`for`/`with`/`try`, or after a statement
    that may `return`, might not run, and a canary whose check does not run passes honestly.
    """
    new = list(body)
    for i, stmt in enumerate(body):
        if isinstance(stmt, (ast.Assert, ast.Expr)):
            tr.bare = stmt.value if isinstance(stmt, ast.Expr) else None
            new[i] = tr.visit(stmt)
            if tr.done:
                if i + 1 == len(new):
                    return new
                if any(isinstance(n, ast.Return) for rest in body[i + 1:] for n in _local_nodes(rest)):
                    return None  # a `return` in the finally clause would swallow the canary's failure
                # The canary fails at the check; what followed it (often cleanup of global state)
                # must still run, or the canary would break the real tests after it.
                return [ast.Try(body=new[: i + 1], handlers=[], orelse=[], finalbody=new[i + 1 :])]
        if any(isinstance(n, ast.Return) for n in _local_nodes(stmt)):
            return None
    return None


def _plain_decorators(fn: ast.AST) -> bool:
    """Only pytest marks: other decorators (hypothesis `given`, patches ...) change how the body runs."""
    return all("mark" in ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".") for d in fn.decorator_list)


def _has_check(fn: ast.AST) -> bool:
    return _plain_decorators(fn) and _rewrite(copy.deepcopy(fn.body), _Wrong(CANARY, "right", lambda n: n, "s")) is not None


# Methods that change the container they are called on.
_MUTATORS = frozenset({"pop", "popitem", "append", "appendleft", "extend", "insert", "remove", "clear", "update",
                       "setdefault", "add", "discard", "popleft"})


def _module_vars(tree: ast.Module) -> set[str]:
    """Names the module binds by assignment at its top level (its state; not imports or defs)."""
    targets = [t for st in tree.body for t in (st.targets if isinstance(st, ast.Assign) else
                                                [st.target] if isinstance(st, (ast.AnnAssign, ast.AugAssign)) else [])]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _changes_module_state(fn: ast.AST, module_vars: set[str]) -> bool:
    """Whether the test changes module-level state (`FOUND.pop(k)`, `CACHE[k] = v`, `global`): its
    canary copies would change what the original then sees, so it cannot be copied."""
    def of_module(node: ast.expr) -> bool:
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        return isinstance(node, ast.Name) and node.id in module_vars

    for n in ast.walk(fn):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATORS and of_module(n.func.value):
            return True
        targets = n.targets if isinstance(n, (ast.Assign, ast.Delete)) else [n.target] if isinstance(n, ast.AugAssign) else []
        if any(isinstance(t, (ast.Subscript, ast.Attribute)) and of_module(t) for t in targets):
            return True
    return False


def _callees(fn: ast.AST) -> set[str]:
    """Names the test body calls (decorators are not the code under test)."""
    return {
        n.func.id if isinstance(n.func, ast.Name) else n.func.attr
        for stmt in fn.body
        for n in ast.walk(stmt)
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute))
    }


def _choose(candidates: list, limit: int, rng: random.Random) -> list:
    """Up to `limit` tests, preferring ones that call functions no chosen test calls yet.

    A forger or an AlwaysEqual result on any one function under test should meet a canary.
    """
    rng.shuffle(candidates)
    chosen, covered = [], set()
    # Fewer arguments first among equals: parametrized fixtures multiply every copy's runs.
    for c in sorted(candidates, key=lambda c: (-len(_callees(c[0])), len(c[0].args.args))):
        new = _callees(c[0]) - covered
        if new and len(chosen) < limit:
            chosen.append(c)
            covered |= new
    rest = [c for c in candidates if c not in chosen]
    return chosen + rest[: max(0, limit - len(chosen))]


def _offset(rng: random.Random) -> int:
    """A small, ordinary-looking nonzero offset: a canary must not stand out by its values."""
    return rng.choice((-1, 1)) * rng.randrange(3, 98)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("etaoinshrdlu") for _ in range(rng.randrange(1, 4)))


def _wrong_literal(v, rng: random.Random):
    """A different value of the same type, as a literal; None when `v` has no such literal."""
    off = _offset(rng)
    t = type(v)
    if t is int:
        return v + off
    if t is float:
        if v != v or abs(v) == float("inf"):
            return None
        w = v + off
        return w if w != v else v * 2 + 1.0  # huge floats absorb small offsets
    if t is str:
        return v + _word(rng)
    if t is bytes:
        return v + _word(rng).encode()
    if t in (list, tuple):
        return v + t([v[-1] if v else off])
    if t in (set, frozenset):
        extra = off
        while extra in v:
            extra += 101
        return v | {extra}
    if t is dict:
        key = _word(rng)
        while key in v:
            key += _word(rng)
        return {**v, key: off}
    return None


def _wrongifier(helper: str, rng: random.Random):
    """Replace an expected-value node by a wrong literal (same type) or a call to the module's helper."""

    def wrong(node: ast.expr) -> ast.expr:
        try:
            value = _wrong_literal(ast.literal_eval(node), rng)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
        if value is None:
            return ast.Call(func=ast.Name(helper, ast.Load()), args=[node], keywords=[])
        return ast.parse(repr(value), mode="eval").body

    return wrong


def _helpers(wrong: str, sentinel: str, rng: random.Random) -> str:
    offset = _offset(rng)
    suffix = _word(rng)
    return f'''

def {wrong}(v):
    t = type(v)
    if t is int:
        return v + {offset}
    if t is float:
        w = v + {offset} if v == v else 0.5
        return w if w != v else v * 2 + 1.0
    if t is str:
        return v + {suffix!r}
    if t is bytes:
        return v + {suffix.encode()!r}
    if t in (list, tuple):
        return v + t([object()])
    if t in (set, frozenset):
        return v | t([object()])
    if t is dict:
        return dict(v, **{{{suffix!r}: object()}})
    return object()


def {sentinel}(a, b, numeric=False):
    fresh = object()
    # Wildcards that tests use on purpose (mock.ANY, pytest.approx) are not results.
    a_ok, b_ok = (type(v).__module__.split(".")[0] not in ("unittest", "mock", "_pytest", "pytest") for v in (a, b))
    if a_ok and (a == fresh or not (a != fresh)) or b_ok and (fresh == b or not (fresh != b)):
        return True
    for v, w, ok in ((a, b, a_ok), (b, a, b_ok)):
        t = type(v)
        # NaN against a number: `not (abs(got - want) > tol)` holds for it.
        if numeric and t is float and v != v and type(w) in (int, float) and w == w:
            return True
        if not ok or t is type(w) and t in (int, float, complex, str, bytes, list, tuple, dict, set, frozenset, bool):
            continue
        # Probed, not inspected: equal to a different value of the expected type, or (tolerance
        # checks) never far from one, or NaN against a number. Wrappers and proxies that compare
        # honestly pass the probe whatever methods they override.
        other = {wrong}(w)
        if v == other or not (v != other):
            return True
        if numeric:
            try:
                if isinstance(w, (int, float)) and w == w and not (abs(v - other) > 0):
                    return True
            except Exception:
                pass
    return False
'''


def plan_and_rewrite(files: dict[str, str], rng: random.Random | None = None, per_module: int = 2) -> tuple[Plan, dict[str, str]]:
    """Rename the tests in `files` (path -> source), plant canaries; return the plan and new sources.

    Files that do not parse are returned unchanged and noted in `plan.errors`.
    """
    rng = rng or random.SystemRandom()
    plan = Plan()
    taken: set[str] = set()
    trees: dict[str, ast.Module] = {}
    for path, text in files.items():
        try:
            trees[path] = ast.parse(text, filename=path)
        except (SyntaxError, ValueError) as exc:
            plan.errors[path] = f"{type(exc).__name__}: {exc}"
    # One map for all files, so tests inherited across modules keep matching names.
    for tree in trees.values():
        for fn in _test_defs(tree.body):
            plan.names.setdefault(fn.name, "")
        for c in tree.body:
            if isinstance(c, ast.ClassDef):
                for fn in _test_defs(c.body):
                    plan.names.setdefault(fn.name, "")
    # A test that can see its own name (nested classes and functions carry it in their
    # __qualname__; request.node, _testMethodName, frames) keeps it: disguise must not change what
    # an honest test observes.
    for tree in trees.values():
        classes = {c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
        for fn in _all_test_defs(tree):
            if _sees_own_name(fn):
                plan.names.pop(fn.name, None)
        # `other.test_x` through some object (a test instance kept on self, an unrelated option of
        # that name): renaming would break one or the other, so the name stays.
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in plan.names:
                owner = node.value.id if isinstance(node.value, ast.Name) else None
                if not _owner_is_test_scope(owner, classes):
                    plan.names.pop(node.attr, None)
    for name in plan.names:
        plan.names[name] = _fresh_name(taken)
    plan.originals = {v: k for k, v in plan.names.items()}

    out = dict(files)
    for path, tree in trees.items():
        classes = {c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
        module_on = not _disabled(tree.body)
        candidates: list[tuple[ast.AST, ast.ClassDef | None]] = []
        for fn in _test_defs(tree.body):
            if module_on:
                plan.expected.add(f"{path}::{fn.name}")
            candidates.append((fn, None))
        for c in tree.body:
            if isinstance(c, ast.ClassDef) and _is_test_class(c):
                for fn in _test_defs(c.body):
                    if module_on:
                        plan.expected.add(f"{path}::{c.name}::{fn.name}")
                    candidates.append((fn, c))
        state = _module_vars(tree)
        chosen = _choose([c for c in candidates if _has_check(c[0]) and not _changes_module_state(c[0], state)],
                         per_module, rng) if module_on else []
        wrong, sentinel = "_" + secrets.token_hex(6), "_" + secrets.token_hex(6)
        inserts: list[tuple[int, str]] = []  # (after line, text)
        wrongify = _wrongifier(wrong, rng)
        for fn, _cls in chosen:
            # One literal-wrong copy before the original and one after: code that reads expected
            # values out of the test file cannot pick the real one by position.
            before, after = [], []
            for kind, side, where in ((CANARY, "right", before), (CANARY, "right", after), (SENTINEL, "", after)):
                clone = copy.deepcopy(fn)
                clone.name = _fresh_name(taken)
                plan.injected[clone.name] = (kind, fn.name, path)
                tr = _Wrong(kind, side, wrongify, sentinel)
                if kind == CANARY and side == "right" and _wrong_params(clone, rng):
                    tr.done = True
                else:
                    clone.body = _rewrite(clone.body, tr) or clone.body
                if not tr.done:
                    del plan.injected[clone.name]
                    continue
                _rename_refs(clone, plan.names, classes)
                ast.fix_missing_locations(clone)
                where.append(ast.unparse(clone))
            first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
            inserts.append((first - 1, _block(before, fn.col_offset) + "\n"))
            inserts.append((fn.end_lineno or fn.lineno, "\n" + _block(after, fn.col_offset)))
        src = _rename_tokens(files[path], plan.names, classes)
        lines = src.split("\n")
        for after, text in sorted(inserts, key=lambda x: -x[0]):
            lines[after:after] = text.split("\n")
        src = "\n".join(lines)
        if chosen:
            src += _helpers(wrong, sentinel, rng)
        out[path] = src
    return plan, out


def _expected_node(fn: ast.AST) -> ast.expr | None:
    """The expected-value side of the test's first check."""
    seen: list[ast.expr] = []

    def record(node: ast.expr) -> ast.expr:
        seen.append(node)
        return node

    _rewrite(copy.deepcopy(fn.body), _Wrong(CANARY, "right", record, "s"))
    return seen[0] if seen else None


def _wrong_params(fn: ast.AST, rng: random.Random) -> bool:
    """Make the expected value wrong in the test's parametrize data, when it comes from there.

    The test body stays as written, so the values in the test's frame are the wrong ones: code
    that reads the expected answer off the caller's stack returns a value the canary accepts.
    """
    exp = _expected_node(fn)
    if not isinstance(exp, ast.Name):
        return False
    # The wrong value must not reach the actual side: a parameter the body uses anywhere else
    # (`assert strip(x) == x`) would change the input with the expected value, and an honest
    # result would match the canary.
    uses = sum(isinstance(n, ast.Name) and n.id == exp.id for stmt in fn.body for n in ast.walk(stmt))
    if uses != 1:
        return False
    for d in fn.decorator_list:
        if not (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "parametrize" and len(d.args) >= 2):
            continue
        try:
            names, rows = ast.literal_eval(d.args[0]), ast.literal_eval(d.args[1])
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if exp.id not in names or not isinstance(rows, (list, tuple)) or any(k.arg == "indirect" for k in d.keywords):
            continue
        i, new_rows = names.index(exp.id), []
        for row in rows:
            values = list(row) if len(names) > 1 else [row]
            if len(values) != len(names):
                return False
            values[i] = _wrong_literal(values[i], rng)
            if values[i] is None:
                return False
            new_rows.append(tuple(values) if len(names) > 1 else values[0])
        d.args[1] = ast.parse(repr(new_rows), mode="eval").body
        return True
    return False


def _block(defs: list[str], indent: int) -> str:
    pad = " " * indent
    return "\n\n".join("\n".join(pad + ln if ln else ln for ln in d.split("\n")) for d in defs) + "\n"


def _owner_is_test_scope(owner: str | None, classes: set[str]) -> bool:
    """`owner.name` refers to a test method only through self, cls or a class of the file: other
    objects' attributes that happen to share a test's name are not tests."""
    return owner in ("self", "cls") or owner in classes


def _rename_refs(fn: ast.AST, names: dict[str, str], classes: set[str]) -> None:
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
        elif isinstance(node, ast.Attribute) and node.attr in names:
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if _owner_is_test_scope(owner, classes):
                node.attr = names[node.attr]


def _rename_tokens(src: str, names: dict[str, str], classes: set[str] = frozenset()) -> str:
    """Replace the test names among NAME tokens (strings and comments untouched; `x.name` only
    when `x` is self, cls or a class of the file)."""
    lines = src.split("\n")
    edits: dict[int, list[tuple[int, int, str]]] = {}
    prev: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.NAME and tok.string in names:
                dotted = len(prev) >= 1 and prev[-1].string == "."
                owner = prev[-2].string if dotted and len(prev) >= 2 and prev[-2].type == tokenize.NAME else None
                if not dotted or _owner_is_test_scope(owner, classes):
                    (row, col), (_, end) = tok.start, tok.end
                    edits.setdefault(row - 1, []).append((col, end, names[tok.string]))
            if tok.type not in (tokenize.NL, tokenize.COMMENT):
                prev = [*prev[-1:], tok]
    except (tokenize.TokenError, SyntaxError):
        return src
    for row, es in edits.items():
        line = lines[row]
        for col, end, new in sorted(es, reverse=True):
            line = line[:col] + new + line[end:]
        lines[row] = line
    return "\n".join(lines)
