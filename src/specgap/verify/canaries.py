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


@dataclass
class Plan:
    names: dict[str, str] = field(default_factory=dict)          # original test name -> random name
    originals: dict[str, str] = field(default_factory=dict)      # random name -> original
    injected: dict[str, tuple[str, str]] = field(default_factory=dict)  # random -> (kind, original it copies)
    expected: set[str] = field(default_factory=set)              # static ids: path::[Class::]name (original)
    errors: dict[str, str] = field(default_factory=dict)         # path -> why it could not be read

    def display(self, nodeid: str) -> str:
        """A child node id with the disguised names put back."""
        return re.sub(r"\b(test_[0-9a-f]{16})\b", lambda m: self.originals.get(m.group(1), m.group(1)), nodeid)

    def injected_kind(self, nodeid: str) -> tuple[str, str] | None:
        name = _PARAMS.sub("", nodeid).rsplit("::", 1)[-1]
        return self.injected.get(name)


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


class _Wrong(ast.NodeTransformer):
    """Replace the first equality check in a test with its canary or sentinel form."""

    def __init__(self, kind: str, side: str, wrong: str, sentinel: str):
        self.kind, self.side, self.wrong, self.sentinel = kind, side, wrong, sentinel
        self.done = False

    def _call(self, name: str, *args: ast.expr) -> ast.Call:
        return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])

    def _pair(self, a: ast.expr, b: ast.expr) -> tuple[ast.expr, ast.expr]:
        if self.side == "right":
            return a, self._call(self.wrong, b)
        return self._call(self.wrong, a), b

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        t = node.test
        if self.done or not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq)):
            return node
        self.done = True
        a, b = t.left, t.comparators[0]
        if self.kind == SENTINEL:
            return ast.Assert(test=self._call(self.sentinel, a, b), msg=None)
        a, b = self._pair(a, b)
        return ast.Assert(test=ast.Compare(left=a, ops=[ast.Eq()], comparators=[b]), msg=None)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        f = node.func
        if self.done or not (isinstance(f, ast.Attribute) and f.attr in ("assertEqual", "assertEquals") and len(node.args) >= 2):
            return self.generic_visit(node)
        self.done = True
        a, b = node.args[0], node.args[1]
        if self.kind == SENTINEL:
            return ast.Call(func=ast.Attribute(f.value, "assertTrue", ast.Load()), args=[self._call(self.sentinel, a, b)], keywords=[])
        a, b = self._pair(a, b)
        return ast.Call(func=f, args=[a, b, *node.args[2:]], keywords=node.keywords)

    # Nested scopes run at another time (or never): leave them alone.
    def visit_FunctionDef(self, node):  # noqa: N802
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def _has_check(fn: ast.AST) -> bool:
    probe = _Wrong(CANARY, "right", "w", "s")
    probe.visit(ast.Module(body=copy.deepcopy(fn.body), type_ignores=[]))
    return probe.done


def _helpers(wrong: str, sentinel: str, rng: random.Random) -> str:
    offset = rng.randrange(10**9, 10**12)
    suffix = secrets.token_hex(6)
    return f'''

def {wrong}(v):
    t = type(v)
    if t is int:
        return v + {offset}
    if t is float:
        return v + {offset} if v == v else 0.5
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


def {sentinel}(a, b):
    fresh = object()
    if a == fresh or fresh == b or not (a != fresh) or not (fresh != b):
        return True
    for v in (a, b):
        t = type(v)
        for base in (int, float, complex, str, bytes, list, tuple, dict, set, frozenset):
            if t is not base and t is not bool and isinstance(v, base) and (t.__eq__ is not base.__eq__ or t.__ne__ is not base.__ne__):
                return True
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
    for name in plan.names:
        plan.names[name] = _fresh_name(taken)
    plan.originals = {v: k for k, v in plan.names.items()}

    out = dict(files)
    for path, tree in trees.items():
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
        chosen = [c for c in candidates if _has_check(c[0])]
        rng.shuffle(chosen)
        chosen = chosen[:per_module] if module_on else []
        wrong, sentinel = "_" + secrets.token_hex(6), "_" + secrets.token_hex(6)
        inserts: list[tuple[int, str]] = []  # (after line, text)
        for fn, cls in chosen:
            blocks = []
            for kind, side in ((CANARY, "right"), (CANARY, "left"), (SENTINEL, "")):
                clone = copy.deepcopy(fn)
                clone.name = _fresh_name(taken)
                plan.injected[clone.name] = (kind, fn.name)
                tr = _Wrong(kind, side, wrong, sentinel)
                clone.body = [tr.visit(s) for s in clone.body]
                _rename_refs(clone, plan.names)
                ast.fix_missing_locations(clone)
                blocks.append(ast.unparse(clone))
            indent = " " * fn.col_offset
            text = "\n\n" + "\n\n".join("\n".join(indent + ln if ln else ln for ln in b.split("\n")) for b in blocks) + "\n"
            inserts.append((fn.end_lineno or fn.lineno, text))
        src = _rename_tokens(files[path], plan.names)
        lines = src.split("\n")
        for after, text in sorted(inserts, key=lambda x: -x[0]):
            lines[after:after] = text.split("\n")
        src = "\n".join(lines)
        if chosen:
            src += _helpers(wrong, sentinel, rng)
        out[path] = src
    return plan, out


def _rename_refs(fn: ast.AST, names: dict[str, str]) -> None:
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
        elif isinstance(node, ast.Attribute) and node.attr in names:
            node.attr = names[node.attr]


def _rename_tokens(src: str, names: dict[str, str]) -> str:
    """Replace every NAME token that is a test name (strings and comments untouched)."""
    lines = src.split("\n")
    edits: dict[int, list[tuple[int, int, str]]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.NAME and tok.string in names:
                (row, col), (_, end) = tok.start, tok.end
                edits.setdefault(row - 1, []).append((col, end, names[tok.string]))
    except (tokenize.TokenError, SyntaxError):
        return src
    for row, es in edits.items():
        line = lines[row]
        for col, end, new in sorted(es, reverse=True):
            line = line[:col] + new + line[end:]
        lines[row] = line
    return "\n".join(lines)
