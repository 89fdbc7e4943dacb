"""SG106 expected-value-changed: The expected value of an assertion was changed."""

from __future__ import annotations

import ast
from collections import Counter
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _equalities, _literal, _pairs, _product_edited



@register
class ExpectedValueChanged(Rule):
    """The expected value of an assertion was changed.

    What it does: in a test present before and after the change, finds `assert s == <literal>`
    (or `assertEqual`) whose subject stayed the same while the literal changed, and shows both.

    Severity follows the evidence. Low when the same change also edits product code: changing an
    expectation is normal when behaviour changes on purpose, but it is also how a wrong result is
    made to pass, so a reviewer should see the pair. Medium when the change edits no product
    file at all (only tests, harness or protected files): nothing in the change can explain why the
    expected output moved, which is the shape of the classic cheat (run the code, copy its output
    into the test). Humans make test-only expectation fixes too, which is why this is medium and
    not high; `--profile agent` raises every test edit to medium for gates that see only agents.

    Why is this bad: when the code is wrong, rewriting the expected value to the wrong output makes
    the test agree with the bug.

    Example:
        -    assert fib(10) == 55
        +    assert fib(10) == 89

    Use instead: change expected values only when the specification changed, and say so.
    """

    id = "SG106"
    name = "expected-value-changed"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        # any product file the change touches (code or data, not prose) may be why the output moved
        explained = _product_edited(changeset)
        severity = Severity.LOW if explained else Severity.MEDIUM
        why = "" if explained else " (the change edits no product code that could explain it)"
        for old, new in _pairs(cf):
            before: dict[str, list[ast.AST]] = {}
            for s, e, _c in _equalities(old.node):
                if _literal(e):
                    before.setdefault(s, []).append(e)
            if not before:
                continue
            after_eq = [(s, e, c) for s, e, c in _equalities(new.node) if _literal(e)]
            after_by_subj = Counter(s for s, _e, _c in after_eq)
            for s, e, c in after_eq:
                olds = before.get(s)
                if not olds or not cf.touches(c.lineno) or len(olds) != after_by_subj[s]:
                    continue
                old_dumps = [ast.dump(o) for o in olds]
                if ast.dump(e) in old_dumps:
                    continue
                new_dumps = {ast.dump(x) for x2, x, _ in after_eq if x2 == s}
                was = [o for o in olds if ast.dump(o) not in new_dumps]
                if not was:
                    continue
                yield self.finding(
                    cf, c, f"test {new.qualname}: expected value changed from {ast.unparse(was[0])} to {ast.unparse(e)}{why}",
                    before=ast.unparse(was[0]), after=ast.unparse(e), severity=severity,
                )
