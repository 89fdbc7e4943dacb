"""The verify report as text and JSON."""

from __future__ import annotations

import json

from specgap.model import Finding
from specgap.verify.sandbox import DESCRIPTIONS
from specgap.verify.session import Outcome


def to_dict(o: Outcome, scan: list[Finding] | None, scan_note: str) -> dict:
    v = o.verdict
    passed, total = v.count()
    return {
        "verdict": v.status,
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


def to_text(o: Outcome, scan: list[Finding] | None, scan_note: str) -> str:
    v = o.verdict
    passed, total = v.count()
    lines = [f"verdict: {v.status.upper()}" + (f" ({v.message})" if v.message else "")]
    lines.append(f"base: {o.base or '?'}   runner: {o.runner}   tests passed: {passed}/{total}")
    lines.append(f"isolation: {o.isolation}: {DESCRIPTIONS.get(o.isolation, '')}")
    if o.isolation_note:
        lines.append(f"  note: {o.isolation_note}")
    if v.tests:
        lines.append("")
        width = min(max(len(t.id) for t in v.tests), 90)
        for t in v.tests:
            suite = "" if t.suite == "visible" else f" [{t.suite}]"
            detail = f"  {t.detail.splitlines()[0][:120]}" if t.detail and t.status != "passed" else ""
            lines.append(f"  {t.status:<17} {t.id:<{width}}{suite}{detail}")
    if v.evidence:
        lines.append("")
        lines.append("evidence:")
        for f in v.evidence:
            where = "" if f.path == "<verify>" else f" [{f.path}]"
            lines.append(f"  {f.rule_id} {f.name}: {f.message}{where}")
    for n in v.notes:
        lines.append(f"note: {n}")
    if scan is not None:
        lines.append("")
        lines.append(f"static scan: {len(scan)} finding(s)" + (f" ({scan_note})" if scan_note else ""))
        for f in scan:
            lines.append(f"  {f.rule_id} {f.name} {f.path}:{f.line}: {f.message}")
    return "\n".join(lines) + "\n"
