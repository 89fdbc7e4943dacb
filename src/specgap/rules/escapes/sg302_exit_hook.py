"""SG302 exit-hook: Hook that turns a failing run into a clean exit."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context, subtree
from specgap.analysis.folding import const_str
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
from specgap.rules.escapes._shared import (
    _HARD,
    _SOFT,
    FAILURE,
    SUCCESS,
    UNKNOWN,
    Exit,
    exit_of,
    exits_in,
)

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
    return not any(isinstance(n, (ast.Call, ast.Raise)) for s in body for n in subtree(s))


# the calls that register a callback or set a hook attribute
_REGISTERS = frozenset({"atexit.register", "threading.Timer", "signal.signal", "builtins.setattr"})

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
    family = "escapes"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"atexit|excepthook|unraisablehook|signal|Timer")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        top = Severity.CRITICAL if cf.role in (FileRole.HARNESS, FileRole.PROTECTED) else Severity.HIGH
        for call in ix.calls_to(_REGISTERS):
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
