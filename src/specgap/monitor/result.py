"""What a check family returns: hypotheses to test (candidate findings), notes, and plot data.

A hypothesis becomes a finding only when its p-value, adjusted for every hypothesis in the run,
is below alpha; the run does that adjustment, so families never decide significance themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hypothesis:
    rule_id: str
    group: str | None
    p: float                 # one test's p-value, before adjustment
    severity: str            # from the effect size: low / medium / high / critical
    message: str
    evidence: str
    stats: dict[str, Any]    # effect, interval, n, ... (p-values are added by the run)
    rows: tuple[int, int] | None = None   # first and last row concerned (1-based, across the files)
    step: float | None = None             # the step where it starts (onset, peak, first window)
    max_confidence: str | None = None     # a cap, when the design leaves a confound open (stated in the evidence)

    def where(self) -> str:
        """`step 390, rows 3,901-12,000`: a location in the log, never a line number."""
        parts = [] if self.step is None else [f"step {_num(self.step)}"]
        if self.rows:
            a, b = self.rows
            parts.append(f"row {a:,}" if a == b else f"rows {a:,}-{b:,}")
        return ", ".join(parts)


@dataclass
class Note:
    """A check that could not conclude (too few rows, no variation ...), and why."""

    rule_id: str
    group: str | None
    message: str


@dataclass
class Plot:
    kind: str                # "divergence", "length", "self", "flags", "text"
    title: str
    data: dict[str, Any]
    group: str | None = None


@dataclass
class Outcome:
    hypotheses: list[Hypothesis] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)

    def extend(self, other: "Outcome") -> None:
        self.hypotheses += other.hypotheses
        self.notes += other.notes
        self.plots += other.plots


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def label(group: str | None) -> str:
    return "overall" if group is None else group
