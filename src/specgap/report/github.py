"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff."""

from __future__ import annotations

from typing import Sequence

from specgap.model import Finding, InputError, Severity
from specgap.report.escape import visible

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def _data(s: str) -> str:
    return visible(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding], errors: Sequence[InputError]) -> str:
    lines = []
    for f in findings:
        props = [f"file={_prop(f.path)}", f"line={max(f.line, 1)}"]
        if f.end_line > f.line:
            props.append(f"endLine={f.end_line}")
        props.append(f"title={_prop(f'{f.rule_id} {f.name} ({f.severity} x {f.confidence}, {f.kind})')}")
        lines.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(f.message)}")
    for e in errors:
        props = [f"file={_prop(e.path)}"] + ([f"line={e.line}"] if e.line else []) + ["title=specgap input error"]
        lines.append(f"::warning {','.join(props)}::{_data(e.message)}")
    return "".join(line + "\n" for line in lines)
