"""The verify report: text (verdict and reasons first), JSON, and the shared report formats.

Test ids, failure messages and output come from the code under test: every text path shows
control characters as escapes, so a test name cannot move the cursor or hide a line.
"""

from __future__ import annotations

import json

from specgap import report
from specgap.model import Finding
from specgap.report.text import visible
from specgap.verify.sandbox import DESCRIPTIONS
from specgap.verify.session import Outcome
from specgap.verify.verdict import BY_MARKER


def to_dict(o: Outcome, scan: list[Finding] | None, scan_note: str) -> dict:
    v = o.verdict
    passed, total = v.count()
    return {
        "verdict": v.status,
        "decided_by": v.decided_by,
        "reasons": list(v.reasons),
        "message": v.message,
        "runner": o.runner,
        "base": o.base,
        "isolation": {"level": o.isolation, "description": DESCRIPTIONS.get(o.isolation, ""), "note": o.isolation_note},
        "counts": {"passed": passed, "total": total},
        "tests": [{"id": t.id, "status": t.status, "suite": t.suite, "detail": t.detail} for t in v.tests],
        "evidence": [f.to_dict() for f in v.evidence],
        "notes": list(v.notes),
        "scan": None if scan is None else {"findings": [f.to_dict() for f in scan], "note": scan_note},
        "timing": {k: round(x, 3) for k, x in o.timing.items()},
    }


def to_json(o: Outcome, scan: list[Finding] | None, scan_note: str) -> str:
    return json.dumps(to_dict(o, scan, scan_note), indent=2)


def to_shared(fmt: str, o: Outcome, scan: list[Finding] | None, scan_note: str) -> str:
    """sarif, github, jsonl: the run's evidence and the scan's findings as findings; the verdict
    rides in the summary."""
    d = to_dict(o, scan, scan_note)
    summary = {k: d[k] for k in ("verdict", "decided_by", "reasons", "counts", "base", "runner", "isolation")}
    return report.render(fmt, [*o.verdict.evidence, *(scan or [])], [], summary, command="verify")


def _row(status: str, tid: str, suite: str, detail: str, width: int) -> str:
    suite = "" if suite == "visible" else f" [{suite}]"
    detail = f"  {visible(detail.splitlines()[0][:160])}" if detail.strip() else ""
    return f"  {status:<20} {visible(tid):<{width}}{suite}{detail}"


def to_text(o: Outcome, scan: list[Finding] | None, scan_note: str, *, verbose: bool = False) -> str:
    v = o.verdict
    passed, total = v.count()
    lines = [f"verdict: {v.status.upper()}  (decided by: {v.decided_by})"]
    lines += [f"  - {visible(r)}" for r in v.reasons]
    lines.append(f"tests passed: {passed}/{total}   base: {o.base[:12] or '?'}   runner: {o.runner}")
    iso = f"isolation: {o.isolation} ({DESCRIPTIONS.get(o.isolation, '')})"
    lines.append(iso + (f"; {o.isolation_note}" if o.isolation_note else ""))
    shown = v.tests if verbose else [t for t in v.tests if t.status != "passed"]
    if shown:
        quiet = [t for t in shown if t.status in BY_MARKER]
        loud = sorted((t for t in shown if t.status not in BY_MARKER), key=lambda t: t.status != "error")
        width = min(max(len(t.id) for t in shown), 90)
        lines.append("")
        lines.append("tests:" if verbose else "tests that did not pass:")
        for t in loud + (quiet if verbose else []):
            lines.append(_row(t.status, t.id, t.suite, t.detail if t.status != "passed" else "", width))
        if quiet and not verbose:
            lines.append(f"  ({len(quiet)} left out by the base revision's own markers or config; -v lists them)")
    if v.evidence:
        lines.append("")
        lines.append("evidence:")
        for f in v.evidence:
            where = "" if f.path == "<verify>" else f" [{visible(f.path)}]"
            lines.append(f"  {f.rule_id} {f.name}: {visible(f.message)}{where}")
    for n in v.notes:
        lines.append(f"note: {visible(n)}")
    if scan is not None:
        lines.append("")
        lines.append(f"static scan: {len(scan)} finding(s)" + (f" ({visible(scan_note)})" if scan_note else ""))
        for f in scan:
            lines.append(f"  {f.rule_id} {f.name} [{f.severity.value}] {visible(f.path)}:{f.line}: {visible(f.message)}")
    return "\n".join(lines) + "\n"
