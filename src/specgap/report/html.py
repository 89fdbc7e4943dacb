"""One self-contained HTML page: the summary, the findings as cards, input errors, and a command's
own sections (probe results, rates ...). No script, no external asset: the page opens offline and
can be attached to a CI run.

Every string reaches the page through `html.escape`: findings carry text from the input under
review (a transcript, a model's reply), which must never become markup. A command describes its
own sections with the plain blocks below instead of writing HTML, so it cannot forget to escape.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

from specgap import __version__
from specgap.model import Finding, InputError, Severity

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#1d2430;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #dde;padding-bottom:.2em}
.meta{color:#566}table{border-collapse:collapse;width:100%;font-size:.92em}
td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
.card{border:1px solid #dde;border-left:6px solid #999;border-radius:6px;padding:.5em 1em;margin:.7em 0}
.card.critical,.card.high{border-left-color:#c0392b}.card.medium{border-left-color:#e67e22}.card.low{border-left-color:#7f8c8d}
.sev{font-weight:600;text-transform:uppercase;font-size:.8em;padding:.1em .4em;border-radius:3px;background:#eee}
pre{white-space:pre-wrap;word-break:break-word;background:#f4f5f7;padding:.5em;border-radius:4px;margin:.3em 0}
code{background:#f4f5f7;padding:.1em .3em;border-radius:3px}details{margin:.4em 0}summary{cursor:pointer}
.pass{color:#1e8449;font-weight:600}.fail{color:#c0392b;font-weight:600}.error{color:#8e44ad;font-weight:600}
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    head: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Details:
    """A folded block: a one-line summary (with an optional status: pass, fail, error) and, inside,
    labelled preformatted texts (a transcript's messages)."""

    summary: str
    texts: Sequence[tuple[str, str]] = ()
    status: str = ""


Block = Union[Paragraph, Table, Details]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block] = field(default_factory=tuple)


def _block(b: Block) -> str:
    if isinstance(b, Paragraph):
        return f"<p>{_e(b.text)}</p>"
    if isinstance(b, Table):
        head = f"<tr>{''.join(f'<th>{_e(h)}</th>' for h in b.head)}</tr>" if any(b.head) else ""
        rows = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in b.rows)
        return f"<table>{head}{rows}</table>"
    status = f"<span class='{_e(b.status)}'>{_e(b.status.upper())}</span> " if b.status else ""
    inner = "".join(f"<pre><b>{_e(label)}</b>{': ' if label else ''}{_e(text)}</pre>" for label, text in b.texts)
    return f"<details><summary>{status}{_e(b.summary)}</summary>{inner}</details>"


def _where(f: Finding) -> str:
    if f.line <= 0:
        return f.path
    return f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line > f.line else "")


def _finding(f: Finding) -> str:
    parts = [f"<div class='card {_e(f.severity.value)}'>",
             f"<div><b>{_e(f.rule_id)}</b> {_e(f.name)} <span class='sev'>{_e(f.severity.value)} x "
             f"{_e(f.confidence.value)}</span> <span class='meta'>{_e(f.kind.value)}</span></div>",
             f"<div class='meta'><code>{_e(_where(f))}</code>{' group=' + _e(f.group) if f.group else ''}</div>",
             f"<p>{_e(f.message)}</p>"]
    for label, text in (("before", f.before), ("after", f.after)):
        if text is not None:
            parts.append(f"<pre><b>{label}:</b> {_e(text)}</pre>")
    shown = {t.strip() for t in (f.before, f.after) if t is not None}
    if f.evidence and f.evidence.strip() not in shown:
        parts.append(f"<pre>{_e(f.evidence)}</pre>")
    if f.stats:
        parts.append(f"<p class='meta'>{_e(', '.join(f'{k}={v}' for k, v in f.stats.items()))}</p>")
    parts.append("</div>")
    return "".join(parts)


def _summary(summary: dict[str, Any]) -> str:
    """The summary's scalar fields as a two-column table (nested ones are the sections' job)."""
    rows = [(k, v) for k, v in summary.items() if isinstance(v, (str, int, float, bool)) or v is None]
    if not rows:
        return ""
    return _block(Table(("", ""), rows))


def render(findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any], *,
           command: str = "scan", title: str | None = None, sections: Sequence[Section] = ()) -> str:
    """The page: a heading, the summary, the command's sections, then findings (most severe first)
    and input errors."""
    title = title or f"specgap {command}"
    n = len(findings)
    counts = ", ".join(f"{sum(f.severity is s for f in findings)} {s}" for s in reversed(Severity)
                       if any(f.severity is s for f in findings))
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
           f"<style>{_CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>",
           f"<p class='meta'>specgap {_e(__version__)} {_e(command)}: {n} finding{'s' * (n != 1)}"
           f"{' (' + _e(counts) + ')' if counts else ''}</p>",
           _summary(summary)]
    for s in sections:
        out.append(f"<h2>{_e(s.title)}</h2>")
        out.extend(_block(b) for b in s.blocks)
    if findings:
        out.append("<h2>Findings</h2>")
        out.extend(_finding(f) for f in sorted(findings, key=lambda f: (-list(Severity).index(f.severity), f.path)))
    if errors:
        out.append("<h2>Input errors</h2>")
        out.append(_block(Table(("where", "error"), [(f"{e.path}:{e.line}" if e.line else e.path, e.message)
                                                     for e in errors])))
    out.append("</body></html>\n")
    return "".join(out)
