"""SG501 frame-introspection: Solution code that reads its caller's frame: the test's locals, source line or objects."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from typing import Iterator

from specgap.analysis.context import Context
from specgap.analysis.folding import const_str
from specgap.analysis.names import Names
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.leaks._shared import _NON_TEST, _probes, _scope

# names a grader gives the value a result is compared with
_ANSWER = re.compile(r"expect|answer|^want(ed)?$|correct|gold|truth|oracle|^exp$|^sol(ution)?$|^ref$", re.I)
# ... and, when read by key from a frame, also the usual names of the compared result
_ANSWER_KEY = re.compile(_ANSWER.pattern + r"|^result$|^res$|^target$|^output$", re.I)


def _code_strings(scope: ast.AST, ix: Context) -> Iterator[str]:
    """String constants of a function other than docstrings."""
    for n in ast.walk(scope):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and not isinstance(ix.parent.get(n), ast.Expr):
            yield n.value


def _parses_source(scope: ast.AST, ix: Context, names: Names) -> bool:
    """The function picks source text apart for a comparison: '==' / 'assert' strings, regexes, ast."""
    if any("==" in s or "assert" in s or _ANSWER.search(s) for s in _code_strings(scope, ix)):
        return True
    return any(isinstance(n, ast.Call) and (names.qualname(n.func) or "").startswith(("ast.parse", "re."))
               for n in ast.walk(scope))


def _looks_for_answers(scope: ast.AST, ix: Context) -> bool:
    return any(_ANSWER.search(s) for s in _probes(scope, ix))


_FRAME_CALLS = frozenset({"sys._getframe", "sys._current_frames", "inspect.currentframe", "inspect.stack",
                          "inspect.getouterframes", "inspect.getframeinfo", "inspect.trace", "inspect.getinnerframes",
                          "traceback.extract_stack", "traceback.walk_stack", "traceback.StackSummary.extract",
                          "sys.settrace", "sys.setprofile"})
_GC_CALLS = frozenset({"gc.get_referrers", "gc.get_objects", "gc.get_referents"})
_SOURCE_CALLS = frozenset({"inspect.getsource", "inspect.getsourcelines", "linecache.getline", "linecache.getlines"})
_CALLS = _FRAME_CALLS | _GC_CALLS | _SOURCE_CALLS
_FRAME_ATTRS = ("f_back", "f_locals", "f_globals", "code_context", "tb_frame")


class _Evidence:
    """What one function does with frames; graded as a whole, reported once."""

    def __init__(self) -> None:
        self.first: ast.AST | None = None
        self.strongest: tuple[int, ast.AST, str] | None = None

    def add(self, rank: int, node: ast.AST, why: str) -> None:
        if self.first is None:
            self.first = node
        if self.strongest is None or rank > self.strongest[0]:
            self.strongest = (rank, node, why)


_RANKS = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@register
class FrameIntrospection(Rule):
    """Solution code that reads its caller's frame: the test's locals, source line or objects.

    What it does: finds stack and frame introspection (`sys._getframe`, `inspect.currentframe`/
    `stack`/`getouterframes`, `.f_back`, `.f_locals`, `.f_globals`, `code_context`,
    `gc.get_referrers`/`get_objects`, `traceback.extract_stack`) in code that is not a test, and
    grades what is done with it: writing into a caller's `f_locals` is critical; reading a caller's
    locals or scanning objects for names like `expected`/`answer`/`result`, or reading the
    caller's source line to find the `== value` it is compared with, is high; reading an element of
    a caller's locals, or walking the stack for locals, is medium. Logger-style use
    (`f_code.co_name`, `f_globals['__name__']`, `stacklevel`) stays low.

    Why is this bad: a function that looks up the value the test expects and returns it passes the
    test without computing anything; on Python 3.13 it can even overwrite the expected value.

    Example:
        def solve(n):
            caller = inspect.currentframe().f_back
            return caller.f_locals["expected"]

    Use instead: compute the result from the arguments; frames are for debuggers and loggers.
    """

    id = "SG501"
    name = "frame-introspection"
    family = "leaks"
    kind = Kind.GAMING
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    roles = _NON_TEST
    mentions = re.compile(r"frame|stack|f_back|f_locals|f_globals|gc\b|get_referrers|get_objects")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        scopes: dict[ast.AST, _Evidence] = defaultdict(_Evidence)
        for call in ix.calls_to(_CALLS):
            q = names.qualname(call.func)
            if q in _FRAME_CALLS:
                scopes[_scope(call, ix)].add(0, call, f"{q}()")
            elif q in _GC_CALLS:
                scope = _scope(call, ix)
                answers = _looks_for_answers(scope, ix)
                scopes[scope].add(2 if answers else 0, call,
                                  f"{q}() in a function looking for answer-like names" if answers else f"{q}()")
            elif q in _SOURCE_CALLS and any(
                    isinstance(n, ast.Attribute) and n.attr in ("f_code", "f_back", "frame", "f_lineno")
                    for a in call.args for n in ast.walk(a)):
                scope = _scope(call, ix)
                parses = _parses_source(scope, ix, names)
                scopes[scope].add(2 if parses else 0, call, f"{q}() of a frame: reads the caller's source"
                                  + (" and looks for the compared value" if parses else ""))
        for attr in _FRAME_ATTRS:
            for node in ix.attrs.get(attr, ()):
                scope = _scope(node, ix)
                ev = scopes[scope]
                if attr == "code_context":
                    # the IBT trick: parse `assert solve(x) == 14` off the caller's line
                    parses = _parses_source(scope, ix, names)
                    ev.add(2 if parses else 0, node, "reads the calling line's source (code_context)"
                           + (" and looks for the compared value" if parses else ""))
                elif attr in ("f_locals", "f_globals"):
                    self._locals(ev, node, attr, scope, ix)
                else:
                    ev.add(0, node, f".{attr}")
        for ev in scopes.values():
            if ev.strongest is None:
                continue
            rank, node, why = ev.strongest
            sev = _RANKS[rank]
            yield self.finding(cf, node if rank else ev.first or node, f"frame introspection: {why}", severity=sev,
                               confidence=Confidence.HIGH if rank >= 2 else Confidence.MEDIUM if rank else Confidence.LOW)

    def _locals(self, ev: _Evidence, node: ast.Attribute, attr: str, scope: ast.AST, ix: Context) -> None:
        parent = ix.parent.get(node)
        key = _key_read(node, parent, ix)
        if _is_write(node, parent, ix):
            if attr == "f_locals":
                ev.add(3, node, "writes into a frame's f_locals: it can rewrite the caller's expected value")
            elif key is not None and _ANSWER_KEY.search(key):
                ev.add(2, node, f"writes {key!r} into a frame's f_globals")
            else:  # DSLs inject names into the caller's module (sympy's var())
                ev.add(0, node, "writes into a frame's f_globals")
            return
        if key is not None:
            if _ANSWER_KEY.search(key):
                ev.add(2, node, f"reads {key!r} from a frame's {attr}")
            else:
                ev.add(0, node, f"reads {key!r} from a frame's {attr}")
            return
        if attr == "f_locals" and _looks_for_answers(scope, ix):
            ev.add(2, node, "searches a frame's f_locals for answer-like names")
        else:
            ev.add(0, node, f".{attr}")


def _key_read(node: ast.Attribute, parent: ast.AST | None, ix: Context) -> str | None:
    """`x.f_locals['k']`, `x.f_locals.get('k')`: the constant key read, if any."""
    if isinstance(parent, ast.Subscript) and parent.value is node:
        k = const_str(parent.slice)
        return k if isinstance(k, str) else None
    if isinstance(parent, ast.Attribute) and parent.attr in ("get", "pop", "setdefault"):
        call = ix.parent.get(parent)
        if isinstance(call, ast.Call) and call.args:
            k = const_str(call.args[0])
            return k if isinstance(k, str) else None
    if isinstance(parent, ast.Compare) and parent.comparators and parent.comparators[-1] is node:
        k = const_str(parent.left)  # 'expected' in frame.f_locals
        return k if isinstance(k, str) else None
    return None


def _is_write(node: ast.Attribute, parent: ast.AST | None, ix: Context) -> bool:
    if isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Store):
        return True
    if isinstance(parent, ast.Attribute) and parent.attr in ("update", "__setitem__", "setdefault"):
        call = ix.parent.get(parent)
        return isinstance(call, ast.Call) and call.func is parent and (parent.attr != "setdefault" or len(call.args) > 1)
    return False
