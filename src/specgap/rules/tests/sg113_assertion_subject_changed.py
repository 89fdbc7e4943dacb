"""SG113 assertion-subject-changed: An assertion kept its expected value and was pointed at a different input."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _equalities, _literal, _pairs, _product_edited


def _retargeted(old: ast.AST, new: ast.AST) -> list[tuple[str, str]] | None:
    """The literal arguments that differ when `old` and `new` call the same thing with the same
    shape of arguments (`fib(10)` -> `fib(9)`), else None."""
    if not (isinstance(old, ast.Call) and isinstance(new, ast.Call)):
        return None
    if ast.dump(old.func) != ast.dump(new.func) or len(old.args) != len(new.args):
        return None
    if [k.arg for k in old.keywords] != [k.arg for k in new.keywords]:
        return None
    changed: list[tuple[str, str]] = []
    for a, b in zip(old.args + [k.value for k in old.keywords], new.args + [k.value for k in new.keywords]):
        if ast.dump(a) == ast.dump(b):
            continue
        if not (_literal(a) and _literal(b)):
            return None  # a different expression: a rewrite, not a new input
        changed.append((ast.unparse(a), ast.unparse(b)))
    return changed or None


@register
class AssertionSubjectChanged(Rule):
    """An assertion kept its expected value and was pointed at a different input.

    What it does: in a test present before and after the change, pairs an assertion that left
    (`assert fib(10) == 55`) with one that arrived in its place with the same expected literal
    (`assert fib(9) == 55`) and reports it when the subject is the same call with different
    literal arguments: the input was moved until the output matched, instead of the output being
    fixed. Medium when the change edits no product code that could explain it, low when it does
    (an API whose arguments changed meaning) or when the expected value is one that many inputs
    share (`True`, `None`, `0`, empty). A renamed function, a changed argument expression
    (`fib(n)` -> `fib(n + 1)`) or an added argument is a rewrite, not reported.

    Why is this bad: the cheat usually edits the expected value (SG106); moving the input does the
    same thing from the other side, and a reviewer looking only at the expected values misses it.
    The test still passes, and the input it was written for is no longer checked.

    Example:
        -    assert fib(10) == 55
        +    assert fib(9) == 55

    Use instead: keep the test's input and fix the code; if the input was wrong, fix it in a
    change that says why.
    """

    id = "SG113"
    name = "assertion-subject-changed"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        explained = _product_edited(changeset)
        for old, new in _pairs(cf):
            before = [(s, e, c) for s, e, c in _equalities(old.node) if _literal(e)]
            after = [(s, e, c) for s, e, c in _equalities(new.node) if _literal(e)]
            if not before or not after:
                continue
            kept = {s for s, _e, _c in before} & {s for s, _e, _c in after}
            gone = [(e, c) for s, e, c in before if s not in kept]
            for s, e, c in after:
                if s in kept or not cf.touches(c.lineno):
                    continue
                match = [(oe, oc) for oe, oc in gone if ast.dump(oe) == ast.dump(e)]
                if len(match) != 1:
                    continue  # none, or ambiguous
                old_subject = _subject(match[0][1], match[0][0])
                new_subject = _subject(c, e)
                if old_subject is None or new_subject is None:
                    continue
                changed = _retargeted(old_subject, new_subject)
                if changed is None:
                    continue
                gone = [(oe, oc) for oe, oc in gone if oc is not match[0][1]]
                # `== True` / `== 0` holds for many inputs: swapping one for another is a new case
                weak = explained or ast.literal_eval(e) in (True, False, None, 0, "", ())
                moves = ", ".join(f"{a} -> {b}" for a, b in changed)
                yield self.finding(
                    cf, c, f"test {new.qualname}: expected value {ast.unparse(e)} kept, input changed ({moves})"
                    + ("" if explained else " (the change edits no product code that could explain it)"),
                    before=ast.unparse(old_subject), after=ast.unparse(new_subject),
                    severity=Severity.LOW if weak else Severity.MEDIUM,
                    confidence=Confidence.LOW if weak else Confidence.MEDIUM,
                )


def _subject(check: ast.AST, expected: ast.AST) -> ast.AST | None:
    """The side of an equality check that is not the expected literal."""
    if isinstance(check, ast.Assert) and isinstance(check.test, ast.Compare):
        a, b = check.test.left, check.test.comparators[0]
    elif isinstance(check, ast.Call) and len(check.args) >= 2:
        a, b = check.args[0], check.args[1]
    else:
        return None
    return a if b is expected else b if a is expected else None
