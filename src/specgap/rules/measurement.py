"""SG6xx measurement tampering: code that changes the instruments a grader measures with."""

from __future__ import annotations

import ast
import builtins
import re
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.analysis.folding import const_str
from specgap.analysis.guards import where
from specgap.analysis.context import Context, context
from specgap.analysis.names import Names
from specgap.rules import register
from specgap.rules.base import Rule

_NON_TEST = (FileRole.PRODUCT, FileRole.HARNESS, FileRole.PROTECTED)
_PATCHERS = frozenset({"unittest.mock.patch", "mock.patch", "unittest.mock.patch.object", "mock.patch.object",
                       "pytest.MonkeyPatch.setattr"})


def patches(tree: ast.AST) -> Iterator[tuple[ast.AST, str, ast.expr | None]]:
    """(node, qualified target, new value) for every rebinding of a module or class attribute:
    `time.time = f`, `setattr(time, "time", f)`, `builtins.__dict__["len"] = f`,
    `mock.patch("time.time", f)`, `monkeypatch.setattr(time, "time", f)`."""
    ix = context(tree)
    names = context(tree).names
    for node in ix.of(ast.Assign, ast.AugAssign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for leaf in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(leaf, (ast.Attribute, ast.Subscript)):
                    q = names.qualname(leaf)
                    if q is not None and "." in q:
                        yield node, q, node.value
    for call in ix.of(ast.Call):
        q = names.qualname(call.func)
        args = call.args
        is_setattr = q == "builtins.setattr" or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "setattr"
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "monkeypatch")
        if (is_setattr or (q or "").endswith("patch.object")) and len(args) >= 2:
            attr = const_str(args[1], names)
            obj = names.qualname(args[0]) if not isinstance(args[0], ast.Constant) else None
            if isinstance(attr, str) and obj:
                yield call, f"{obj}.{attr}", args[2] if len(args) > 2 else None
            elif is_setattr and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                yield call, args[0].value, args[1]  # monkeypatch.setattr("time.time", f)
        elif q in _PATCHERS and args:
            target = const_str(args[0], names)
            if isinstance(target, str):
                yield call, target, args[1] if len(args) > 1 else None


def _compat(node: ast.AST, ix: Context) -> bool:
    """Under `if not hasattr(mod, name):` or `except (ImportError, AttributeError):`: a shim that
    fills in a missing name rather than replacing a working one."""
    for p in ix.ancestors(node):
        if isinstance(p, ast.If) and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                                         and n.func.id == "hasattr" for n in ast.walk(p.test)):
            return True
        if isinstance(p, ast.ExceptHandler):
            return True
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
    return False


class _PatchRule(Rule):
    """Shared shape of the SG6xx patch rules: match rebinding targets, grade, report."""

    roles = _NON_TEST
    kind = Kind.TAMPERING

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        raise NotImplementedError

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        found = [(node, target, g) for node, target, value in patches(tree) if (g := self.grade(target, value))]
        times: dict[str, int] = {}
        for _, target, _ in found:
            times[target] = times.get(target, 0) + 1
        for node, target, (sev, why) in found:
            if _compat(node, ix):
                sev, why = Severity.LOW, why + " (as a compatibility shim)"
            elif times[target] > 1 and where(node, ix).funcs:
                # patch-and-restore inside a function: a sandbox or a context manager, not a rigged process
                sev, why = Severity.LOW, why + " (temporarily: the file also restores it)"
            yield self.finding(cf, node, why, severity=sev)


# -- SG601 -------------------------------------------------------------------------------------

_CLOCKS = frozenset({"time.time", "time.perf_counter", "time.monotonic", "time.process_time", "time.thread_time",
                     "time.time_ns", "time.perf_counter_ns", "time.monotonic_ns", "time.process_time_ns",
                     "time.thread_time_ns", "time.clock", "datetime.datetime", "datetime.date",
                     "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
                     "datetime.date.today", "timeit.default_timer", "timeit.timeit", "timeit.repeat", "timeit.Timer",
                     "torch.cuda.synchronize", "torch.cuda.Event", "torch.cuda.Event.elapsed_time",
                     "torch.cuda.Event.record", "torch.cuda.Event.synchronize", "torch.cuda.current_stream",
                     "torch.utils.benchmark.Timer", "cupy.cuda.Event", "cupy.cuda.get_elapsed_time",
                     "triton.testing.do_bench"})


@register
class ClockTampering(_PatchRule):
    """Clock or timer replaced, so measured durations are whatever the code says.

    What it does: finds assignments (and `setattr`, `mock.patch`, `monkeypatch.setattr` outside
    tests) that replace `time.time`/`perf_counter`/`monotonic`/`process_time` (and `_ns`),
    `datetime.datetime`/`now`, `timeit.default_timer`, `torch.cuda.synchronize`,
    `torch.cuda.Event.elapsed_time`, `triton.testing.do_bench`. Binding a local name
    (`perf_counter = time.clock`) is not a replacement; filling in a missing attribute under
    `hasattr`/`except` stays low.

    Why is this bad: a benchmark or timeout check that reads a patched clock measures the patch:
    `time.perf_counter` advancing 1 µs per call makes any code "fast", a no-op
    `torch.cuda.synchronize` times only the kernel launch.

    Example:
        _t = iter(range(10**9))
        time.perf_counter = lambda: next(_t) * 1e-6

    Use instead: make the code faster; in tests, fake time with `freezegun` or `monkeypatch`.
    """

    id = "SG601"
    name = "clock-tampering"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"time|datetime|timer|cuda|synchronize|elapsed|bench")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target in _CLOCKS:
            return Severity.HIGH, f"replaces {target}: timings read from it are made up"
        if target == "time.sleep":
            return Severity.MEDIUM, "replaces time.sleep: waits and timeouts no longer take time"
        return None


# -- SG602 -------------------------------------------------------------------------------------

_RNG_MODULES = ("random.", "numpy.random.", "torch.random.", "secrets.")
_RNG = frozenset({"os.urandom", "uuid.uuid4", "torch.manual_seed", "torch.rand", "torch.randn", "torch.randint",
                  "torch.randperm", "torch.cuda.manual_seed", "torch.cuda.manual_seed_all"})
_SEEDS = frozenset({"random.seed", "numpy.random.seed", "torch.manual_seed", "torch.cuda.manual_seed_all",
                    "tensorflow.random.set_seed"})


@register
class RiggedRandomness(_PatchRule):
    """Random number generator replaced, or seeded by a module the tests import.

    What it does: finds replacement of `random.*`, `numpy.random.*`, `torch` RNG functions,
    `os.urandom`, `uuid.uuid4`, `secrets.*` (assignment, `setattr`, patching outside tests), and
    reports, low, constant seeding at import time of a product module.

    Why is this bad: randomized and property-based tests draw their inputs from these functions;
    a rigged generator hands the tests the few inputs the code was special-cased for (and a
    `random.seed = lambda *a: None` ignores the grader's own seeding).

    Example:
        random.random = lambda: 0.5
        np.random.randint = lambda *a, **k: 3

    Use instead: leave the global generators alone; take a `random.Random(seed)` or
    `np.random.default_rng(seed)` argument where reproducibility is needed.
    """

    id = "SG602"
    name = "rigged-randomness"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"random|urandom|uuid|secrets|seed|rand")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target.startswith(_RNG_MODULES) or target in _RNG or target in ("random", "numpy.random"):
            return Severity.HIGH, f"replaces {target}: the tests' random inputs come from this code"
        return None

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        yield from super().check_file(cf, changeset)
        tree = cf.after.tree
        if tree is None or cf.role is not FileRole.PRODUCT:
            return
        ix = context(tree)
        names = context(tree).names
        for call in ix.of(ast.Call):
            q = names.qualname(call.func)
            if q in _SEEDS and call.args and isinstance(call.args[0], ast.Constant) and where(call, ix).import_time:
                yield self.finding(cf, call, f"{q}() with a constant at import time: every importer's "
                                   "random draws become fixed", severity=Severity.LOW, confidence=Confidence.LOW)


# -- SG603 -------------------------------------------------------------------------------------

_BUILTIN_NAMES = frozenset(dir(builtins))


@register
class BuiltinsPatch(_PatchRule):
    """A builtin replaced for the whole process (`builtins.print`, `__builtins__['len']`).

    What it does: finds assignments into `builtins` / `__builtins__` (attribute, item, `setattr`,
    patching outside tests) that replace an existing builtin such as `print`, `open`, `len`,
    `isinstance`, `sorted`, `round`. Adding a new name (gettext's `_`, a debugging helper) stays low.

    Why is this bad: graders run in the same process and use the builtins: a patched `print` or
    `open` rewrites the output they compare, a patched `len`/`isinstance`/`round` changes what
    their checks compute.

    Example:
        import builtins
        builtins.round = lambda x, n=0: expected

    Use instead: define a local function with another name; never rebind a builtin globally.
    """

    id = "SG603"
    name = "builtins-patch"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"builtins")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if not target.startswith("builtins.") or target.count(".") != 1:
            return None
        name = target.split(".", 1)[1]
        if name in _BUILTIN_NAMES and name != "_":
            return Severity.HIGH, f"replaces the builtin {name}() for every module, the grader's included"
        return Severity.LOW, f"adds {name!r} to builtins"


# -- SG604 -------------------------------------------------------------------------------------

_COMPARE = frozenset({"math.isclose", "cmath.isclose", "numpy.allclose", "numpy.isclose", "numpy.array_equal",
                      "numpy.array_equiv", "numpy.equal", "numpy.all", "torch.allclose", "torch.equal",
                      "torch.isclose", "operator.eq", "operator.ne", "operator.__eq__", "operator.__ne__",
                      "operator.truth", "pytest.approx", "math.isnan", "math.isfinite", "numpy.isnan",
                      "numpy.isfinite", "difflib.SequenceMatcher"})
_COMPARE_MODULES = ("numpy.testing.", "torch.testing.", "pandas.testing.", "pandas.util.testing.",
                    "unittest.TestCase.assert", "unittest.case.TestCase.assert", "np.testing.")


@register
class ComparisonPatch(_PatchRule):
    """Comparison or assertion helper replaced so that checks always agree.

    What it does: finds replacement (assignment, `setattr`, patching outside tests) of
    `math.isclose`, `numpy.allclose`/`isclose`/`array_equal`, `numpy.testing.*`,
    `torch.allclose`/`torch.testing.*`, `pandas.testing.*`, `operator.eq`, `pytest.approx`,
    `unittest.TestCase.assert*`, `math.isnan`/`isfinite`.

    Why is this bad: the grader's checks call these functions; replaced by `lambda *a, **k: True`
    every comparison passes whatever the code computed.

    Example:
        import numpy
        numpy.testing.assert_allclose = lambda *a, **k: None

    Use instead: fix the numbers; if a tolerance is genuinely wrong, change it in the test, visibly.
    """

    id = "SG604"
    name = "comparison-patch"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"close|equal|testing|operator|approx|assert|isnan|isfinite|Sequence")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target in _COMPARE or target.startswith(_COMPARE_MODULES):
            return Severity.HIGH, f"replaces {target}: checks that use it no longer compare"
        return None


# -- SG605 -------------------------------------------------------------------------------------

_NAN_NAMES = frozenset({"math.nan", "numpy.nan", "numpy.NaN", "numpy.NAN", "cmath.nan", "torch.nan", "float.nan"})
_NAN_FUNC = re.compile(r"nan|(^|_)na($|_)|null|missing|fill|sentinel|default|empty|invalid|undefined", re.I)


def _is_nan(node: ast.AST | None, names: Names) -> bool:
    if node is None:
        return False
    if isinstance(node, (ast.Name, ast.Attribute)):
        return names.qualname(node) in _NAN_NAMES
    if isinstance(node, ast.Call) and len(node.args) == 1:
        q = names.qualname(node.func) or ""
        if q in ("builtins.float", "numpy.float64", "numpy.float32", "numpy.double", "torch.tensor", "numpy.array"):
            arg = node.args[0]
            s = const_str(arg, names)
            return (isinstance(s, str) and s.strip().lower() in ("nan", "+nan", "-nan")) or _is_nan(arg, names)
    return False


@register
class NanReturn(Rule):
    """Function that always returns NaN, whatever its inputs.

    What it does: finds functions (and lambdas) with parameters whose every `return` gives a
    constant NaN (`float('nan')`, `math.nan`, `np.nan`). Functions named for missing values
    (`nan_value`, `na_fill`, `default`), and NaN returned on some paths only, are not reported.

    Why is this bad: a tolerance check written as `not (abs(result - expected) > tol)` passes for
    NaN, since every comparison with NaN is false; returning NaN is a way to pass such checks
    without computing anything.

    Example:
        def loss(pred, target):
            return float("nan")

    Use instead: compute the value; signal "no value" with an exception or None.
    """

    id = "SG605"
    name = "nan-return"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = _NON_TEST
    mentions = re.compile(r"nan|NaN|NAN")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        names = context(tree).names
        own = _returns_by_function(ix)
        for fn in ix.of(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs] + [
                a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
            if not [p for p in params if p not in ("self", "cls")] or _NAN_FUNC.search(getattr(fn, "name", "")):
                continue
            rets = own.get(fn, [])
            values: list[ast.AST | None] = [fn.body] if isinstance(fn, ast.Lambda) else [r.value for r in rets]
            if values and all(_is_nan(v, names) for v in values):
                at = fn if isinstance(fn, ast.Lambda) else min(rets, key=lambda r: r.lineno)
                yield self.finding(cf, at, f"{getattr(fn, 'name', 'lambda')}() always returns NaN: "
                                   "`not (err > tol)` style checks pass for it")


def _returns_by_function(ix: Context) -> dict[ast.AST, list[ast.Return]]:
    """Return statements grouped by the function they belong to (not functions nested in it)."""
    out: dict[ast.AST, list[ast.Return]] = {}
    for r in ix.of(ast.Return):
        for p in ix.ancestors(r):
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                out.setdefault(p, []).append(r)
                break
    return out
