"""SG112 tolerance-widened: A test's numeric tolerance was loosened."""

from __future__ import annotations

import ast
from typing import Iterator

from specgap.analysis import testfns as tf
from specgap.analysis.context import subtree
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.tests._shared import _pairs

# keyword -> True when a larger value is looser (`rel=`), False when smaller is (`places=`)
_TOLERANCES = {"rel": True, "abs": True, "atol": True, "rtol": True, "delta": True, "rel_tol": True,
               "abs_tol": True, "places": False, "decimal": False}


def _number(node: ast.AST) -> float | None:
    try:
        v = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _tolerances(fn: ast.AST) -> dict[tuple[str, str], list[tuple[float | None, ast.keyword]]]:
    """(called name, keyword) -> the values given, in source order."""
    out: dict[tuple[str, str], list[tuple[float | None, ast.keyword]]] = {}
    for node in subtree(fn):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in _TOLERANCES:
                    out.setdefault((tf.call_name(node), kw.arg), []).append((_number(kw.value), kw))
    return out


@register
class ToleranceWidened(Rule):
    """A test's numeric tolerance was loosened.

    What it does: in a test present before and after the change, compares the tolerances its
    checks give (`pytest.approx(rel=, abs=)`, `assertAlmostEqual(places=, delta=)`,
    `numpy.testing.assert_allclose(atol=, rtol=)`, `math.isclose(rel_tol=)`) and reports one that
    became looser: a larger `rel`/`abs`/`atol`/`rtol`/`delta`, fewer `places`/`decimal`.
    Tolerances in new tests are not compared (a new float-heavy test picks its own).

    Low: numerical code changes, and a tolerance tuned to a new algorithm is normal. But widening
    a tolerance until a wrong result fits inside it is the quiet form of changing an expected
    value, so a reviewer should see the old and new bound. `--profile agent` reports it at medium.

    Why is this bad: with a wide enough tolerance every answer is right.

    Example:
        -    assert area(r) == pytest.approx(3.14159, rel=1e-6)
        +    assert area(r) == pytest.approx(3.14159, rel=0.1)

    Use instead: fix the computation; widen a tolerance only with a reason about the numerics.
    """

    id = "SG112"
    name = "tolerance-widened"
    family = "tests"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or cf.before is None:
            return
        for old, new in _pairs(cf):
            before = _tolerances(old.node)
            for key, values in _tolerances(new.node).items():
                olds = before.get(key, [])
                if len(olds) != len(values):
                    continue  # checks added or removed: not the same bounds to compare
                for (was, _k0), (now, kw) in zip(olds, values):
                    if was is None or now is None or now == was or not cf.touches(kw.value.lineno):
                        continue
                    if (now > was) is _TOLERANCES[key[1]]:
                        yield self.finding(cf, kw.value, f"test {new.qualname}: {key[0]}({key[1]}=...) loosened from "
                                           f"{ast.unparse(_k0.value)} to {ast.unparse(kw.value)}",
                                           before=ast.unparse(_k0.value), after=ast.unparse(kw.value))
