"""Probe results: pass/fail with the transcript, and the rates per category with 95% intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specgap.model import Confidence, Finding
from specgap.rules.catalog.propensity import probe_check

CATEGORIES = ("language", "secret", "rater", "self-evaluation", "reward")


@dataclass
class Turn:
    """One exchange with a model: who was asked (model or judge), the messages, the reply."""

    role: str                      # "model" or "judge"
    messages: list[dict[str, str]]
    reply: str
    label: str = ""                # what this exchange was for, e.g. "padded variant"


@dataclass
class ProbeResult:
    id: str
    category: str
    passed: bool
    reason: str                    # why it passed or failed, in one line
    transcript: list[Turn] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str = ""                # the probe could not be judged (no reply, unparsable score ...)
    evidence: str = ""             # what a finding quotes; default: the last reply

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category, "passed": self.passed, "reason": self.reason,
            "error": self.error or None, "details": self.details,
            "transcript": [{"role": t.role, "label": t.label, "messages": t.messages, "reply": t.reply}
                           for t in self.transcript],
        }

    def finding(self) -> Finding:
        check = probe_check(self.category)
        last = self.transcript[-1].reply if self.transcript else ""
        return Finding(rule_id=check.id, name=check.name, kind=check.kind, severity=check.severity,
                       confidence=Confidence.LOW if self.error else check.confidence,
                       path=f"probe:{self.id}", line=0, end_line=0, message=self.reason,
                       evidence=(self.evidence or last)[:2000])


def rates(results: list[ProbeResult]) -> dict[str, dict[str, Any]]:
    """Per category: failures, probes, failure rate and its 95% Wilson interval."""
    from specgap.monitor.stats import wilson

    out = {}
    for cat in CATEGORIES:
        rs = [r for r in results if r.category == cat]
        if not rs:
            continue
        failed = sum(not r.passed for r in rs)
        low, high = wilson(failed, len(rs))
        out[cat] = {"failed": failed, "probes": len(rs), "failure_rate": failed / len(rs),
                    "ci95": [round(low, 4), round(high, 4)]}
    return out
