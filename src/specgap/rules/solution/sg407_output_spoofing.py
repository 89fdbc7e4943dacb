"""SG407 output-spoofing: Product code that prints or writes what a grader reads as a test result."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context, subtree
from specgap.analysis.guards import is_main_guard
from specgap.analysis.names import dotted
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.solution._shared import _EXIT_CALLS

_STATUS_LINES = (
    # pytest -v lines and summaries, unittest's summary: what log-parsing graders read
    (re.compile(r"::\S*\s+(PASSED|PASS|OK)\b|\b(PASSED|PASS)\s+\S*(::|test_)"), "a pytest result line"),
    (re.compile(r"(^|[\s=])\d+\s+passed\b|=+\s*\d*\s*passed\b.*=+"), "a pytest summary"),
    (re.compile(r"^\s*Ran\s+\d+\s+tests?\s+in\b"), "a unittest summary"),
)
_ALL_PASSED = re.compile(r"\ball\s+(\d+\s+)?(tests?|checks?|cases?)\s+(have\s+)?passed\b", re.IGNORECASE)
_BARE_OK = re.compile(r"^\s*(OK|PASS(ED)?|SUCCESS)\s*[.!]?\s*$")
_GRADER_FILES = (
    (re.compile(r"(^|/)reward[^/]*\.(txt|json)$|/logs/verifier/|ctrf|junit[^/]*\.xml$|(^|/)report\.xml$", re.I), Severity.HIGH),
    (re.compile(r"(^|/)(test[-_]?)?results?\.(json|xml|txt)$|\.pytest_cache|lastfailed", re.I), Severity.MEDIUM),
)
_WRITE_CALLS = frozenset({"print", "sys.stdout.write", "sys.__stdout__.write", "sys.stderr.write", "os.write"})


def _template(node: ast.AST) -> str | None:
    """The text of a string constant or f-string (placeholders become "0"), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "0" for v in node.values)
    return None


_OPENERS = frozenset({"open", "io.open", "codecs.open"})
_PATH_WRITES = frozenset({"write_text", "write_bytes"})
# the last parts of every call name above (and `atexit.register`'s)
_LAST_NAMES = frozenset(f.rsplit(".", 1)[-1] for f in _EXIT_CALLS | _WRITE_CALLS | _OPENERS | {"atexit.register"}) | _PATH_WRITES


@register
class OutputSpoofing(Rule):
    """Product code that prints or writes what a grader reads as a test result.

    What it does: finds prints of status lines a log-parsing grader trusts (`PASSED
    tests/test_x.py::test_y`, `5 passed in 0.01s`, `Ran 3 tests in`), prints of a bare `OK`/`PASSED`
    from code that also exits, and writes to grader files (`reward.txt`, `/logs/verifier/`,
    junit/CTRF reports, `results.json`). High from `atexit` handlers, from code that cuts the run
    short (`os._exit`, an exit while the module is imported), and for reward files. "All tests passed" in a script's `__main__` self-check is low.

    Why is this bad: graders that parse stdout take the last status line they see, and graders
    that read a report file trust whoever wrote it; printing or writing the verdict replaces it.

    Example:
        import atexit
        atexit.register(print, "PASSED tests/test_solution.py::test_all")

    Use instead: let the test runner report results; keep a program's own output to its task.
    """

    id = "SG407"
    name = "output-spoofing"
    family = "solution"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        tree = ctx.tree
        at_exit: set[str] = set()
        guarded: set[int] = set()
        for s in tree.body:
            if isinstance(s, ast.If) and is_main_guard(s.test):
                guarded.update(id(n) for n in subtree(s))
        # what each call that may matter calls, spelled out once; no other call can be reported or
        # count as an exit, and only scopes holding one of these need a look
        named = ctx.calls_named(_LAST_NAMES)
        if not named:
            return
        called = {id(n): dotted(n.func) for n in named}
        at_exit.update(dotted(n.args[0]) for n in named if n.args and called[id(n)] == "atexit.register")
        at_exit.update(n.name for n in ctx.of(ast.FunctionDef, ast.AsyncFunctionDef)
                       if any(dotted(d) == "atexit.register" for d in n.decorator_list))
        holding = {id(ctx.scope_of(n)) for n in named}
        for scope, _, nodes in ctx.scopes:
            if id(scope) not in holding:
                continue
            calls = [n for n in nodes if id(n) in called]
            exit_calls = {f for n in calls if (f := called[id(n)]) in _EXIT_CALLS}
            # `os._exit` skips the runner's own report; a module that exits while being imported
            # ends the test run; a CLI's `main()` that exits is just a CLI
            exits = "os._exit" in exit_calls or (bool(exit_calls) and isinstance(scope, ast.Module))
            in_atexit = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and scope.name in at_exit
            for n in calls:
                f = called[id(n)]
                if f == "atexit.register" and len(n.args) >= 2 and dotted(n.args[0]) in _WRITE_CALLS:
                    yield from self._status(cf, n, n.args[1], True, False, False)
                elif f in _WRITE_CALLS and n.args:
                    arg = n.args[1] if f == "os.write" and len(n.args) > 1 else n.args[0]
                    yield from self._status(cf, n, arg, in_atexit, exits, id(n) in guarded)
                elif f in _OPENERS or type(n.func) is ast.Attribute and n.func.attr in _PATH_WRITES:
                    yield from self._grader_file(cf, n)

    def _status(self, cf: ChangedFile, call: ast.Call, arg: ast.AST, in_atexit: bool, exits: bool,
                guarded: bool) -> Iterator[Finding]:
        text = _template(arg)
        if text is None:
            return
        strong = in_atexit or exits
        for pattern, what in _STATUS_LINES:
            if any(pattern.search(line) for line in text.splitlines()):
                sev = Severity.HIGH if strong else Severity.LOW if guarded and what != "a pytest result line" else Severity.MEDIUM
                yield self.finding(cf, call, f"prints {what}{' at exit' if in_atexit else ''}: a log-parsing grader reads it "
                                   "as the test outcome", severity=sev)
                return
        if _BARE_OK.match(text) and strong:
            yield self.finding(cf, call, f"prints a bare {text.strip()!r} and exits: the whole output a grader sees",
                               severity=Severity.HIGH if in_atexit else Severity.MEDIUM)
        elif _ALL_PASSED.search(text):
            sev = Severity.MEDIUM if strong else Severity.LOW
            yield self.finding(cf, call, "prints that all tests passed", severity=sev,
                               confidence=Confidence.LOW if sev is Severity.LOW else None)

    def _grader_file(self, cf: ChangedFile, call: ast.Call) -> Iterator[Finding]:
        f = dotted(call.func)
        path: str | None = None
        if f in _OPENERS and call.args:
            mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
            m = _template(mode) if mode is not None else None
            if m and any(c in m for c in "wax+"):
                path = _template(call.args[0])
        elif isinstance(call.func, ast.Attribute) and call.func.attr in _PATH_WRITES:
            inner = call.func.value
            if isinstance(inner, ast.Call) and dotted(inner.func).endswith("Path") and inner.args:
                path = _template(inner.args[0])
        if not path:
            return
        for pattern, sev in _GRADER_FILES:
            if pattern.search(path):
                yield self.finding(cf, call, f"product code writes `{path}`, a file graders read results from", severity=sev)
                return
