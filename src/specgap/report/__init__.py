"""Reports: findings, input errors and a summary dict rendered as text, JSON, JSONL, SARIF,
GitHub annotations or a self-contained HTML page. They take plain lists, so scan, verify,
monitor and probe all report the same way.

JSON and SARIF share one envelope: tool, version, command, summary, findings, errors (plus a
command's own fields, passed as `extra`). Severities are `specgap.model.Severity`, the only
severity type. Text that came from the input goes through `visible` before reaching a terminal.
"""

from __future__ import annotations

from typing import Any, Sequence

from specgap.model import Finding, InputError, Severity
from specgap.report import github, html, json, sarif, text
from specgap.report.escape import visible

FORMATS = ("text", "json", "jsonl", "sarif", "github", "html")
# formats whose stdout carries only findings: input errors go to stderr beside them
ERRORS_ON_STDERR = frozenset({"text", "jsonl"})
# what a `--fail-on` option accepts, lowest first
SEVERITIES = tuple(s.value for s in Severity)


def render(fmt: str, findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any],
           *, color: bool = False, command: str = "scan", extra: dict[str, Any] | None = None) -> str:
    """The report in format `fmt` (one of FORMATS) of `command`'s results. For text and jsonl,
    errors are not included: render them with `render_errors`. `extra`: fields only this command
    has, added to the JSON envelope and the SARIF run's properties."""
    if fmt == "text":
        return text.render(findings, summary, color=color)
    if fmt == "json":
        return json.render(findings, errors, summary, command=command, extra=extra)
    if fmt == "jsonl":
        return json.render_lines(findings)
    if fmt == "sarif":
        return sarif.render(findings, errors, summary, command=command, extra=extra)
    if fmt == "github":
        return github.render(findings, errors)
    if fmt == "html":
        return html.render(findings, errors, summary, command=command)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def render_errors(errors: Sequence[InputError], *, color: bool = False) -> str:
    """Input errors as text lines, for stderr."""
    return text.render_errors(errors, color=color)


__all__ = ["ERRORS_ON_STDERR", "FORMATS", "SEVERITIES", "render", "render_errors", "visible"]
