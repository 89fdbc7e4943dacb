"""Test functions as pytest and unittest see them, and the checks (assertions) they make.

Shared by the test-tampering rules: which functions are tests, how many real checks each makes,
which checks cannot fail, and which skip/xfail markers a test carries.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from specgap.analysis.context import Context, context
from specgap.analysis.names import dotted
from specgap.analysis.stmts import calls_in, statements

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef

# Call names (last dotted part) that check something: unittest, numpy/pandas testing, pytest.
_CHECK_CALLS = frozenset({"raises", "warns", "deprecated_call", "fail", "failIf", "failUnless"})
_SKIP_MARKS = frozenset({"skip", "xfail"})
_UNITTEST_SKIPS = frozenset({"skip", "expectedFailure"})


@dataclass(frozen=True)
class TestFn:
    qualname: str            # "test_x" or "TestX.test_y"
    node: FuncDef
    cls: ast.ClassDef | None


def call_name(call: ast.Call) -> str:
    """Last part of what a call calls: `self.assertEqual(...)` -> `assertEqual`."""
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def is_test_class(cls: ast.ClassDef) -> bool:
    if cls.name.startswith("Test"):
        return True
    return any(dotted(b, through_calls=True).endswith(("TestCase", "IsolatedAsyncioTestCase")) for b in cls.bases)


def test_functions(tree: ast.Module | None) -> list[TestFn]:
    """Module-level `test*` functions and `test*` methods of test classes (nested classes too).

    Computed once per file, however many rules ask: do not modify the list."""
    if tree is None:
        return []
    return context(tree).derived(_test_functions)


def _test_functions(ctx: Context) -> list[TestFn]:
    out: list[TestFn] = []
    for st in ctx.tree.body:  # type: ignore[attr-defined]
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name.startswith("test"):
            out.append(TestFn(st.name, st, None))
        elif isinstance(st, ast.ClassDef) and is_test_class(st):
            _visit_class(st, "", out)
    return out


# (not a closure: a nested function that calls itself is a reference cycle, and this one held the
# list of test functions, so every test file's tree waited for the garbage collector to be freed)
def _visit_class(cls: ast.ClassDef, prefix: str, out: list[TestFn]) -> None:
    for st in cls.body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name.startswith("test"):
            out.append(TestFn(f"{prefix}{cls.name}.{st.name}", st, cls))
        elif isinstance(st, ast.ClassDef) and is_test_class(st):
            _visit_class(st, f"{prefix}{cls.name}.", out)


def is_check_call(call: ast.Call, helpers: frozenset[str] = frozenset()) -> bool:
    name = call_name(call)
    return name.startswith("assert") or name in _CHECK_CALLS or (
        isinstance(call.func, ast.Name) and name in helpers
    )


def checks(fn: ast.AST, helpers: frozenset[str] = frozenset()) -> list[ast.AST]:
    """Assert statements and checking calls made as statements inside `fn` (`with pytest.raises` too)."""
    out: list[ast.AST] = []
    for st in statements(fn):
        if isinstance(st, ast.Assert):
            out.append(st)
        else:
            out.extend(c for c in calls_in(st) if is_check_call(c, helpers))
    return out


def helper_names(tree: ast.Module | None) -> frozenset[str]:
    """Module-level non-test functions that make checks, so `check_output(x)`-style helpers count."""
    if tree is None:
        return frozenset()
    return context(tree).derived(_helper_names)


def _helper_names(ctx: Context) -> frozenset[str]:
    tree = ctx.tree
    names = set()
    for st in tree.body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and not st.name.startswith("test"):
            if checks(st):
                names.add(st.name)
    return frozenset(names)


def _span(n: ast.AST) -> tuple[int, int] | None:
    end_line, end_col = getattr(n, "end_lineno", None), getattr(n, "end_col_offset", None)
    if end_line is None or end_col is None:
        return None
    return end_line - n.lineno, end_col - n.col_offset  # type: ignore[attr-defined]


def _same(a: ast.AST, b: ast.AST) -> bool:
    # cheap rejections first: dumping large literals (big expected lists) is what costs
    if type(a) is not type(b) or _span(a) != _span(b):
        return False
    return ast.dump(a) == ast.dump(b)


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def truthy_constant(node: ast.AST) -> bool:
    """A literal that is always true: `True`, `1`, `"x"`, `not False`, `not None`."""
    if isinstance(node, ast.Constant):
        return bool(node.value) and node.value is not Ellipsis
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return isinstance(node.operand, ast.Constant) and not node.operand.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
        # `assert (x == 1, "msg")` is always true too: a non-empty literal container
        return bool(node.elts if not isinstance(node, ast.Dict) else node.keys)
    return False


def tautology(expr: ast.AST) -> str | None:
    """Why the truth test `expr` cannot fail, or None."""
    if truthy_constant(expr):
        return "a constant that is always true"
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        if any(tautology(v) for v in expr.values):
            return "an `or` with an always-true operand"
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
        op, left, right = expr.ops[0], expr.left, expr.comparators[0]
        if isinstance(op, (ast.Eq, ast.Is, ast.LtE, ast.GtE)) and _same(left, right) and not _has_call(left):
            return "compares a value with itself"
        if (
            isinstance(op, ast.GtE)
            and isinstance(left, ast.Call)
            and call_name(left) == "len"
            and isinstance(right, ast.Constant)
            and right.value == 0
        ):
            return "`len(...) >= 0` always holds"
        if isinstance(op, ast.IsNot) and isinstance(right, ast.Constant) and right.value is None and isinstance(left, ast.Constant):
            return "a literal is never None"
    if isinstance(expr, ast.Call) and call_name(expr) == "isinstance" and len(expr.args) == 2:
        if isinstance(expr.args[1], ast.Name) and expr.args[1].id == "object":
            return "everything is an instance of object"
    return None


# the calls `check_tautology` can judge
TAUTOLOGY_CALLS = frozenset({
    "assertTrue", "assert_", "failUnless", "assertFalse", "failIf", "assertEqual", "assertEquals", "assertIs",
    "assertLessEqual", "assertGreaterEqual", "assert_equal", "assert_array_equal", "assert_allclose",
    "assert_almost_equal", "assert_frame_equal", "assert_series_equal", "assertIsNotNone", "assertIsNone"})


def check_tautology(node: ast.AST) -> str | None:
    """Why an assert statement or unittest assertion call cannot fail, or None."""
    if isinstance(node, ast.Assert):
        return tautology(node.test)
    if not isinstance(node, ast.Call):
        return None
    name, args = call_name(node), node.args
    if name not in TAUTOLOGY_CALLS:
        return None
    if name in ("assertTrue", "assert_", "failUnless") and args:
        return tautology(args[0])
    if name in ("assertFalse", "failIf") and args and isinstance(args[0], ast.Constant) and not args[0].value:
        return "asserts that a false constant is false"
    if name in ("assertEqual", "assertEquals", "assertIs", "assertLessEqual", "assertGreaterEqual", "assert_equal",
                "assert_array_equal", "assert_allclose", "assert_almost_equal", "assert_frame_equal",
                "assert_series_equal") and len(args) >= 2:
        if _same(args[0], args[1]) and not _has_call(args[0]):
            return "compares a value with itself"
    if name == "assertIsNotNone" and args and isinstance(args[0], ast.Constant) and args[0].value is not None:
        return "a literal is never None"
    if name == "assertIsNone" and args and isinstance(args[0], ast.Constant) and args[0].value is None:
        return "asserts that None is None"
    return None


def real_checks(fn: ast.AST, helpers: frozenset[str] = frozenset()) -> list[ast.AST]:
    """The checks in `fn` that can fail."""
    return [c for c in checks(fn, helpers) if check_tautology(c) is None]


def trivial_body(fn: FuncDef | ast.ExceptHandler) -> bool:
    """Body is only `pass`, `...`, a docstring, `continue` and/or a bare `return`."""
    for st in fn.body:
        if isinstance(st, (ast.Pass, ast.Continue)) or (isinstance(st, ast.Return) and st.value is None):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        return False
    return True


@dataclass(frozen=True)
class Skip:
    node: ast.AST
    what: str          # "pytest.mark.skip", "pytest.skip()", ...
    conditional: bool  # skipif(cond), importorskip, skip under an `if`


def _cond_is_constant_true(node: ast.AST | None) -> bool:
    return node is not None and (truthy_constant(node) or tautology(node) is not None)


def decorator_skips(fn: FuncDef | ast.ClassDef) -> list[Skip]:
    """skip/xfail markers and unittest skip decorators on a test or test class."""
    out = []
    for dec in fn.decorator_list:
        name = dotted(dec, through_calls=True)
        last = name.rsplit(".", 1)[-1]
        call = dec if isinstance(dec, ast.Call) else None
        if ".mark." in f".{name}" and last in _SKIP_MARKS:
            cond = call.args[0] if call and call.args and not isinstance(call.args[0], ast.Constant) else None
            if call and call.args and isinstance(call.args[0], ast.Constant) and not isinstance(call.args[0].value, str):
                # `xfail(False)` disables the mark; `xfail(True)` is unconditional
                if not call.args[0].value:
                    continue
            kw = {k.arg: k.value for k in call.keywords} if call else {}
            if "condition" in kw and not _cond_is_constant_true(kw["condition"]):
                cond = kw["condition"]
            out.append(Skip(dec, name, cond is not None and not _cond_is_constant_true(cond)))
        elif ".mark." in f".{name}" and last in ("skipif",):
            cond = call.args[0] if call and call.args else None
            out.append(Skip(dec, name, not _cond_is_constant_true(cond)))
        elif last in _UNITTEST_SKIPS and (name.startswith("unittest.") or name == last):
            out.append(Skip(dec, name, False))
        elif last in ("skipIf", "skipUnless") and (name.startswith("unittest.") or name == last):
            cond = call.args[0] if call and call.args else None
            if last == "skipUnless":
                unconditional = cond is not None and isinstance(cond, ast.Constant) and not cond.value
            else:
                unconditional = _cond_is_constant_true(cond)
            out.append(Skip(dec, name, not unconditional))
    return out


def body_skips(fn: FuncDef) -> Iterator[Skip]:
    """`pytest.skip()`, `pytest.xfail()`, `self.skipTest()`, `raise SkipTest` and `importorskip` in a test body.

    A skip under an `if`/`try`/`with` whose condition is not constant is conditional.
    """
    return _skips(fn.body, False)


# (module level, as `_visit_class`: a nested generator that calls itself is a reference cycle)
def _skips(stmts: list[ast.stmt], guarded: bool) -> Iterator[Skip]:
    for st in stmts:
        if isinstance(st, ast.If):
            const = _cond_is_constant_true(st.test)
            yield from _skips(st.body, guarded or not const)
            yield from _skips(st.orelse, True)
            continue
        if isinstance(st, (ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)):
            for field in ("body", "orelse", "finalbody"):
                yield from _skips(getattr(st, field, []) or [], guarded or field != "body" or isinstance(st, (ast.For, ast.AsyncFor, ast.While)))
            for h in getattr(st, "handlers", []):
                yield from _skips(h.body, True)
            continue
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(st, ast.Raise) and st.exc is not None and dotted(st.exc, through_calls=True).endswith("SkipTest"):
            yield Skip(st, "raise SkipTest", guarded)
        for node in calls_in(st):
            name = dotted(node.func, through_calls=True)
            last = name.rsplit(".", 1)[-1]
            if last in ("skip", "xfail") and name.split(".")[0] in ("pytest", "_pytest"):
                yield Skip(node, f"{name}()", guarded)
            elif last == "skipTest":
                yield Skip(node, "skipTest()", guarded)
            elif last == "importorskip":
                yield Skip(node, f"{name}()", True)


def unreachable_checks(fn: FuncDef) -> list[ast.AST]:
    """Checks placed after an unconditional `return` at the top of the test body (`if True: return`)."""
    for i, st in enumerate(fn.body):
        if isinstance(st, ast.Return) or (
            isinstance(st, ast.If) and _cond_is_constant_true(st.test) and any(isinstance(s, ast.Return) for s in st.body)
        ):
            rest = ast.Module(body=fn.body[i + 1 :], type_ignores=[])
            return checks(rest)
    return []
