"""The transcripts summary as one self-contained HTML page: hack rate by rule, model, run and
step (an RL run's hack rate over training steps, plotted), the gamed rollouts with the highest
reward first, and the findings with their citations. Every string from a transcript is escaped."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from specgap.run.summary import Summary

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d2430;padding:0 1em}
h2{margin-top:1.6em;border-bottom:1px solid #dde}table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
pre{background:#f4f5f7;padding:.4em;white-space:pre-wrap;margin:.2em 0}.high,.critical{color:#c0392b}.medium{color:#e67e22}
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _table(head: list[str], rows: list[list[Any]]) -> str:
    return ("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>")


def _step_plot(by_step: dict[str, dict[str, Any]]) -> str:
    points = sorted((float(k), v["hack_rate"]) for k, v in by_step.items())
    if len(points) < 2:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot([p[0] for p in points], [p[1] for p in points], marker=".")
    ax.set_xlabel("step")
    ax.set_ylabel("hack rate")
    ax.set_ylim(bottom=0)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="hack rate by step" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def render(summary: Summary) -> str:
    d = summary.to_dict()
    parts = [f"<!doctype html><meta charset='utf-8'><title>specgap transcripts</title><style>{_CSS}</style>",
             "<h1>specgap transcripts</h1>",
             f"<p>{d['rollouts']} rollout(s) read, {d['unreadable']} unreadable; {d['gamed']} gamed at "
             f"{_e(d['fail_on'])} or above: hack rate <b>{d['hack_rate']:.1%}</b>; {d['findings']} finding(s).</p>"]
    if d["by_rule"]:
        parts += ["<h2>By rule</h2>", _table(["rule", "rollouts", "rate"],
                                             [[r, v["rollouts"], f"{v['rate']:.1%}"] for r, v in d["by_rule"].items()])]
    for g in ("model", "run", "step"):
        if f"by_{g}" in d:
            parts.append(f"<h2>By {g}</h2>")
            if g == "step":
                parts.append(_step_plot(d["by_step"]))
            parts.append(_table([g, "rollouts", "gamed", "hack rate"],
                                [[k, v["rollouts"], v["gamed"], f"{v['hack_rate']:.1%}"] for k, v in d[f"by_{g}"].items()]))
    if d["top_gamed_by_reward"]:
        parts += ["<h2>Gamed rollouts, highest reward first</h2>",
                  _table(["rollout", "reward", "rules", "source"],
                         [[e["rollout_id"], e["reward"], ", ".join(e["rules"]), e["source"]] for e in d["top_gamed_by_reward"]])]
    if summary.shown:
        parts.append("<h2>Findings</h2>")
        for f in summary.shown:
            parts.append(f"<p class='{_e(f.severity.value)}'><b>{_e(f.rule_id)} {_e(f.name)}</b> "
                         f"[{_e(f.severity.value)}/{_e(f.confidence.value)}] rollout <code>{_e(f.rollout_id)}</code> "
                         f"turn {_e(f.turn)} call <code>{_e(f.call_id)}</code>: {_e(f.message)}</p><pre>{_e(f.evidence)}</pre>")
    if d["errors"]:
        parts += ["<h2>Errors</h2>", "<pre>" + _e("\n".join(d["errors"])) + "</pre>"]
    return "\n".join(parts) + "\n"
