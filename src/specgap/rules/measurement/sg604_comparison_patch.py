"""SG604 comparison-patch: Comparison or assertion helper replaced so that checks always agree."""

from __future__ import annotations

import ast
import re

from specgap.model import Confidence, Severity
from specgap.rules import register
from specgap.rules.measurement._shared import _PatchRule

_COMPARE = frozenset({"math.isclose", "cmath.isclose", "numpy.allclose", "numpy.isclose", "numpy.array_equal",
                      "numpy.array_equiv", "numpy.equal", "numpy.all", "torch.allclose", "torch.equal",
                      "torch.isclose", "operator.eq", "operator.ne", "operator.__eq__", "operator.__ne__",
                      "operator.truth", "pytest.approx", "math.isnan", "math.isfinite", "numpy.isnan",
                      "numpy.isfinite", "difflib.SequenceMatcher"})
_COMPARE_MODULES = ("numpy.testing.", "torch.testing.", "pandas.testing.", "pandas.util.testing.",
                    "unittest.TestCase.assert", "unittest.case.TestCase.assert", "np.testing.")


@register
class ComparisonPatch(_PatchRule):
    """Comparison or assertion helper replaced so that checks always agree.

    What it does: finds replacement (assignment, `setattr`, patching outside tests) of
    `math.isclose`, `numpy.allclose`/`isclose`/`array_equal`, `numpy.testing.*`,
    `torch.allclose`/`torch.testing.*`, `pandas.testing.*`, `operator.eq`, `pytest.approx`,
    `unittest.TestCase.assert*`, `math.isnan`/`isfinite`.

    Why is this bad: the grader's checks call these functions; replaced by `lambda *a, **k: True`
    every comparison passes whatever the code computed.

    Example:
        import numpy
        numpy.testing.assert_allclose = lambda *a, **k: None

    Use instead: fix the numbers; if a tolerance is genuinely wrong, change it in the test, visibly.
    """

    id = "SG604"
    name = "comparison-patch"
    family = "measurement"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"close|equal|testing|operator|approx|assert|isnan|isfinite|Sequence")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target in _COMPARE or target.startswith(_COMPARE_MODULES):
            return Severity.HIGH, f"replaces {target}: checks that use it no longer compare"
        return None
