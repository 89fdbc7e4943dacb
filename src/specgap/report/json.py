"""JSON (one document) and JSONL (one finding per line)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from specgap import __version__
from specgap.model import Finding, InputError


def plain(o: Any) -> Any:
    """JSON for the odd values in monitor stats (numpy scalars and arrays, paths ...)."""
    for conv in ("tolist", "item"):
        if hasattr(o, conv):
            return getattr(o, conv)()
    return str(o)


def document(findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any], *,
             command: str = "scan", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The envelope every command's JSON shares; `extra` holds what only one command has (a verdict)."""
    return {
        "tool": "specgap",
        "version": __version__,
        "command": command,
        "summary": summary,
        **(extra or {}),
        "findings": [f.to_dict() for f in findings],
        "errors": [e.to_dict() for e in errors],
    }


def render(findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any], *,
           command: str = "scan", extra: dict[str, Any] | None = None) -> str:
    doc = document(findings, errors, summary, command=command, extra=extra)
    return json.dumps(doc, indent=2, ensure_ascii=False, default=plain) + "\n"


def render_lines(findings: Sequence[Finding]) -> str:
    return "".join(json.dumps(f.to_dict(), ensure_ascii=False, default=plain) + "\n" for f in findings)
