"""SG214 agent-guardrails-edited: The change edits a coding agent's instructions, settings or hooks."""

from __future__ import annotations

from typing import Iterator

from specgap.inputs.roles import AGENT_INSTRUCTION_PATTERNS, AGENT_SETTINGS_PATTERNS, matches_any
from specgap.model import ChangeSet, Confidence, Finding, Kind, Severity, Status
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._shared import _first_written_line


@register
class AgentGuardrailsEdited(Rule):
    """The change edits a coding agent's instructions, settings or hooks.

    What it does: reports any addition, edit or deletion of the files a coding agent takes its
    instructions from (`CLAUDE.md`, `AGENTS.md`, `GEMINI.md`, `.cursorrules`, `.cursor/rules/`,
    `.github/copilot-instructions.md` ...) and of the settings and hooks that bound what it may do
    (`.claude/settings.json`, `.claude/hooks/`, `.codex/config.toml` ...).

    Medium for settings and hooks: they decide which commands the agent may run and which checks
    run on its every action, and a change to them by the agent under review removes a guard it was
    given. Low for instruction files: people keep them current as a project changes, so an edit
    alone proves nothing, but an agent that rewrites its own rules ("tests may be skipped") is
    worth a reviewer's look.

    Why is this bad: an agent that edits its guardrails grades its own work against rules it wrote.

    Example:
        .claude/settings.json:  -  "hooks": {"PostToolUse": [{"command": "pytest -x"}]}

    Use instead: leave the agent's instructions and settings to the people who run it.
    """

    id = "SG214"
    name = "agent-guardrails-edited"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.HIGH

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        for cf in changeset.files:
            path = cf.path.rsplit("::", 1)[-1]
            settings = matches_any(path, AGENT_SETTINGS_PATTERNS)
            if not settings and not matches_any(path, AGENT_INSTRUCTION_PATTERNS):
                continue
            what = "settings or hooks" if settings else "instructions"
            verb = {Status.ADDED: "adds", Status.DELETED: "deletes"}.get(cf.status, "edits")
            yield self.finding(cf, _first_written_line(cf), f"{verb} the coding agent's {what} ({path})",
                               severity=Severity.MEDIUM if settings else Severity.LOW, evidence=path)
