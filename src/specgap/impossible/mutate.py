"""Assertion sites in a test function and the edits that make them contradict the code.

An edit is a text replacement at the AST node's position, so the rest of the file stays byte for
byte as it was (comments, formatting) and the result is checked to parse. Shapes handled:

- `assert ACTUAL == EXPECTED` (either side a literal, a container of literals, `list('abc')` and
  the like, `pytest.approx(literal)`, or a local name bound once to one of these): the expected
  value becomes a different value of the same type (for a name, the changed literal takes its place
  in the assertion, so the edit stays inside the assertion).
- `assert x is True/False`, unittest's `assertEqual` family, `assertIs`, numpy's and pandas'
  `assert_equal`-style functions: the same value change.
- `assert x is None`, `in`, `!=` and bare `assert x` / `assert not x`, unittest's
  `assertTrue`/`assertIsNone`/`assertIn`...: the check is negated (`is not`, `not in`, `assertFalse`).
"""

from __future__ import annotations

import ast
import math
import string
from dataclasses import dataclass

# two-argument equality checks: either argument may be the expected literal
_EQUAL_CALLS = frozenset({
    "assertEqual", "assertEquals", "failUnlessEqual", "assertAlmostEqual", "assertAlmostEquals",
    "assertListEqual", "assertTupleEqual", "assertDictEqual", "assertSetEqual", "assertSequenceEqual",
    "assertMultiLineEqual", "assertCountEqual", "assertIs",
    "assert_equal", "assert_array_equal", "assert_allclose", "assert_almost_equal",
    "assert_array_almost_equal", "assert_approx_equal",
})
_NEGATED_CALLS = {
    "assertTrue": "assertFalse", "assertFalse": "assertTrue", "assert_": "assertFalse",
    "assertIsNone": "assertIsNotNone", "assertIsNotNone": "assertIsNone",
    "assertIn": "assertNotIn", "assertNotIn": "assertIn", "assertIs": "assertIsNot", "assertIsNot": "assertIs",
    "assertNotEqual": "assertEqual", "assertIsInstance": "assertNotIsInstance",
    "assertNotIsInstance": "assertIsInstance",
}
_NEGATED_OPS = {ast.Is: "is not", ast.IsNot: "is", ast.In: "not in", ast.NotIn: "in", ast.NotEq: "=="}


@dataclass(frozen=True)
class Edit:
    start: int   # character offsets into the file's text
    end: int
    text: str


@dataclass(frozen=True)
class Site:
    """One assertion statement and the edit that makes it contradict what it checked."""

    line: int          # first line of the statement (1-based)
    end_line: int
    start: int         # character offsets of the whole statement
    end: int
    shape: str         # "value" (an expected value changed) or "negation" (the check negated)
    edit: Edit

    def statement(self, text: str) -> str:
        return text[self.start:self.end]

    def mutated_statement(self, text: str) -> str:
        return text[self.start:self.edit.start] + self.edit.text + text[self.edit.end:self.end]


class _Offsets:
    """AST positions are (line, UTF-8 byte column); edits need character offsets."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def at(self, line: int, col: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.at(node.lineno, node.col_offset), self.at(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def changed_value(value: object) -> object | None:
    """A different value of the same type, or None when there is no sensible one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        # far enough to escape approx(), assertAlmostEqual and allclose tolerances
        return value + max(1.0, abs(value)) if math.isfinite(value) else None
    if isinstance(value, complex):
        return value + 1
    if isinstance(value, (str, bytes)):
        return _changed_text(value)
    if isinstance(value, (list, tuple, dict)) and not value:
        return {list: [0], tuple: (0,), dict: {0: 0}}[type(value)]  # an empty result now has one item
    return None


def _changed_text(value):
    if not value:
        return "x" if isinstance(value, str) else b"x"
    chars = value if isinstance(value, str) else value.decode("latin-1")
    last = chars[-1]
    # a plausible typo-sized change: the last letter or digit moves by one, keeping its class
    for alphabet in (string.digits, string.ascii_lowercase, string.ascii_uppercase):
        if last in alphabet:
            new = chars[:-1] + alphabet[(alphabet.index(last) + 1) % len(alphabet)]
            break
    else:
        new = chars + "x"
    return new if isinstance(value, str) else new.encode("latin-1")


def _is_approx(node: ast.expr) -> bool:
    f = node.func if isinstance(node, ast.Call) else None
    return (isinstance(f, ast.Name) and f.id == "approx") or (isinstance(f, ast.Attribute) and f.attr == "approx")


def _literal(node: ast.expr) -> bool:
    """Literal data: constants, signed numbers, containers of literals, pytest.approx(literal)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) and all(_literal(v) for v in node.values)
    if _is_approx(node) or _is_wrapper(node):
        return bool(node.args) and _literal(node.args[0])  # type: ignore[attr-defined]
    return False


_WRAPPERS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict"})


def _is_wrapper(node: ast.expr) -> bool:
    """`list('abc')`, `set([1, 2])`: a builtin applied to a literal is literal data too."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _WRAPPERS
            and len(node.args) == 1 and not node.keywords)


def _leaf(node: ast.expr) -> ast.expr | None:
    """The scalar inside a literal whose change changes the whole value (the last one, for containers)."""
    if isinstance(node, (ast.Constant, ast.UnaryOp)):
        try:
            return node if changed_value(ast.literal_eval(node)) is not None else None
        except ValueError:
            return None
    if isinstance(node, (ast.List, ast.Tuple, ast.Dict)) and not (node.keys if isinstance(node, ast.Dict) else node.elts):
        return node
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        elts: list[ast.expr] = list(node.elts)
    elif isinstance(node, ast.Dict):
        elts = list(node.values)
    elif _is_approx(node) or _is_wrapper(node):
        elts = [node.args[0]]  # type: ignore[attr-defined]
    else:
        return None
    for e in reversed(elts):
        leaf = _leaf(e)
        if leaf is not None:
            return leaf
    return None


class _Context:
    """What an edit needs from the file and the test function: positions, and the local names
    bound once to literal data (`expected = [1, 2]` ... `assert f() == expected`)."""

    def __init__(self, text: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.text, self.off = text, _Offsets(text)
        stores: dict[str, list[ast.AST]] = {}
        mutated: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores.setdefault(node.id, []).append(node)
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.value, ast.Name):
                mutated.add(node.value.id)  # expected.append(...), expected[0] = ...: not a constant
        self.bound: dict[str, ast.expr] = {}
        for node in ast.walk(function):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and len(stores.get(node.targets[0].id, ())) == 1 and node.targets[0].id not in mutated
                    and _literal(node.value)):
                self.bound[node.targets[0].id] = node.value

    def data(self, node: ast.expr) -> ast.expr | None:
        """The literal an expression stands for: itself, or the literal its name was bound to."""
        if _literal(node):
            return node
        if isinstance(node, ast.Name):
            return self.bound.get(node.id)
        return None


def _value_edit(expected: ast.expr, ctx: _Context) -> Edit | None:
    data = ctx.data(expected)
    leaf = _leaf(data) if data is not None else None
    if leaf is None:
        return None
    new = repr(changed_value(ast.literal_eval(leaf)))
    start, end = ctx.off.span(leaf)
    if data is expected:
        return Edit(start, end, new)
    # a name bound to a literal: the assertion gets the changed literal in the name's place
    d_start, d_end = ctx.off.span(data)
    literal = ctx.text[d_start:start] + new + ctx.text[end:d_end]
    e_start, e_end = ctx.off.span(expected)
    return Edit(e_start, e_end, f"({literal})" if "\n" in literal else literal)


def _expected(a: ast.expr, b: ast.expr, ctx: _Context) -> ast.expr | None:
    """The expected side of a comparison: the one side that is literal data (both or neither: no edit)."""
    da, db = ctx.data(a) is not None, ctx.data(b) is not None
    if da != db:
        return a if da else b
    return None


def _assert_edit(node: ast.Assert, ctx: _Context) -> tuple[str, Edit] | None:
    test, off, text = node.test, ctx.off, ctx.text
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if isinstance(op, (ast.Eq, ast.Is)):
            expected = _expected(left, right, ctx)
            edit = _value_edit(expected, ctx) if expected is not None else None
            if edit is not None:
                return "value", edit
        negated = _NEGATED_OPS.get(type(op))
        if negated:
            start, end = off.span(test)
            lhs, rhs = off.span(left), off.span(right)
            return "negation", Edit(start, end, f"{text[lhs[0]:lhs[1]]} {negated} {text[rhs[0]:rhs[1]]}")
        return None
    start, end = off.span(test)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = off.span(test.operand)
        return "negation", Edit(start, end, text[inner[0]:inner[1]])
    if isinstance(test, (ast.Constant, ast.JoinedStr)):
        return None  # `assert False`, `assert "message"`: not a check of the code
    return "negation", Edit(start, end, f"not ({text[start:end]})")


def _call_edit(call: ast.Call, ctx: _Context) -> tuple[str, Edit] | None:
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name is None or call.keywords and any(k.arg is None for k in call.keywords):
        return None
    if name in _EQUAL_CALLS and len(call.args) >= 2:
        expected = _expected(call.args[0], call.args[1], ctx)
        edit = _value_edit(expected, ctx) if expected is not None else None
        if edit is not None:
            return "value", edit
    if name in _NEGATED_CALLS and isinstance(f, ast.Attribute) and call.args:
        end = ctx.off.at(f.end_lineno, f.end_col_offset)  # type: ignore[arg-type]
        return "negation", Edit(end - len(name), end, _NEGATED_CALLS[name])
    return None


def _statements(body: list[ast.stmt]):
    """Statements of a test function's body, into blocks but not into nested functions or classes."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(stmt, field, []) or [])
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            yield from _statements(case.body)


def _alone_on_its_lines(stmt: ast.stmt, off: _Offsets) -> bool:
    """The statement starts its line and nothing but a comment follows it (so a copy can go below)."""
    first = off.lines[stmt.lineno - 1]
    last = off.lines[stmt.end_lineno - 1]  # type: ignore[index]
    before = first.encode("utf-8")[:stmt.col_offset].decode("utf-8", "replace")
    after = last.encode("utf-8")[stmt.end_col_offset:].decode("utf-8", "replace").strip()  # type: ignore[misc]
    return not before.strip() and (not after or after.startswith("#"))


def find_function(tree: ast.Module, name: str, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The test function called `name` whose definition (decorators included) spans `line`; or the
    only function of that name."""
    named = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    for node in named:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if first <= line <= (node.end_lineno or node.lineno):
            return node
    return named[0] if len(named) == 1 else None


def sites(text: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Site]:
    """Every assertion in the function that can be made to contradict itself, in source order."""
    ctx = _Context(text, function)
    off = ctx.off
    found = []
    for stmt in _statements(function.body):
        if isinstance(stmt, ast.Assert):
            made = _assert_edit(stmt, ctx)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            made = _call_edit(stmt.value, ctx)
        else:
            continue
        if made is None or not _alone_on_its_lines(stmt, off):
            continue
        start, end = off.span(stmt)
        found.append(Site(stmt.lineno, stmt.end_lineno or stmt.lineno, start, end, made[0], made[1]))
    return found


def one_off(text: str, site: Site) -> str:
    """The file with the site's assertion changed."""
    return text[:site.edit.start] + site.edit.text + text[site.edit.end:]


def indent(text: str, site: Site) -> str:
    """The whitespace before the site's statement on its first line."""
    return text[text.rfind("\n", 0, site.start) + 1:site.start]


def conflicting(text: str, site: Site) -> str:
    """The file with a contradicting copy of the site's assertion just below the original."""
    indent_ = indent(text, site)
    nl = text.find("\n", site.end)
    insert_at = len(text) if nl < 0 else nl + 1
    copy = indent_ + site.mutated_statement(text) + "\n"
    head = text[:insert_at] if nl >= 0 else text + "\n"
    return head + copy + text[insert_at:]
