"""SG301 early-exit: Process exit that ends the test run before failures are recorded."""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from typing import Iterator

from specgap.analysis.context import Context, context, subtree
from specgap.analysis.folding import const_int
from specgap.analysis.guards import FuncLike, Where, is_main_guard
from specgap.analysis.guards import where as where_of
from specgap.analysis.names import Names
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
from specgap.rules.escapes._shared import FAILURE, SUCCESS, UNKNOWN, Exit, module_exits

_CLI_MODULES = frozenset({"argparse", "optparse", "getopt", "click", "typer", "docopt", "fire", "plac", "cleo",
                          "rich_click", "cyclopts"})
_STDIN = frozenset({"sys.stdin", "builtins.input", "fileinput.input", "sys.stdin.read", "sys.stdin.readline",
                    "sys.stdin.buffer", "sys.argv"})
_FORKS = frozenset({"os.fork", "os.forkpty", "pty.fork", "multiprocessing.Process", "os.daemon", "daemon.DaemonContext"})
_OUTPUT = frozenset({"builtins.print", "sys.stdout.write", "sys.stderr.write", "sys.stdout.flush", "click.echo",
                     "click.secho", "typer.echo", "traceback.print_exc", "parser.error", "parser.print_help"})
_LOG_METHODS = frozenset({"error", "exception", "critical", "warning", "warn", "info", "fatal", "print_help",
                          "print_usage", "echo", "write", "print"})
_CLI_FUNC = re.compile(r"(^|_)(main|cli|run|entry|entrypoint|console|command|cmd|app|script|start)($|_)", re.I)
# functions whose job is to end the program: GUI quit actions, signal handlers, shutdown paths
_QUIT_FUNC = re.compile(r"(quit|exit|shutdown|close|stop|terminate|abort|die|bye|kill|handler|signal|interrupt|^on_)", re.I)
_SNIFF = re.compile(r"pytest|unittest|nose|test", re.I)


def _is_output(stmt: ast.stmt | None, names: Names) -> bool:
    """An statement that reports something: print, stdout/stderr write, a log or echo call."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    if names.qualname(func) in _OUTPUT:
        return True
    return isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS


def _sniffs_runner(tests: tuple[ast.expr, ...], names: Names) -> bool:
    """A condition that asks whether a test runner is present (`'pytest' in sys.modules`, env ...)."""
    for t in tests:
        for n in subtree(t):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and _SNIFF.search(n.value):
                return True
            if isinstance(n, (ast.Name, ast.Attribute)) and _SNIFF.search(names.qualname(n) or ""):
                return True
    return False


def _returns_value(fn: FuncLike | None) -> bool:
    if fn is None or isinstance(fn, ast.Lambda):
        return False
    return any(isinstance(n, ast.Return) and n.value is not None for n in subtree(fn))


def _param_names(fn: FuncLike) -> set[str]:
    a = fn.args
    out = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs} - {"self", "cls"}
    return out | {p.arg for p in (a.vararg, a.kwarg) if p is not None}


def _depends_on_params(tests: tuple[ast.expr, ...], fn: FuncLike | None) -> bool:
    params = _param_names(fn) if fn is not None else set()
    return bool(params) and any(isinstance(n, ast.Name) and n.id in params for t in tests for n in subtree(t))


def _in_raises(withs: tuple[ast.expr, ...]) -> bool:
    """Inside `pytest.raises(...)`/`self.assertRaises(...)`: the exit is what the test checks."""
    for w in withs:
        f = w.func if isinstance(w, ast.Call) else w
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp") or any(
                isinstance(n, ast.Name) and n.id == "SystemExit" for n in subtree(w)):
            return True
    return False


@dataclass
class _Module:
    """Facts about the whole file that change how an exit in it reads."""

    cli: bool = False         # a command-line program: argparse/click..., __main__.py, has a main guard
    stdin: bool = False       # reads stdin/argv: a script, not a module the tests import
    forks: bool = False       # forks: os._exit ends a child, which is what it is for


def _describe(e: Exit) -> str:
    if e.what in ("os.kill", "os.killpg", "signal.raise_signal", "signal.pthread_kill"):
        return f"{e.what} on its own process"
    if e.what == "os.abort":
        return e.what
    return e.what + {SUCCESS: " with status 0", FAILURE: " with a failure status", UNKNOWN: " with a computed status"}[e.code]


def _module_facts(cf: ChangedFile, ix: Context, names: Names) -> _Module:
    bound = [q for q in names.bound.values() if q]
    mod = _Module(stdin=cf.after is not None and cf.after.text.startswith("#!"))
    mod.cli = any(q.split(".", 1)[0] in _CLI_MODULES for q in bound) or any(
        is_main_guard(n.test) for n in ix.of(ast.If) if isinstance(ix.parent.get(n), ast.Module))
    refs = [n for a in ("stdin", "argv", "fork", "forkpty", "Process", "DaemonContext") for n in ix.attrs.get(a, ())]
    refs += [n for n in ix.of(ast.Name) if n.id in names.bound or n.id == "input"]
    for n in refs:
        q = names.qualname(n)
        mod.stdin |= q in _STDIN
        mod.forks |= q in _FORKS
    mod.stdin |= any(isinstance(c.func, ast.Name) and c.func.id == "open" and c.args and const_int(c.args[0]) == 0
                     for c in ix.of(ast.Call))
    return mod


@register
class EarlyExit(Rule):
    """Process exit that ends the test run before failures are recorded.

    What it does: finds `sys.exit`, `exit()`/`quit()`, `raise SystemExit`, `os._exit`, `os.abort`,
    `os.kill(os.getpid(), ...)` and `pytest.exit(returncode=0)`, however imported or aliased, that
    run when the tests import the code (module level of a product module, a conftest.py, a test
    module) or inside the functions the tests call. Exits under `if __name__ == "__main__":`, in
    CLI entry points, in forked children and after a script prints its answer stay low or silent;
    a status-0 exit at import of a conftest or behind a "is pytest running?" check is critical.

    Why is this bad: `os._exit(0)` (or `sys.exit(0)` in a conftest) ends pytest with status 0 and no
    failures reported; graders that read the exit status, or that count failures, see a green run
    while no test ran. An exit inside a solution function replaces its answer with a clean stop.

    Example:
        # conftest.py
        import sys
        sys.exit(0)

        def solution(n):
            if n > 10:
                os._exit(0)
            return fib(n)

    Use instead: return the result (or raise an exception describing the failure); keep process
    exits in a `main()` called under `if __name__ == "__main__":`.
    """

    id = "SG301"
    name = "early-exit"
    family = "escapes"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"exit|quit|SystemExit|abort|kill|raise_signal|__import__|getattr|modules|vars\(|__dict__")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        # `python -m pkg` runs __main__.py; tests never import it, so its exits are its job
        if tree is None or posixpath.basename(cf.path) == "__main__.py":
            return
        ix = context(tree)
        names = context(tree).names
        found = module_exits(ix)
        if not found:
            return
        mod = _module_facts(cf, ix, names)
        for e in found:
            where = where_of(e.node, ix)
            if where.main_guard:
                continue
            graded = self._grade(cf, mod, e, where, names)
            if graded is not None:
                sev, why = graded
                yield self.finding(cf, e.node, f"{_describe(e)} {why}", severity=sev,
                                   confidence=Confidence.HIGH if sev >= Severity.HIGH else Confidence.MEDIUM)

    def _grade(self, cf: ChangedFile, mod: _Module, e: Exit, where: Where, names: Names) -> tuple[Severity, str] | None:
        fn = where.funcs[-1] if where.funcs else None
        # an indented hunk of a diff read without its file: it may be in a function we cannot see
        import_time = where.import_time and not (cf.after is not None and cf.after.partial and e.node.col_offset > 0)
        # a partial file's hunk may sit in a def the diff shows only in its `@@ ... @@` header
        fname = (getattr(fn, "name", "<lambda>") if fn is not None
                 else cf.after.function_outside(e.node.lineno) if cf.after is not None else None)
        inside = f"inside {fname}()" if fname else "in a function outside the hunk"
        ok = e.code != FAILURE
        sniff = _sniffs_runner(where.tests, names)
        after_output = _is_output(where.prev, names)
        if sniff and ok:
            return Severity.CRITICAL, "only when a test runner is detected: the run ends clean exactly when it is graded"
        if cf.role in (FileRole.HARNESS, FileRole.PROTECTED):
            if import_time:
                if ok:
                    return Severity.CRITICAL, f"at import of {posixpath.basename(cf.path)}: the test run stops before any test is recorded"
                return Severity.MEDIUM, f"at import of {posixpath.basename(cf.path)}: the test run is aborted"
            if not ok:
                return None
            if e.hard:
                return Severity.CRITICAL, f"{inside} of the test harness: ends pytest before results are reported"
            return Severity.HIGH, f"{inside} of the test harness"
        if cf.role is FileRole.TEST:
            if import_time:
                return (Severity.CRITICAL if e.hard else Severity.HIGH, "at import of a test module: its tests never run") if ok \
                    else (Severity.LOW, "at import of a test module")
            if not e.hard or e.code != SUCCESS or _in_raises(where.withs) or mod.forks:
                # pytest catches SystemExit in a test (it fails); a test killing itself tests signals
                return None
            return Severity.HIGH, f"{inside}: the process ends before the test's checks"
        # product code
        script_exit = not e.hard and after_output and (mod.stdin or not import_time)
        if import_time:
            if not ok or e.code == UNKNOWN and not e.hard:
                return Severity.LOW, "at module level (a failure or propagated status, not a fake success)"
            if script_exit or (mod.stdin and not e.hard and where.branch):
                return Severity.LOW, "in a script that reads its input, after writing its output"
            if e.hard:
                return Severity.CRITICAL, "at import time: any test run importing this module ends clean, with no results"
            return Severity.HIGH, "at import time: a test run importing this module stops before its tests"
        if not ok or (e.code == UNKNOWN and not e.hard):
            return None  # a failure status, or one computed and passed on (`sys.exit(main())`)
        if script_exit:
            return Severity.LOW, f"{inside}, after writing its output"
        # lambdas are callbacks (signal handlers, GUI actions); registering them is SG302's concern
        quit_fn = bool(_QUIT_FUNC.search(fname or "")) or isinstance(fn, ast.Lambda)
        cli_fn = bool(_CLI_FUNC.search(fname or "")) or mod.cli or quit_fn
        if e.hard:
            if mod.forks:
                return Severity.LOW, f"{inside} of a module that forks (ends a child process)"
            if cli_fn and not _returns_value(fn):
                if e.code != SUCCESS:  # killing or aborting itself: the run fails, nothing looks green
                    return Severity.LOW, f"{inside}, which ends the program on purpose"
                return Severity.MEDIUM, f"{inside}: a hard exit skips cleanup and any caller's checks"
            return Severity.HIGH, f"{inside}: the process ends before the caller can check the result"
        if cli_fn:
            return Severity.LOW, f"{inside}, " + ("whose job is to end the program" if quit_fn else "a command-line entry point")
        if _returns_value(fn) or _depends_on_params(where.tests, fn):
            return Severity.HIGH, f"{inside}, instead of returning a result"
        return Severity.MEDIUM, f"{inside}: callers (and tests) are stopped instead of checked"
