"""Probe reports: the failed probes as findings through the shared report layer, plus per-probe
results and per-category rates (text, JSON with `results`, self-contained HTML)."""

from __future__ import annotations

import html
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


_CSS = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d2430;padding:0 1em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
.pass{color:#1e8449;font-weight:600}.fail{color:#c0392b;font-weight:600}details{margin:.4em 0}
pre{white-space:pre-wrap;background:#f4f5f7;padding:.5em;border-radius:4px}"""


def to_html(results: list[ProbeResult], target: str) -> str:
    e = html.escape
    s = summary(results, target)
    rows = "".join(
        f"<tr><td>{e(c)}</td><td>{v['failed']}/{v['probes']}</td><td>{v['failure_rate']:.0%}</td>"
        f"<td>{v['ci95'][0]:.0%}&ndash;{v['ci95'][1]:.0%}</td></tr>" for c, v in s["rates"].items())
    probes = []
    for r in results:
        status = "pass" if r.passed else "fail"
        turns = "".join(
            f"<details><summary>{e(t.role)}{(': ' + e(t.label)) if t.label else ''}</summary>"
            + "".join(f"<pre><b>{e(m['role'])}</b>: {e(m['content'])}</pre>" for m in t.messages)
            + f"<pre><b>reply</b>: {e(t.reply)}</pre></details>" for t in r.transcript)
        probes.append(f"<tr><td class='{status}'>{'pass' if r.passed else 'ERROR' if r.error else 'FAIL'}</td>"
                      f"<td>{e(r.category)}</td><td><code>{e(r.id)}</code></td><td>{e(r.reason)}{turns}</td></tr>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>specgap probe: {e(target)}</title>"
            f"<style>{_CSS}</style></head><body><h1>specgap probe</h1><p>{e(target)}: {s['failed']} of "
            f"{s['probes']} probe(s) failed</p><h2>Failure rate by category</h2><table><tr><th>category</th>"
            f"<th>failed</th><th>rate</th><th>95% CI (Wilson)</th></tr>{rows}</table><h2>Probes</h2><table>"
            f"<tr><th></th><th>category</th><th>probe</th><th>result and transcript</th></tr>{''.join(probes)}"
            f"</table></body></html>\n")
