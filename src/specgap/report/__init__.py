"""Reports: findings, input errors and a summary dict rendered as text, JSON, JSONL, SARIF or
GitHub annotations. They take plain lists, so scan, verify and monitor all report the same way."""

from __future__ import annotations

from typing import Any, Sequence

from specgap.model import Finding, InputError
from specgap.report import github, json, sarif, text

FORMATS = ("text", "json", "jsonl", "sarif", "github")
# formats whose stdout carries only findings: input errors go to stderr beside them
ERRORS_ON_STDERR = frozenset({"text", "jsonl"})


def render(fmt: str, findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any],
           *, color: bool = False) -> str:
    """The report in format `fmt` (one of FORMATS). For text and jsonl, errors are not included:
    render them with `render_errors`."""
    if fmt == "text":
        return text.render(findings, summary, color=color)
    if fmt == "json":
        return json.render(findings, errors, summary)
    if fmt == "jsonl":
        return json.render_lines(findings)
    if fmt == "sarif":
        return sarif.render(findings, errors, summary)
    if fmt == "github":
        return github.render(findings, errors)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def render_errors(errors: Sequence[InputError], *, color: bool = False) -> str:
    """Input errors as text lines, for stderr."""
    return text.render_errors(errors, color=color)


__all__ = ["FORMATS", "ERRORS_ON_STDERR", "render", "render_errors"]
