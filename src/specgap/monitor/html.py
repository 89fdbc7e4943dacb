"""A self-contained HTML report: findings, their plots (PNG embedded as base64), checks, notes, audit queue."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from specgap.monitor.output import summary
from specgap.monitor.result import Plot, label
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


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _draw(p: Plot) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    d = p.data
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if p.kind == "divergence":
        x = np.asarray(d["step"], float)
        k = max(1, len(x) // 20)  # a rolling mean shows the trend through per-step noise
        smooth = lambda v: np.convolve(np.asarray(v, float), np.ones(k) / k, mode="same")  # noqa: E731
        ax.plot(x, d["proxy"], color="#c0392b", alpha=0.25, lw=0.8)
        ax.plot(x[k:-k or None], smooth(d["proxy"])[k:-k or None], color="#c0392b", lw=2,
                label=d["proxy_name"] + " (proxy)")
        ax.set_ylabel(d["proxy_name"], color="#c0392b")
        ax2 = ax.twinx()
        ax2.plot(x, d["truth"], color="#2471a3", alpha=0.25, lw=0.8)
        ax2.plot(x[k:-k or None], smooth(d["truth"])[k:-k or None], color="#2471a3", lw=2,
                 label=d["truth_name"] + " (truth)")
        ax2.set_ylabel(d["truth_name"], color="#2471a3")
        if d.get("onset") is not None:
            ax.axvline(d["onset"], color="k", ls="--", lw=1, label=f"gap starts (step {d['onset']:g})")
        if d.get("peak") is not None:
            ax.axvline(d["peak"], color="#2471a3", ls=":", lw=1.5, label=f"truth peak (step {d['peak']:g})")
        ax.set_xlabel("step")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right", framealpha=0.85)
    elif p.kind == "length":
        x, y = np.asarray(d["length"], float), np.asarray(d["proxy"], float)
        ax.scatter(x, y, s=6, alpha=0.35, color="#7d3c98")
        if len(x) > 20 and np.ptp(np.log1p(x)) > 0:
            b = np.polyfit(np.log1p(x), y, 1)
            xs = np.linspace(x.min(), x.max(), 100)
            ax.plot(xs, np.polyval(b, np.log1p(xs)), color="k", lw=1.5, label="fit on log length")
            ax.legend(fontsize=8)
        ax.set_xlabel("length (words)")
        ax.set_ylabel(d["proxy_name"])
    elif p.kind == "self":
        a, b = np.asarray(d["self"], float), np.asarray(d["independent"], float)
        jit = np.random.default_rng(0).normal(0, 0.06, (2, len(a))) * (np.ptp(np.concatenate([a, b])) or 1) / 10
        ax.scatter(b + jit[0], a + jit[1], s=6, alpha=0.35, color="#117864")
        lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
        ax.plot([lo, hi], [lo, hi], color="k", lw=1, label="self = independent")
        ax.set_xlabel(d["indep_name"] + " (independent)")
        ax.set_ylabel(d["self_name"] + " (self)")
        ax.legend(fontsize=8)
    elif p.kind == "flags":
        w = d["windows"]
        s = [x["step"] for x in w]
        for key, color in (("flag_rate", "#c0392b"), ("base_rate", "#2471a3"), ("precision", "#7d3c98"),
                           ("specificity", "#117864")):
            ax.plot(s, [x[key] if x[key] is not None else np.nan for x in w], marker="o", ms=3, color=color, label=key)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("step (window start)")
        ax.legend(fontsize=8)
    else:  # text
        sc, dg, ds = (np.asarray(d[k], float) for k in ("score", "degenerate", "distinct"))
        ax.scatter(ds[dg == 0], sc[dg == 0], s=6, alpha=0.3, color="#2471a3", label="normal")
        ax.scatter(ds[dg == 1], sc[dg == 1], s=14, alpha=0.8, color="#c0392b", label="degenerate")
        ax.set_xlabel("distinct-word ratio")
        ax.set_ylabel(d["proxy_name"])
        ax.legend(fontsize=8)
    ax.set_title(p.title + ("" if p.group is None else f" [{p.group}]"), fontsize=10)
    return _png(fig)


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
                   key=lambda p: (p.group is not None, p.kind))[:max_plots]
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
            f"n={_fmt(st.get('n'))}, p={_fmt(st.get('p_value'))}, adjusted p={_fmt(st.get('p_adjusted'))}; "
            f"first step/row {f.line}</p></div>")
    if plots:
        parts.append("<h2>Plots</h2><div class='plots'>")
        for p in plots:
            parts.append(f"<figure><img alt='{e(p.title)}' src='data:image/png;base64,{_draw(p)}'></figure>")
        parts.append("</div>")
    parts.append("<h2>All tests</h2>")
    parts.append(_table([{**c, "fired": "yes" if c["fired"] else "no"} for c in report.checks],
                        ["rule_id", "group", "fired", "severity", "effect", "n", "p_value", "p_adjusted", "message"]))
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
