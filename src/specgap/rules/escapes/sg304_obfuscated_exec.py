"""SG304 obfuscated-exec: Code executed from a disguised string, decoded here to show what it hides."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context, context
from specgap.analysis.folding import DECODER_NAMES, const_str
from specgap.analysis.names import Names
from specgap.analysis.parse import parse
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
from specgap.rules.escapes._shared import FAILURE, Exit, exits_in

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
    family = "escapes"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"exec|eval|compile")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        top = Severity.CRITICAL if cf.role in (FileRole.HARNESS, FileRole.PROTECTED) else Severity.HIGH
        for call in ix.calls_to(_EXEC):
            if (arg := _payload(call)) is None:
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
