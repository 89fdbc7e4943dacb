"""SG110 mocked-subject: A test replaces the very function it checks with a mock."""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import subtree
from specgap.analysis.names import dotted
from specgap.analysis.stmts import calls_in, statements
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _literal, _tree


def _mentions_patching(fn: tf.FuncDef, lines: list[str]) -> bool:
    """Whether a test's text (decorators included) names a patch at all; most tests patch nothing."""
    start = min([d.lineno for d in fn.decorator_list] + [fn.lineno])
    text = "\n".join(lines[start - 1 : fn.end_lineno])
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # as the parser reads names
    return "patch" in text or "setattr" in text


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
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"patch|setattr")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = _tree(cf.after)
        if tree is None:
            return
        local: set[str] | None = None  # the names the module defines, found when first needed
        lines = cf.after.lines
        for t in tf.test_functions(tree):
            patches = _patch_targets(t.node) if _mentions_patching(t.node, lines) else []
            if not patches:
                continue
            results: dict[str, str] = {}  # variable -> function whose result it holds
            for n in statements(t.node):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    results[n.targets[0].id] = tf.call_name(n.value)
            checked: dict[str, list[ast.AST]] = {}
            for c in tf.checks(t.node):
                for n in subtree(c):
                    if isinstance(n, ast.Call) and n is not c:
                        checked.setdefault(tf.call_name(n), []).append(c)
                    elif isinstance(n, ast.Name) and n.id in results:
                        checked.setdefault(results[n.id], []).append(c)
            for call, target, value, owner in patches:
                if target not in checked or not cf.touches(call.lineno, call.end_lineno):
                    continue
                if local is None:
                    local = {st.name for st in statements(tree) if isinstance(st, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
                if owner in local or results.get(owner) in local or owner.split(".")[0] in sys.stdlib_module_names:
                    # a class defined in the test module, or os.listdir: the test exercises the
                    # mocking itself (a mocking library's own tests), not product code
                    yield self.finding(cf, call, f"test {t.qualname} mocks {target}() of {owner} and asserts on it",
                                       severity=Severity.LOW, confidence=Confidence.LOW, end_line=call.lineno)
                    continue
                const = _constant_return(value)
                same = const is not None and any(
                    ast.dump(const) in {ast.dump(x) for x in subtree(c)} for c in checked[target])
                yield self.finding(
                    cf, call, f"test {t.qualname} mocks {target}() and then asserts on {target}()'s result"
                    + ("; the mock returns exactly the expected value" if same else ""),
                    severity=Severity.HIGH if same else None,
                    confidence=Confidence.HIGH if same else None,
                    end_line=call.lineno,
                )
