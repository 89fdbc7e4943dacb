"""SG602 rigged-randomness: Random number generator replaced, or seeded by a module the tests import."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import context
from specgap.analysis.guards import where
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Severity,
)
from specgap.rules import register
from specgap.rules.measurement._shared import _PatchRule

_RNG_MODULES = ("random.", "numpy.random.", "torch.random.", "secrets.")
_RNG = frozenset({"os.urandom", "uuid.uuid4", "torch.manual_seed", "torch.rand", "torch.randn", "torch.randint",
                  "torch.randperm", "torch.cuda.manual_seed", "torch.cuda.manual_seed_all"})
_SEEDS = frozenset({"random.seed", "numpy.random.seed", "torch.manual_seed", "torch.cuda.manual_seed_all",
                    "tensorflow.random.set_seed"})


@register
class RiggedRandomness(_PatchRule):
    """Random number generator replaced, or seeded by a module the tests import.

    What it does: finds replacement of `random.*`, `numpy.random.*`, `torch` RNG functions,
    `os.urandom`, `uuid.uuid4`, `secrets.*` (assignment, `setattr`, patching outside tests), and
    reports, low, constant seeding at import time of a product module.

    Why is this bad: randomized and property-based tests draw their inputs from these functions;
    a rigged generator hands the tests the few inputs the code was special-cased for (and a
    `random.seed = lambda *a: None` ignores the grader's own seeding).

    Example:
        random.random = lambda: 0.5
        np.random.randint = lambda *a, **k: 3

    Use instead: leave the global generators alone; take a `random.Random(seed)` or
    `np.random.default_rng(seed)` argument where reproducibility is needed.
    """

    id = "SG602"
    name = "rigged-randomness"
    family = "measurement"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"random|urandom|uuid|secrets|seed|rand")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target.startswith(_RNG_MODULES) or target in _RNG or target in ("random", "numpy.random"):
            return Severity.HIGH, f"replaces {target}: the tests' random inputs come from this code"
        return None

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        yield from super().check_file(cf, changeset)
        tree = cf.after.tree
        if tree is None or cf.role is not FileRole.PRODUCT:
            return
        ix = context(tree)
        names = context(tree).names
        for call in ix.calls_to(_SEEDS):
            q = names.qualname(call.func)
            if call.args and isinstance(call.args[0], ast.Constant) and where(call, ix).import_time:
                yield self.finding(cf, call, f"{q}() with a constant at import time: every importer's "
                                   "random draws become fixed", severity=Severity.LOW, confidence=Confidence.LOW)
