"""SARIF 2.1.0, for code-scanning dashboards: rule metadata from the rule pages, one result per finding."""

from __future__ import annotations

import json
from typing import Any, Sequence
from urllib.parse import quote

from specgap import __version__
from specgap.model import Finding, InputError, Severity
from specgap.report.catalog import rule_markdown
from specgap.report.json import plain
from specgap.rules import get_rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}


def _rule(f: Finding) -> dict[str, Any]:
    """Metadata for the finding's rule: its page when it is in the catalog, else what the finding says."""
    cls = get_rule(f.rule_id)
    if cls is not None and cls.id == f.rule_id:
        doc = cls.doc()
        full = doc.split("\n", 1)[1].strip() if "\n" in doc else doc
        meta = {"kind": cls.kind.value, "severity": cls.severity.value, "confidence": cls.confidence.value}
        return {
            "id": cls.id,
            "name": cls.name,
            "shortDescription": {"text": cls.summary()},
            "fullDescription": {"text": full or cls.summary()},
            "help": {"text": doc, "markdown": rule_markdown(cls)},
            "defaultConfiguration": {"level": _LEVEL[cls.severity]},
            "properties": {**meta, "tags": [meta["kind"]]},
        }
    return {
        "id": f.rule_id,
        "name": f.name,
        "shortDescription": {"text": f.name},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"kind": f.kind.value, "severity": f.severity.value, "confidence": f.confidence.value},
    }


def _location(path: str, line: int | None, end_line: int | None = None) -> dict[str, Any]:
    # a URI reference: spaces, '%' and the "::" of transcript paths ("run.md::x.py") are escaped
    loc: dict[str, Any] = {"artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"}}
    if line:
        loc["region"] = {"startLine": max(line, 1), "endLine": max(end_line or line, line, 1)}
    return {"physicalLocation": loc}


def document(findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any], *,
             command: str = "scan", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for f in findings:
        if f.rule_id not in index:
            index[f.rule_id] = len(rules)
            rules.append(_rule(f))
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_location(f.path, f.line, f.end_line)],
            "partialFingerprints": {"specgap/v1": f.fingerprint},
            "properties": {"kind": f.kind.value, "severity": f.severity.value, "confidence": f.confidence.value},
        }
        if f.evidence:
            result["properties"]["evidence"] = f.evidence
        for k in ("before", "after", "group"):
            if getattr(f, k) is not None:
                result["properties"][k] = getattr(f, k)
        if f.stats is not None:
            result["properties"]["stats"] = dict(f.stats)
        results.append(result)
    notes = [
        {"level": "warning", "message": {"text": e.message}, "locations": [_location(e.path, e.line)]}
        for e in errors
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "specgap", "version": __version__,
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the scanned repository's root"}}},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
            "results": results,
            "properties": {"command": command, "summary": summary, **(extra or {})},
        }],
    }


def render(findings: Sequence[Finding], errors: Sequence[InputError], summary: dict[str, Any], *,
           command: str = "scan", extra: dict[str, Any] | None = None) -> str:
    doc = document(findings, errors, summary, command=command, extra=extra)
    return json.dumps(doc, indent=2, ensure_ascii=False, default=plain) + "\n"
