"""A monitor run's report through the shared report layer: text, json, jsonl, sarif and github as scan
writes them (one envelope, one severity type), plus what only a statistical run has in text: the
checks that did not fire and why, and the notes. HTML is monitor's own (`specgap.monitor.html`).

Logs are untrusted: group names, column names and text samples reach the terminal only through
`visible`, which shows control characters as escapes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from specgap import report as out
from specgap.model import Finding, Severity
from specgap.monitor.result import label
from specgap.monitor.run import Report
from specgap.report.text import visible

FORMATS = out.FORMATS
# the stats a person reads in text; every statistic is in json, jsonl and sarif
_TEXT_STATS = ("effect", "effect_unit", "ci", "n", "p_value", "p_adjusted")


def summary(report: Report) -> dict[str, Any]:
    by_sev = {s.value: sum(f.severity == s for f in report.findings) for s in Severity}
    return {
        "source": report.source,
        "rows": report.rows,
        "findings": len(report.findings),
        "by_severity": by_sev,
        "alpha": report.spec.alpha,
        "correction": "holm",
        "tests": len(report.checks),
        "checks": report.checks,
        "notes": [{"rule_id": n.rule_id, "group": label(n.group), "message": n.message} for n in report.notes],
        "audit_rows": 0 if report.audit is None else report.audit.height,
    }


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in `fmt` (one of FORMATS)."""
    s = summary(report)
    if fmt != "text":
        return out.render(fmt, report.findings, report.errors, s, color=color, command="monitor")
    head = (f"specgap monitor: {visible(report.source)} ({report.rows:,} rows, {len(report.checks)} tests, "
            f"Holm-adjusted at alpha={report.spec.alpha})\n\n")
    body = out.render("text", [_for_text(f) for f in report.findings], [], s, color=color)
    tail = _tail(report)
    return head + body + ("\n" + tail if tail else "")


def _for_text(f: Finding) -> Finding:
    st = dict(f.stats or {})
    keep = {k: st[k] for k in _TEXT_STATS if st.get(k) is not None}
    for k in ("effect", "p_value", "p_adjusted"):
        if isinstance(keep.get(k), float):
            keep[k] = float(f"{keep[k]:.3g}")
    if isinstance(keep.get("ci"), list):
        keep["ci"] = [float(f"{v:.3g}") if isinstance(v, float) else v for v in keep["ci"]]
    return replace(f, stats=keep)


def _tail(report: Report) -> str:
    """Checks that did not fire, with the reason each did not, and the notes (checks that could not run)."""
    lines: list[str] = []
    if not report.findings:
        lines += ["No check fired: no evidence that a proxy has come apart from its goal.", ""]
    clear = [c for c in report.checks if not c["fired"]]
    if clear:
        lines.append("Checks that did not fire:")
        lines += [f"  {c['rule_id']} {c['name']} [{c['group']}] on {c['tested']}: {c['reason']}" for c in clear]
        lines.append("")
    if report.notes:
        lines.append("Checks that could not conclude, and input notes:")
        lines += [f"  {n.rule_id} [{label(n.group)}]: {n.message}" for n in report.notes]
        lines.append("")
    return visible("\n".join(lines)) + ("\n" if lines else "")
