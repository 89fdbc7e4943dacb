"""SG3xx runtime escapes: code that stops or reroutes the test run before failures are recorded."""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.analysis.folding import DECODER_NAMES, const_int, const_str
from specgap.analysis.guards import FuncLike, Where, is_main_guard
from specgap.analysis.guards import where as where_of
from specgap.analysis.context import Context, context
from specgap.analysis.names import Names
from specgap.analysis.parse import parse
from specgap.rules import register
from specgap.rules.base import Rule

# -- what an exit is -----------------------------------------------------------------------

# Soft exits raise SystemExit (pytest catches it inside a test, not at import); hard ones end the
# process on the spot, skipping `finally`, pytest's reporting and every later check.
_SOFT = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "pytest.exit", "_pytest.outcomes.exit"})
_HARD = frozenset({"os._exit", "posix._exit", "nt._exit", "os.abort", "os.kill", "os.killpg", "signal.raise_signal",
                   "signal.pthread_kill"})
_SELF = frozenset({"os.getpid", "os.getpgid", "os.getpgrp", "os.getppid", "threading.get_ident",
                   "threading.main_thread", "signal.pthread_self"})
_SYSTEMEXIT = frozenset({"builtins.SystemExit", "builtins.KeyboardInterrupt"})

SUCCESS, FAILURE, UNKNOWN = "success", "failure", "unknown"


@dataclass(frozen=True)
class Exit:
    node: ast.AST       # the call or raise
    what: str           # qualified name, e.g. "os._exit"
    hard: bool
    code: str           # SUCCESS (0/None/False), FAILURE (nonzero or a message), UNKNOWN (computed)


def _status(arg: ast.AST | None) -> str:
    """Exit status meaning of `sys.exit(arg)`: None/0/False succeed, other literals fail."""
    if arg is None or (isinstance(arg, ast.Constant) and arg.value is None):
        return SUCCESS
    n = const_int(arg)
    if n is not None:
        return SUCCESS if n == 0 else FAILURE
    if isinstance(arg, (ast.Constant, ast.JoinedStr)):  # sys.exit("message") exits with 1
        return FAILURE
    return UNKNOWN


def exit_of(node: ast.AST, names: Names) -> Exit | None:
    """The exit `node` performs, if it is a call or raise that ends the process."""
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc
        call = exc if isinstance(exc, ast.Call) else None
        q = names.qualname(call.func if call else exc)
        if q in _SYSTEMEXIT:
            if q == "builtins.KeyboardInterrupt":
                return Exit(node, "KeyboardInterrupt", False, FAILURE)
            return Exit(node, "SystemExit", False, _status(call.args[0] if call and call.args else None))
        return None
    if not isinstance(node, ast.Call):
        return None
    q = names.qualname(node.func)
    if q is None:
        return None
    if q in _SOFT:
        if q.endswith("pytest.exit") or q == "_pytest.outcomes.exit":
            rc = next((k.value for k in node.keywords if k.arg == "returncode"), node.args[1] if len(node.args) > 1 else None)
            # pytest.exit() without a returncode ends the session as "interrupted" (2)
            return Exit(node, q, False, FAILURE if rc is None else _status(rc))
        return Exit(node, q, False, _status(node.args[0] if node.args else None))
    if q in _HARD:
        if q in ("os.kill", "os.killpg", "signal.pthread_kill"):
            target = node.args[0] if node.args else None
            # os.kill(os.getpid(), ...), os.kill(0, ...) (own process group)
            own = target is not None and (
                (isinstance(target, ast.Call) and names.qualname(target.func) in _SELF)
                or (isinstance(target, ast.Attribute) and target.attr == "ident")
                or const_int(target) == 0
            )
            return Exit(node, q, True, UNKNOWN) if own else None
        if q.endswith("_exit"):
            return Exit(node, q, True, _status(node.args[0] if node.args else ast.Constant(0)))
        return Exit(node, q, True, UNKNOWN)
    return None


def exits_in(body: ast.AST, names: Names) -> list[Exit]:
    """Every exit anywhere under `body` (for hooks and callbacks whose whole body runs at exit)."""
    return [e for n in ast.walk(body) if (e := exit_of(n, names)) is not None]


# -- context ---------------------------------------------------------------------------------

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
        for n in ast.walk(t):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and _SNIFF.search(n.value):
                return True
            if isinstance(n, (ast.Name, ast.Attribute)) and _SNIFF.search(names.qualname(n) or ""):
                return True
    return False


def _returns_value(fn: FuncLike | None) -> bool:
    if fn is None or isinstance(fn, ast.Lambda):
        return False
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))


def _param_names(fn: FuncLike) -> set[str]:
    a = fn.args
    out = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs} - {"self", "cls"}
    return out | {p.arg for p in (a.vararg, a.kwarg) if p is not None}


def _depends_on_params(tests: tuple[ast.expr, ...], fn: FuncLike | None) -> bool:
    params = _param_names(fn) if fn is not None else set()
    return bool(params) and any(isinstance(n, ast.Name) and n.id in params for t in tests for n in ast.walk(t))


def _in_raises(withs: tuple[ast.expr, ...]) -> bool:
    """Inside `pytest.raises(...)`/`self.assertRaises(...)`: the exit is what the test checks."""
    for w in withs:
        f = w.func if isinstance(w, ast.Call) else w
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp") or any(
                isinstance(n, ast.Name) and n.id == "SystemExit" for n in ast.walk(w)):
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
        found = [e for n in ix.of(ast.Call, ast.Raise) if (e := exit_of(n, names)) is not None]
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
        fname = getattr(fn, "name", "<lambda>") if fn is not None else "?"
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
                return Severity.CRITICAL, f"inside {fname}() of the test harness: ends pytest before results are reported"
            return Severity.HIGH, f"inside {fname}() of the test harness"
        if cf.role is FileRole.TEST:
            if import_time:
                return (Severity.CRITICAL if e.hard else Severity.HIGH, "at import of a test module: its tests never run") if ok \
                    else (Severity.LOW, "at import of a test module")
            if not e.hard or e.code != SUCCESS or _in_raises(where.withs) or mod.forks:
                # pytest catches SystemExit in a test (it fails); a test killing itself tests signals
                return None
            return Severity.HIGH, f"inside {fname}(): the process ends before the test's checks"
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
            return Severity.LOW, f"inside {fname}(), after writing its output"
        # lambdas are callbacks (signal handlers, GUI actions); registering them is SG302's concern
        quit_fn = bool(_QUIT_FUNC.search(fname)) or isinstance(fn, ast.Lambda)
        cli_fn = bool(_CLI_FUNC.search(fname)) or mod.cli or quit_fn
        if e.hard:
            if mod.forks:
                return Severity.LOW, f"inside {fname}() of a module that forks (ends a child process)"
            if cli_fn and not _returns_value(fn):
                if e.code != SUCCESS:  # killing or aborting itself: the run fails, nothing looks green
                    return Severity.LOW, f"inside {fname}(), which ends the program on purpose"
                return Severity.MEDIUM, f"inside {fname}(): a hard exit skips cleanup and any caller's checks"
            return Severity.HIGH, f"inside {fname}(): the process ends before the caller can check the result"
        if cli_fn:
            return Severity.LOW, f"inside {fname}(), " + ("whose job is to end the program" if quit_fn else "a command-line entry point")
        if _returns_value(fn) or _depends_on_params(where.tests, fn):
            return Severity.HIGH, f"inside {fname}(), instead of returning a result"
        return Severity.MEDIUM, f"inside {fname}(): callers (and tests) are stopped instead of checked"




# -- SG302 -------------------------------------------------------------------------------------

_HOOK_ATTRS = frozenset({"sys.excepthook", "threading.excepthook", "sys.unraisablehook"})
_TIMED_SIGNALS = frozenset({"SIGALRM", "SIGVTALRM", "SIGPROF"})


def _local_def(name: str, ix: Context) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for fn in ix.of(ast.FunctionDef, ast.AsyncFunctionDef):
        if fn.name == name:
            return fn
    return None


def _callback_exits(cb: ast.expr, args: list[ast.expr], names: Names, ix: Context) -> list[Exit]:
    """Exits a callback performs when called: an exit function itself, a lambda or a local def."""
    q = names.qualname(cb)
    if q in _SOFT or q in _HARD:
        fake = ast.Call(func=cb, args=list(args), keywords=[])
        e = exit_of(fake, names) if q not in ("os.kill", "os.killpg", "signal.pthread_kill") else None
        return [Exit(cb, q, q in _HARD, e.code if e else UNKNOWN)]
    if isinstance(cb, ast.Call) and names.qualname(cb.func) == "functools.partial" and cb.args:
        return _callback_exits(cb.args[0], cb.args[1:], names, ix)
    if isinstance(cb, ast.Lambda):
        return exits_in(cb.body, names)
    if isinstance(cb, ast.Name):
        fn = _local_def(cb.id, ix)
        if fn is not None:
            return [e for s in fn.body for e in exits_in(s, names)]
    return []


def _swallows(cb: ast.expr, ix: Context) -> bool | None:
    """True: the hook drops the error silently; False: it does something; None: not ours to judge."""
    body: list[ast.AST]
    if isinstance(cb, ast.Lambda):
        body = [cb.body]
    elif isinstance(cb, ast.Name) and (fn := _local_def(cb.id, ix)) is not None:
        body = list(fn.body)
    else:
        return None  # restoring sys.__excepthook__ or a saved original
    return not any(isinstance(n, (ast.Call, ast.Raise)) for s in body for n in ast.walk(s))


@register
class ExitHook(Rule):
    """Hook that turns a failing run into a clean exit.

    What it does: finds `atexit.register` of an exit (`atexit.register(os._exit, 0)`, a lambda or
    local function that exits), `sys.excepthook` / `threading.excepthook` / `sys.unraisablehook`
    replaced by something that exits or silently drops the error, and timer or alarm-signal
    callbacks that exit. Hooks that log, or call the previous hook, stay low.

    Why is this bad: the hook runs after the failures happened and rewrites the process's exit
    status to 0 (pytest reports "2 failed" and still exits 0), so anything that trusts the exit
    status sees success.

    Example:
        import atexit, os
        atexit.register(os._exit, 0)
        sys.excepthook = lambda *exc: os._exit(0)

    Use instead: let the process exit with the status the test run produced; for crash reports,
    log the error and call `sys.__excepthook__`.
    """

    id = "SG302"
    name = "exit-hook"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"atexit|excepthook|unraisablehook|signal|Timer")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        names = context(tree).names
        top = Severity.CRITICAL if cf.role in (FileRole.HARNESS, FileRole.PROTECTED) else Severity.HIGH
        for call in ix.of(ast.Call):
            q = names.qualname(call.func)
            if q == "atexit.register" and call.args:
                yield from self._exit_callback(cf, call, _callback_exits(call.args[0], call.args[1:], names, ix),
                                               top, "registered to run at exit: it replaces the run's exit status")
            elif q == "threading.Timer" and len(call.args) >= 2:
                yield from self._exit_callback(cf, call, _callback_exits(call.args[1], _args_of(call, 2), names, ix),
                                               top, "on a timer: the process ends clean while work or checks are pending")
            elif q == "signal.signal" and len(call.args) == 2:
                sig = names.qualname(call.args[0]) or ""
                timed = sig.rsplit(".", 1)[-1] in _TIMED_SIGNALS
                yield from self._exit_callback(cf, call, _callback_exits(call.args[1], [], names, ix),
                                               top if timed else Severity.LOW,
                                               "on an alarm signal: a timed exit with a clean status" if timed
                                               else "as a signal handler")
            elif q == "builtins.setattr" and len(call.args) == 3:
                target = f"{names.qualname(call.args[0])}.{const_str(call.args[1], names)}"
                if target in _HOOK_ATTRS:
                    yield from self._hook(cf, call, target, call.args[2], names, ix, top)
        for node in ix.of(ast.Assign):
            for t in node.targets:
                target = names.qualname(t) if isinstance(t, ast.Attribute) else None
                if target in _HOOK_ATTRS:
                    yield from self._hook(cf, node, target, node.value, names, ix, top)
        for fn in ix.of(ast.FunctionDef, ast.AsyncFunctionDef):
            if any(names.qualname(d) == "atexit.register" for d in fn.decorator_list):
                exits = [e for s in fn.body for e in exits_in(s, names)]
                yield from self._exit_callback(cf, fn, exits, top, "registered to run at exit: it replaces the run's exit status",
                                               where=fn.decorator_list[0])

    def _exit_callback(self, cf: ChangedFile, node: ast.AST, exits: list[Exit], sev: Severity, why: str,
                       where: ast.AST | None = None) -> Iterator[Finding]:
        # a clean (or computed) exit; killing or aborting itself leaves a failure status
        e = next((x for x in exits if x.code == SUCCESS or (x.code == UNKNOWN and x.what.endswith("exit"))), None)
        if e is not None:
            yield self.finding(cf, where or node, f"{e.what} {why}", severity=sev)

    def _hook(self, cf: ChangedFile, node: ast.AST, target: str, cb: ast.expr, names: Names, ix: Context,
              top: Severity) -> Iterator[Finding]:
        exits = [x for x in _callback_exits(cb, [], names, ix) if x.code != FAILURE]
        if exits:
            yield self.finding(cf, node, f"{target} replaced by a hook that calls {exits[0].what}: "
                               "an uncaught error ends the run with a clean status", severity=top)
            return
        swallows = _swallows(cb, ix)
        if swallows:
            yield self.finding(cf, node, f"{target} replaced by a hook that drops errors silently",
                               severity=Severity.MEDIUM, confidence=Confidence.MEDIUM)
        elif swallows is False:
            yield self.finding(cf, node, f"{target} replaced (a crash reporter? check that it re-raises or calls the previous hook)",
                               severity=Severity.LOW, confidence=Confidence.LOW)


def _args_of(call: ast.Call, at: int) -> list[ast.expr]:
    """Positional arguments a Timer/Thread passes to its callback (`Timer(t, f, [0])`)."""
    seq = call.args[at] if len(call.args) > at else next((k.value for k in call.keywords if k.arg == "args"), None)
    return list(seq.elts) if isinstance(seq, (ast.List, ast.Tuple)) else []


# -- SG303 -------------------------------------------------------------------------------------

_SKIP_CALLS = frozenset({"pytest.skip", "pytest.xfail", "pytest.importorskip", "_pytest.outcomes.skip",
                         "_pytest.outcomes.xfail", "_pytest.outcomes.importorskip"})
_SKIP_EXC = frozenset({"unittest.SkipTest", "unittest.case.SkipTest", "pytest.skip.Exception", "pytest.xfail.Exception",
                       "_pytest.outcomes.Skipped", "_pytest.outcomes.XFailed", "nose.SkipTest",
                       "nose.plugins.skip.SkipTest", "unittest2.SkipTest"})
# hooks that run around every test: an unconditional skip there skips the whole suite
_RUN_HOOKS = re.compile(r"^pytest_(runtest_\w+|collection_modifyitems|collect_file|pycollect_makeitem|itemcollected|"
                        r"sessionstart|configure)$")


def _skip_of(node: ast.AST, names: Names) -> str | None:
    if isinstance(node, ast.Call):
        q = names.qualname(node.func)
        return q if q in _SKIP_CALLS else None
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        q = names.qualname(exc)
        return q if q in _SKIP_EXC else None
    return None


@register
class SkipFromProduct(Rule):
    """Test skipped or xfailed from code that is not a test.

    What it does: finds `pytest.skip()`, `pytest.xfail()`, `pytest.importorskip()` and
    `raise unittest.SkipTest` in product code (the code under test), and unconditional ones at
    import of a conftest.py or in its per-test hooks. Pytest plugins, test-support modules and
    conftest fixtures that skip when an optional dependency is missing stay low.

    Why is this bad: a test that raises Skip from inside the function it calls is reported as
    skipped, not failed; many graders count "no failures" (or even xfail) as success, so the
    broken function passes.

    Example:
        def parse(text):
            if "{" in text:
                raise unittest.SkipTest("nested input")
            ...

    Use instead: fail (raise an error) on input you cannot handle; put skips in the tests, with
    the reason, where a reviewer sees them.
    """

    id = "SG303"
    name = "skip-from-product"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    roles = (FileRole.PRODUCT, FileRole.HARNESS, FileRole.PROTECTED)
    mentions = re.compile(r"skip|xfail|SkipTest|Skipped|XFailed")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        names = context(tree).names
        hits = [(n, q) for n in ix.of(ast.Call, ast.Raise) if (q := _skip_of(n, names)) is not None]
        if not hits:
            return
        support = _test_support(cf, ix, names)
        for node, q in hits:
            where = where_of(node, ix)
            what = q.rsplit(".", 1)[-1] if "." in q else q
            fn_names = [getattr(f, "name", "") for f in where.funcs]
            if cf.role is FileRole.PRODUCT:
                if support or any("test" in n.lower() for n in fn_names):
                    sev, why = Severity.LOW, "in a pytest plugin or test-support module"
                elif what == "importorskip":
                    sev, why = Severity.MEDIUM, "in product code: tests that import it are skipped when the import fails"
                else:
                    sev, why = Severity.HIGH, "in product code: a test calling it is reported as skipped or xfailed, not failed"
            else:
                fn = where.funcs[-1] if where.funcs else None
                hook = fn is not None and bool(_RUN_HOOKS.match(getattr(fn, "name", "")))
                # importorskip only skips when the import fails: a missing optional dependency
                if what != "importorskip" and not where.branch and (fn is None and where.import_time or hook):
                    sev, why = Severity.HIGH, "unconditionally in the test harness: every test it covers is skipped"
                else:
                    sev, why = Severity.LOW, "in the test harness"
            yield self.finding(cf, node, f"{what} {why}", severity=sev,
                               confidence=Confidence.HIGH if sev >= Severity.HIGH else Confidence.MEDIUM)


def _test_support(cf: ChangedFile, ix: Context, names: Names) -> bool:
    """A pytest plugin or a module of test helpers, where driving skips is the point."""
    if any("test" in part for part in cf.path.lower().split("/")):
        return True
    if any(q and q.split(".", 1)[0] in ("_pytest", "pluggy") for q in names.bound.values()):
        return True
    return any(fn.name.startswith("pytest_") for fn in ix.of(ast.FunctionDef))


# -- SG304 -------------------------------------------------------------------------------------

_EXEC = frozenset({"builtins.exec", "builtins.eval", "builtins.compile"})
_LOADERS = frozenset({"marshal.loads", "pickle.loads", "zlib.decompress", "lzma.decompress", "bz2.decompress",
                      "gzip.decompress"})
_BUILDERS = frozenset({"builtins.chr", "builtins.bytes", "builtins.bytearray"})
_MAX_NESTING = 3


def _hides(arg: ast.expr, names: Names) -> str | None:
    """How an exec'd argument is disguised (decoded, built from characters, reversed), if it is."""
    hints: list[tuple[int, str]] = []  # (rank, hint): the most telling disguise wins
    for n in ast.walk(arg):
        if isinstance(n, ast.Call):
            q = names.qualname(n.func)
            if q in DECODER_NAMES or q in _LOADERS:
                hints.append((0, f"decoded with {q}"))
            elif q in _BUILDERS:
                hints.append((1, "built from character codes"))
            elif isinstance(n.func, ast.Attribute) and n.func.attr in ("join", "decode"):
                hints.append((2, f"assembled with .{n.func.attr}()"))
        elif isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and n.slice.step is not None:
            hints.append((1, "reversed or sliced"))
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            hints.append((3, "concatenated from pieces"))
    return min(hints)[1] if hints else None


def _payload(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in ("source", "object", "expression")), None)


def _hidden_exits(code: str, depth: int = 0) -> list[Exit]:
    """Exits in a decoded payload, looking through payloads it decodes and runs in turn."""
    tree, _ = parse(code)
    if tree is None or depth > _MAX_NESTING:
        return []
    names = context(tree).names
    found = exits_in(tree, names)
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and names.qualname(n.func) in _EXEC and (p := _payload(n)) is not None:
            inner = const_str(p, names)
            if inner is not None:
                found += _hidden_exits(inner.decode("utf-8", "replace") if isinstance(inner, bytes) else inner, depth + 1)
    return found


def _short(code: str) -> str:
    one = " ".join(code.split())
    return one if len(one) <= 80 else one[:77] + "..."


@register
class ObfuscatedExec(Rule):
    """Code executed from a disguised string, decoded here to show what it hides.

    What it does: finds `exec`/`eval`/`compile` of strings that are decoded (base64, hex, rot13,
    zlib, marshal), built from character codes, joined, reversed or concatenated, folds them
    statically (nothing is run) and reports what they contain. A hidden process exit is reported
    as such; any other disguised payload is shown for review. Plain literal code that exits is
    reported too.

    Why is this bad: the only reason to encode source code inside a solution is to hide it from
    review and from scanners; in graded runs the payload is almost always an early exit or a
    patch of the test framework.

    Example:
        import base64
        exec(base64.b64decode("aW1wb3J0IHN5czsgc3lzLmV4aXQoMCk=").decode())  # import sys; sys.exit(0)

    Use instead: write the code as code.
    """

    id = "SG304"
    name = "obfuscated-exec"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"exec|eval|compile")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree
        if tree is None:
            return
        ix = context(tree)
        names = context(tree).names
        top = Severity.CRITICAL if cf.role in (FileRole.HARNESS, FileRole.PROTECTED) else Severity.HIGH
        for call in ix.of(ast.Call):
            if names.qualname(call.func) not in _EXEC or (arg := _payload(call)) is None:
                continue
            if isinstance(arg, ast.Constant) and not isinstance(arg.value, (str, bytes)):
                continue
            hides = _hides(arg, names)
            value = const_str(arg, names)
            if value is None:
                if hides and hides.startswith("decoded"):
                    yield self.finding(cf, call, f"executes data {hides}", severity=Severity.MEDIUM)
                continue
            code = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            exits = [e for e in _hidden_exits(code) if e.code != FAILURE]
            if exits:
                how = f" ({hides})" if hides else ""
                yield self.finding(cf, call, f"executes hidden code{how} that calls {exits[0].what}: {_short(code)!r}",
                                   severity=top, confidence=Confidence.HIGH)
            elif hides:
                yield self.finding(cf, call, f"executes code {hides}: {_short(code)!r}")
