"""SG405 verifier-override: A grader, checker or test assertion replaced by one that accepts everything."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context
from specgap.analysis.flow import bound_names, const_value, names_read, returns
from specgap.analysis.names import dotted, param_names
from specgap.analysis.testfns import FuncDef
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _NON_TEST, _resolve

# Words that name a grader, checker or test runner; `run_tests` and `assert*` may also be no-ops.
_GRADER_WORDS = frozenset({
    "verify", "verifier", "verification", "grade", "grader", "grading", "evaluate", "evaluator",
    "evaluation", "judge", "reward", "score", "scorer", "correct", "check", "checker", "validate",
    "validator", "valid", "passed", "passes", "oracle",
})
_RUNNER_NAMES = frozenset({"run_tests", "run_test", "runtests", "run_all_tests", "test_runner"})


# Every name below holds one of these (asked for every function and assignment target, which
# seldom do: one search spares the rest)
_GRADERISH = re.compile("verif|grad|evaluat|judge|reward|score|correct|check|valid|pass|oracle|test|assert|fail", re.I)


def _grader_name(name: str) -> str | None:
    """'runner' for a test runner or assertion (where a no-op fakes success), 'grader' for a
    checker (where accepting everything does), else None."""
    if not _GRADERISH.search(name):
        return None
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


_PATCHES = frozenset({"patch", "object"})
_SETATTR = frozenset({"setattr"})


def _target_name(target: ast.AST) -> str | None:
    return target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None


def _fake_fn(fn: ast.AST) -> str | None:
    """'accept' for a function that returns a truthy constant whatever it is given, 'noop' for
    one that does nothing, None for one that looks at its arguments or computes something."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    fake = _fake_shape(fn)
    # (the shape first: reading the whole body for the names it reads costs more)
    if fake is None or (set(param_names(fn)) - {"self", "cls"}) & names_read(fn):
        return None
    return fake


def _fake_shape(fn: FuncDef | ast.Lambda) -> str | None:
    """`_fake_fn` but for the arguments it reads: what a function's answers are."""
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
    last = const_value(body[-1].value)  # type: ignore[attr-defined]
    if last is cases.NO or not last:
        return None  # (before looking for the other returns)
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
    family = "solution"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        imported: set[str] = set()
        module_fns: dict[str, ast.AST] = {}
        for s in tree.body:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                imported.update(bound_names(s))
            elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module_fns[s.name] = s
        for scope, owner, _ in ctx.scopes:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and _grader_name(scope.name):
                yield from self._check_def(cf, scope, owner, imported)
        # the assignments and calls come from the index; what they find (seldom anything) is
        # reported in the order of a walk, as before
        found: dict[int, list[Finding]] = {}
        for n in ctx.of(ast.Assign):
            for t in n.targets:
                if (name := _target_name(t)) and _grader_name(name):  # (what `_check_rebind` asks first)
                    if hits := [f for t in n.targets for f in self._check_rebind(cf, n, t, n.value, imported, module_fns)]:
                        found[id(n)] = hits
                    break
        # `setattr(...)`, `patch(...)`, `x.patch(...)`, `x.object(...)`: the only calls `_check_call` reads
        calls = ctx.calls_named(_PATCHES) + [c for c in ctx.calls_named(_SETATTR) if type(c.func) is ast.Name]
        for n in calls:
            if hits := list(self._check_call(cf, n, imported, module_fns)):
                found[id(n)] = hits
        if found:
            for n in ctx.all_nodes():
                yield from found.get(id(n), ())

    def _check_call(self, cf: ChangedFile, n: ast.Call, imported: set[str],
                    module_fns: dict[str, ast.AST]) -> Iterator[Finding]:
        if ((f := dotted(n.func)) == "setattr" and len(n.args) == 3
                and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str)):
            target = ast.Attribute(value=n.args[0], attr=n.args[1].value, ctx=ast.Store())
            yield from self._check_rebind(cf, n, target, n.args[2], imported, module_fns)
        elif f.rsplit(".", 1)[-1] in ("patch", "object"):
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
        name = _target_name(target)
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
