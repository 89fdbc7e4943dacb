"""Probe reports through the shared report layer (`specgap.report`): the failed probes as findings,
plus per-probe results and per-category rates (text, JSON with `results`, self-contained HTML)."""

from __future__ import annotations

import json
from typing import Any

from specgap.probe.result import ProbeResult, rates


def summary(results: list[ProbeResult], target: str) -> dict[str, Any]:
    return {"target": target, "probes": len(results), "failed": sum(not r.passed for r in results),
            "errors": sum(bool(r.error) for r in results), "rates": rates(results)}


def findings(results: list[ProbeResult]):
    return [r.finding() for r in results if not r.passed]


def to_json(results: list[ProbeResult], target: str) -> str:
    from specgap import report

    doc = json.loads(report.render("json", findings(results), [], summary(results, target), command="probe"))
    doc["results"] = [r.to_dict() for r in results]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_text(results: list[ProbeResult], target: str, *, color: bool = False) -> str:
    from specgap import report

    lines = [f"specgap probe: {target}", ""]
    for r in results:
        mark = "pass " if r.passed else "ERROR" if r.error else "FAIL "
        lines.append(f"  {mark} {r.category:<16} {r.id}: {r.reason}")
    lines += ["", "failure rate by category (95% Wilson interval):"]
    for cat, s in summary(results, target)["rates"].items():
        lines.append(f"  {cat:<16} {s['failed']}/{s['probes']} = {s['failure_rate']:.0%} "
                     f"({s['ci95'][0]:.0%}-{s['ci95'][1]:.0%})")
    lines.append("")
    found = findings(results)
    if found:
        lines.append(report.render("text", found, [], summary(results, target), color=color).rstrip("\n"))
    else:
        lines.append(f"all {len(results)} probe(s) passed")
    return "\n".join(lines) + "\n"


def _texts(r: ProbeResult) -> list[tuple[str, str]]:
    """A probe's transcript, every exchange in order: the messages sent, then the reply."""
    out = []
    for t in r.transcript:
        who = t.role + (f", {t.label}" if t.label else "")
        out += [(f"{m['role']} ({who})", m["content"]) for m in t.messages]
        out.append((f"reply ({who})", t.reply))
    return out


def to_html(results: list[ProbeResult], target: str) -> str:
    """The shared HTML page: the rates per category, every probe with its transcript, then the findings."""
    from specgap.report import html

    s = summary(results, target)
    rates = html.Table(("category", "failed", "rate", "95% CI (Wilson)"), [
        (c, f"{v['failed']}/{v['probes']}", f"{v['failure_rate']:.0%}", f"{v['ci95'][0]:.0%}-{v['ci95'][1]:.0%}")
        for c, v in s["rates"].items()])
    probes = [html.Details(f"{r.category} {r.id}: {r.reason}", _texts(r),
                           status="pass" if r.passed else "error" if r.error else "fail") for r in results]
    sections = [html.Section("Failure rate by category", [rates]), html.Section("Probes", probes)]
    return html.render(findings(results), [], s, command="probe", title=f"specgap probe: {target}",
                       sections=sections)
