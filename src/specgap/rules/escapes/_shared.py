"""What the escapes family's rules share."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from specgap.analysis.context import Context, subtree
from specgap.analysis.folding import const_int
from specgap.analysis.names import Names

# Soft exits raise SystemExit (pytest catches it inside a test, not at import); hard ones end the
# process on the spot, skipping `finally`, pytest's reporting and every later check.
_SOFT = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "pytest.exit", "_pytest.outcomes.exit"})
_HARD = frozenset({"os._exit", "posix._exit", "nt._exit", "os.abort", "os.kill", "os.killpg", "signal.raise_signal",
                   "signal.pthread_kill"})
_SELF = frozenset({"os.getpid", "os.getpgid", "os.getpgrp", "os.getppid", "threading.get_ident",
                   "threading.main_thread", "signal.pthread_self"})
_SYSTEMEXIT = frozenset({"builtins.SystemExit", "builtins.KeyboardInterrupt"})
SUCCESS, FAILURE, UNKNOWN = "success", "failure", "unknown"
# the last part of those names: `x.attr(...)` ends in `attr`, so other attributes need no resolving
_EXITS = _SOFT | _HARD | _SYSTEMEXIT
_LAST = frozenset(q.rsplit(".", 1)[1] for q in _EXITS)


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


def module_exits(ix: Context) -> list[Exit]:
    """Every exit a module performs: `exit_of` of its raises and of its calls of an exit (only
    those are resolved: see `Context.calls_to`)."""
    names = ix.names
    return [e for n in ix.calls_to(_EXITS) + ix.of(ast.Raise) if (e := exit_of(n, names)) is not None]


def exit_of(node: ast.AST, names: Names) -> Exit | None:
    """The exit `node` performs, if it is a call or raise that ends the process."""
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc
        call = exc if isinstance(exc, ast.Call) else None
        raised = call.func if call else exc
        if isinstance(raised, ast.Attribute) and raised.attr not in _LAST:
            return None
        if isinstance(raised, ast.Name) and raised.id not in _LAST and raised.id not in names.bound:
            return None  # `raise ValueError(...)`: a plain name is SystemExit only if so named or bound to it
        q = names.qualname(raised)
        if q in _SYSTEMEXIT:
            if q == "builtins.KeyboardInterrupt":
                return Exit(node, "KeyboardInterrupt", False, FAILURE)
            return Exit(node, "SystemExit", False, _status(call.args[0] if call and call.args else None))
        return None
    if not isinstance(node, ast.Call) or (isinstance(node.func, ast.Attribute) and node.func.attr not in _LAST):
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
    return [e for n in subtree(body) if (e := exit_of(n, names)) is not None]
