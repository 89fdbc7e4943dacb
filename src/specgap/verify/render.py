"""The verify report through the shared report layer: verdict and reasons first, then verify's own
part (the tests that did not pass), then the run's evidence and the static scan's findings as every
command prints findings. JSON is the shared envelope with verify's fields beside it. JUnit is
verify's own (`specgap.verify.junit`).

Test ids, failure messages and notes come from the code under test: every one reaches the terminal
through `report.visible`, so a test name cannot move the cursor or hide a line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from specgap import report
from specgap.model import Finding
from specgap.verify.sandbox import DESCRIPTIONS
from specgap.verify.session import Outcome
from specgap.verify.verdict import BY_MARKER

visible = report.visible
# Evidence about the run as a whole carries this path; text groups findings under their path.
_RUN_PATH = "<verify>"


def summary(o: Outcome) -> dict[str, Any]:
    """What a reader needs first, the same in every format: the verdict, who decided it, why."""
    v = o.verdict
    passed, total = v.count()
    return {
        "verdict": v.status,
        "decided_by": v.decided_by,
        "reasons": list(v.reasons),
        "counts": {"passed": passed, "total": total},
        "base": o.base,
        "runner": o.runner,
        "isolation": {"level": o.isolation, "description": DESCRIPTIONS.get(o.isolation, ""), "note": o.isolation_note},
    }


def _extra(o: Outcome, scan: list[Finding] | None, scan_note: str) -> dict[str, Any]:
    """verify's own fields in the JSON envelope (the verdict and counts also at the top, where the
    GitHub Action reads them); `findings` holds the run's evidence, then the scan's."""
    v = o.verdict
    s = summary(o)
    return {
        "verdict": s["verdict"],
        "counts": s["counts"],
        "message": v.message,
        "tests": [{"id": t.id, "status": t.status, "suite": t.suite, "detail": t.detail} for t in v.tests],
        "notes": list(v.notes),
        "evidence": len(v.evidence),
        "scan": None if scan is None else {"findings": len(scan), "note": scan_note},
        "timing": {k: round(x, 3) for k, x in o.timing.items()},
    }


def to_json(o: Outcome, scan: list[Finding] | None, scan_note: str) -> str:
    return report.render("json", [*o.verdict.evidence, *(scan or [])], [], summary(o), command="verify",
                         extra=_extra(o, scan, scan_note))


def to_shared(fmt: str, o: Outcome, scan: list[Finding] | None, scan_note: str) -> str:
    """sarif, github, jsonl: the run's evidence and the scan's findings; the verdict rides in the summary."""
    return report.render(fmt, [*o.verdict.evidence, *(scan or [])], [], summary(o), command="verify")


def _row(status: str, tid: str, suite: str, detail: str, width: int) -> str:
    suite = "" if suite == "visible" else f" [{suite}]"
    detail = f"  {visible(detail.splitlines()[0][:160])}" if detail.strip() else ""
    return f"  {status:<20} {visible(tid):<{width}}{suite}{detail}"


def _tests(o: Outcome, verbose: bool) -> list[str]:
    """The tests that were not plain passes; every test with -v."""
    v = o.verdict
    shown = v.tests if verbose else [t for t in v.tests if t.status != "passed"]
    if not shown:
        return []
    quiet = [t for t in shown if t.status in BY_MARKER]
    loud = sorted((t for t in shown if t.status not in BY_MARKER), key=lambda t: t.status != "error")
    width = min(max(len(visible(t.id)) for t in shown), 90)
    lines = ["", "tests:" if verbose else "tests that did not pass:"]
    for t in loud + (quiet if verbose else []):
        lines.append(_row(t.status, t.id, t.suite, t.detail if t.status != "passed" else "", width))
    if quiet and not verbose:
        lines.append(f"  ({len(quiet)} left out by the base revision's own markers or config; -v lists them)")
    return lines


def to_text(o: Outcome, scan: list[Finding] | None, scan_note: str, *, verbose: bool = False, color: bool = False) -> str:
    v = o.verdict
    s = summary(o)
    lines = [f"verdict: {v.status.upper()}  (decided by: {v.decided_by})"]
    lines += [f"  - {visible(r)}" for r in v.reasons]
    lines.append(f"tests passed: {s['counts']['passed']}/{s['counts']['total']}   base: {o.base[:12] or '?'}   "
                 f"runner: {o.runner}")
    iso = f"isolation: {o.isolation} ({s['isolation']['description']})"
    lines.append(iso + (f"; {visible(o.isolation_note)}" if o.isolation_note else ""))
    lines += _tests(o, verbose)
    if v.evidence:
        # the shared renderer groups by path: evidence about the whole run goes under "the test run"
        shown = [replace(f, path="the test run") if f.path == _RUN_PATH else f for f in v.evidence]
        lines += ["", "evidence:", report.render("text", shown, [], s, color=color).rstrip("\n")]
    lines += [f"note: {visible(n)}" for n in v.notes]
    if scan is not None:
        lines += ["", "static scan:"] + ([f"  {visible(scan_note)}"] if scan_note else [])
        lines.append(report.render("text", scan, [], s, color=color).rstrip("\n"))
    return "\n".join(lines) + "\n"
