"""SG603 builtins-patch: A builtin replaced for the whole process (`builtins.print`, `__builtins__['len']`)."""

from __future__ import annotations

import ast
import builtins
import re

from specgap.model import Confidence, Severity
from specgap.rules import register
from specgap.rules.measurement._shared import _PatchRule

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
    family = "measurement"
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
