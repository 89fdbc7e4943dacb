"""Text and JSON output of a monitor run (the scan's JSON envelope: version, findings, summary, errors).

The monitor writes its own small formatters because its summary carries per-check statistics and
notes that the scan's report formatters have no place for.
"""

from __future__ import annotations

import json
from typing import Any

from specgap import __version__
from specgap.model import Severity
from specgap.monitor.result import label
from specgap.monitor.run import Report


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


def to_json(report: Report) -> str:
    return json.dumps({
        "version": __version__,
        "findings": [f.to_dict() for f in report.findings],
        "summary": summary(report),
        "errors": [e.to_dict() for e in report.errors],
    }, indent=2, default=str)


def to_text(report: Report) -> str:
    lines = [f"specgap monitor: {report.source} ({report.rows:,} rows, {len(report.checks)} tests, "
             f"Holm-adjusted at alpha={report.spec.alpha})", ""]
    for f in report.findings:
        p = f.stats["p_adjusted"] if f.stats else None
        lines.append(f"{f.rule_id} {f.name} [{f.severity}] {f.path}:{f.line}"
                     + (f" group={f.group}" if f.group else "") + (f" (adjusted p={p:.2g})" if p is not None else ""))
        lines.append(f"  {f.message}")
        lines.append(f"  {f.evidence}")
        lines.append("")
    if not report.findings:
        lines += ["No check fired: no evidence that a proxy has come apart from its goal.", ""]
    clear = [c for c in report.checks if not c["fired"]]
    if clear:
        lines.append("Checks that did not fire:")
        lines += [f"  {c['rule_id']} {c['group']}: adjusted p={c['p_adjusted']:.2g}, n={c['n']}: {c['message']}"
                  for c in clear]
        lines.append("")
    if report.notes:
        lines.append("Cannot conclude / notes:")
        lines += [f"  {n.rule_id} {label(n.group)}: {n.message}" for n in report.notes]
        lines.append("")
    s = {k: v for k, v in summary(report)["by_severity"].items() if v}
    lines.append(f"{len(report.findings)} finding(s)" + (f": {', '.join(f'{v} {k}' for k, v in s.items())}" if s else ""))
    return "\n".join(lines) + "\n"
