"""A self-contained HTML report: findings, their plots (SVG, embedded), checks, notes, audit queue."""

from __future__ import annotations

import base64
import html
from typing import Any

from specgap.monitor.output import summary
from specgap.monitor.plots import svg
from specgap.monitor.result import label
from specgap.monitor.run import Report

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#1d2430;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #dde;padding-bottom:.2em}
.meta{color:#566}.card{border:1px solid #dde;border-left:6px solid #999;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.critical,.high{border-left-color:#c0392b}.medium{border-left-color:#e67e22}.low{border-left-color:#7f8c8d}
.sev{font-weight:600;text-transform:uppercase;font-size:.8em;padding:.1em .4em;border-radius:3px;background:#eee}
code{background:#f4f5f7;padding:.1em .3em;border-radius:3px}table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0;flex:1 1 480px}.plots img{width:100%}
.ok{color:#1e8449;font-weight:600}.bad{color:#c0392b;font-weight:600}
"""


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{e(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}"
    s = str(v)
    return s if len(s) <= 160 else s[:157] + "..."


def render(report: Report, max_plots: int = 12) -> str:
    e = html.escape
    s = summary(report)
    fired = {(f.rule_id, f.group) for f in report.findings}
    # plots of what fired first, then the overall ones; per-group plots only when their check fired
    plots = sorted((p for p in report.plots if p.group is None or any(g == p.group for _, g in fired)),
                   key=lambda p: (p.group is not None, p.group or "", p.kind))[:max_plots]
    status = (f'<span class="bad">{len(report.findings)} finding(s)</span>' if report.findings
              else '<span class="ok">no check fired</span>')
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>specgap monitor: {e(report.source)}</title>",
             f"<style>{_CSS}</style></head><body>",
             "<h1>specgap monitor</h1>",
             f"<p class='meta'><code>{e(report.source)}</code> &middot; {report.rows:,} rows &middot; "
             f"{s['tests']} tests, Holm-adjusted at alpha={report.spec.alpha} &middot; {status}</p>",
             "<h2>Findings</h2>"]
    if not report.findings:
        parts.append("<p>No evidence that a proxy has come apart from its goal at this significance level.</p>")
    for f in report.findings:
        st = f.stats or {}
        parts.append(
            f"<div class='card {f.severity}'><span class='sev'>{e(str(f.severity))}</span> "
            f"<b>{e(f.rule_id)} {e(f.name)}</b>" + (f" &middot; group <code>{e(f.group)}</code>" if f.group else "")
            + f"<p>{e(f.message)}</p><p><code>{e(f.evidence)}</code></p>"
            f"<p class='meta'>effect {_fmt(st.get('effect'))} ({e(str(st.get('effect_unit', '')))}), "
            f"n={_fmt(st.get('n'))}, p={_fmt(st.get('p_value'))}, adjusted p={_fmt(st.get('p_adjusted'))}"
            f"</p><p class='meta'>fingerprint <code>{e(f.fingerprint)}</code></p></div>")
    if plots:
        parts.append("<h2>Plots</h2><div class='plots'>")
        for p in plots:
            data = base64.b64encode(svg(p).encode()).decode()
            parts.append(f"<figure><img alt='{e(p.title)}' src='data:image/svg+xml;base64,{data}'></figure>")
        parts.append("</div>")
    parts.append("<h2>All tests</h2>")
    parts.append(_table([{**c, "fired": "yes" if c["fired"] else "no", "why not": c.get("reason")}
                         for c in report.checks],
                        ["rule_id", "group", "tested", "fired", "severity", "effect", "n", "p_adjusted", "why not"]))
    if report.notes:
        parts.append("<h2>Cannot conclude / notes</h2><ul>")
        parts += [f"<li><b>{e(n.rule_id)}</b> {e(label(n.group))}: {e(n.message)}</li>" for n in report.notes]
        parts.append("</ul>")
    if report.audit is not None and report.audit.height:
        parts.append("<h2>Audit first</h2><p class='meta'>Rows where the proxy is high and the truth low "
                     "(percentile gap), most disagreeing first.</p>")
        parts.append(_table(report.audit.head(20).to_dicts(), report.audit.columns))
    parts.append("</body></html>")
    return "\n".join(parts)
