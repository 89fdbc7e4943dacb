"""Human-readable report, grouped by file; colour via rich when writing to a terminal."""

from __future__ import annotations

import io
from itertools import groupby
from typing import Any, Sequence

from rich.console import Console
from rich.text import Text

from specgap.model import Finding, InputError, Severity
from specgap.report.escape import visible

_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def _console(buf: io.StringIO, color: bool) -> Console:
    # soft_wrap: long lines stay whole, so plain output greps and diffs cleanly
    return Console(file=buf, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                   highlight=False, soft_wrap=True, emoji=False, markup=False)


def _indented(label: str, body: str, style: str) -> Text:
    t = Text(f"    {label}", style="dim")
    for i, line in enumerate(visible(body).split("\n")):
        t.append(("\n" + " " * (4 + len(label)) if i else "") + line, style=style)
    return t


def _finding(f: Finding) -> list[Text]:
    head = Text(f"  {f.line}" if f.line > 0 else " ", style="bold")  # line 0: a finding about a whole file or log
    if f.line > 0 and f.end_line > f.line:
        head.append(f"-{f.end_line}", style="bold")
    head.append("  ")
    head.append(f.rule_id, style="bold " + _STYLE[f.severity])
    head.append(f" {f.name}  ")
    head.append(f"{f.severity} x {f.confidence}", style=_STYLE[f.severity])
    head.append(f"  {f.kind}", style="dim")
    if f.group:
        head.append(f"  group={visible(f.group)}", style="dim")
    out = [head, Text("\n".join("    " + line for line in visible(f.message).split("\n")))]
    if f.before is not None:
        out.append(_indented("before: ", f.before, "red"))
    if f.after is not None:
        out.append(_indented("after:  ", f.after, "green"))
    shown = {t.strip() for t in (f.before, f.after) if t is not None}
    if f.evidence and f.evidence.strip() not in shown:
        out.append(_indented("| ", f.evidence, "dim"))
    if f.stats:
        out.append(Text("    " + visible(", ".join(f"{k}={v}" for k, v in f.stats.items())), style="dim"))
    return out


def _tally(summary: dict[str, Any], findings: Sequence[Finding]) -> Text:
    n = len(findings)
    t = Text(f"{n} finding{'s' * (n != 1)}", style="bold")
    counts = [f"{sum(f.severity is s for f in findings)} {s}" for s in reversed(Severity)
              if any(f.severity is s for f in findings)]
    if counts:
        t.append(f" ({', '.join(counts)})")
    if "files_scanned" in summary:
        t.append(f" in {summary['files_scanned']} changed file{'s' * (summary['files_scanned'] != 1)}")
    if summary.get("source"):
        t.append(f" ({visible(summary['source'])})")
    extras = [f"{summary[k]} {label}" for k, label in
              (("suppressed", "suppressed"), ("ignored_per_file", "ignored per file"), ("baselined", "in the baseline"))
              if summary.get(k)]
    if extras:
        t.append("; " + ", ".join(extras))
    if summary.get("config"):
        t.append(f"; config: {visible(summary['config'])}", style="dim")
    return t


def render(findings: Sequence[Finding], summary: dict[str, Any], *, color: bool = False) -> str:
    buf = io.StringIO()
    con = _console(buf, color)
    for path, group in groupby(sorted(findings, key=lambda f: f.path), key=lambda f: f.path):
        con.print(Text(visible(path), style="bold underline"))
        for f in group:
            for line in _finding(f):
                con.print(line)
        con.print()
    con.print(_tally(summary, findings))
    return buf.getvalue()


def render_errors(errors: Sequence[InputError], *, color: bool = False) -> str:
    buf = io.StringIO()
    con = _console(buf, color)
    for e in errors:
        where = f"{e.path}:{e.line}" if e.line else e.path
        con.print(Text.assemble(("error: ", "bold red"), visible(f"{where}: {e.message}")))
    return buf.getvalue()
