"""The rule catalog as a table, a single rule's page, or the Markdown of docs/rules.md."""

from __future__ import annotations

import re
import textwrap
from typing import Sequence

from specgap.rules.base import Rule

DOCS_COMMAND = "python3 -m specgap rules --format markdown > docs/rules.md"
_SECTION = re.compile(r"^(What it does|Why is this bad|Example|Use instead):")


def header(rule: type[Rule]) -> str:
    return f"{rule.id} {rule.name} ({rule.kind}; severity {rule.severity}, confidence {rule.confidence})"


def page(rule: type[Rule]) -> str:
    """What `specgap rule ID` prints: a header line, then the rule's docstring."""
    return f"{header(rule)}\n\n{rule.doc()}\n"


def table(rules: Sequence[type[Rule]]) -> str:
    """One line per rule, aligned: id, name, kind, severity, summary."""
    if not rules:
        return "no rules registered\n"
    wn = max(len(r.name) for r in rules)
    return "".join(
        f"{r.id}  {r.name:<{wn}}  {r.kind.value:<9}  {r.severity.value:<8}  {r.summary()}\n" for r in rules
    )


def _markdown_body(doc: str) -> str:
    """Docstring to Markdown: section labels in bold, indented blocks as fenced Python code."""
    out: list[str] = []
    code: list[str] = []

    def flush() -> None:
        if code:
            while code and not code[-1].strip():
                code.pop()
            out.extend(["", "```python", textwrap.dedent("\n".join(code)), "```", ""])
            code.clear()

    for line in doc.split("\n"):
        if line.startswith("    ") or (code and not line.strip()):
            code.append(line)
            continue
        flush()
        out.append(_SECTION.sub(r"**\1:**", line))
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _anchor(rule: type[Rule]) -> str:
    return f"{rule.id}-{rule.name}".lower()


def rule_markdown(rule: type[Rule]) -> str:
    """One rule's section of docs/rules.md (also SARIF's help text)."""
    doc = rule.doc()
    body = doc.split("\n", 1)[1] if "\n" in doc else ""
    parts = [f"## {rule.id} {rule.name}", "", f"*{rule.kind}; severity {rule.severity}, confidence {rule.confidence}*",
             "", rule.summary()]
    if body.strip():
        parts += ["", _markdown_body(body.strip("\n"))]
    return "\n".join(parts)


def markdown(rules: Sequence[type[Rule]]) -> str:
    lines = [
        "# specgap rules",
        "",
        f"Generated from the rule docstrings by `{DOCS_COMMAND}`; edit the docstrings, not this file.",
        "`specgap rule ID` prints one page in the terminal.",
        "",
        "| ID | Name | Kind | Severity | Confidence | Summary |",
        "|----|------|------|----------|------------|---------|",
    ]
    for r in rules:
        summary = r.summary().replace("|", "\\|")
        lines.append(f"| [{r.id}](#{_anchor(r)}) | {r.name} | {r.kind} | {r.severity} | {r.confidence} | {summary} |")
    for r in rules:
        lines += ["", rule_markdown(r)]
    return "\n".join(lines) + "\n"
