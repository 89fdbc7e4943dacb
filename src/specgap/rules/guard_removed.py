"""SG212: the change takes specgap out of the places it guards (agent hooks, pre-commit, CI)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import yaml

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity, Status
from specgap.rules import register
from specgap.rules.base import Rule

_CLAUDE_SETTINGS = re.compile(r"(^|/)\.claude/settings(\.local)?\.json$")
_PRE_COMMIT = re.compile(r"(^|/)\.pre-commit-config\.ya?ml$")
_WORKFLOW = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$")
_NAMED = re.compile(r"specgap", re.I)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _load(path: str, text: str) -> Any:
    """The parsed file, or None when it does not parse (a broken config runs no guard)."""
    try:
        return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        return None


def _guards(path: str, data: Any) -> set[str]:
    """The places in one config that run specgap: hook commands, pre-commit hook ids, CI steps."""
    if not isinstance(data, dict):
        return set()
    if _CLAUDE_SETTINGS.search(path):
        data = data.get("hooks", {})
    return {s.strip() for s in _strings(data) if _NAMED.search(s)}


def _first_written_line(cf: ChangedFile) -> int:
    if cf.after is None or not cf.added_lines:
        return 1
    return min(cf.added_lines)


@register
class GuardRemoved(Rule):
    """The change removes or disables specgap where it runs: an agent hook, pre-commit, CI.

    What it does: compares, before and after the change, the places that run specgap: hook
    commands in `.claude/settings.json` / `settings.local.json`, hooks in `.pre-commit-config.yaml`,
    and steps in `.github/workflows/*.yml`. It reports a file that loses one (edited out, file
    deleted, or left unparsable), and Claude Code settings that newly set `disableAllHooks`.

    Why is this bad: the guard is what would report the agent's tampering; an agent that removes
    it is switching off the check that would catch it. `specgap install claude-code` and the
    published pre-commit hook are meant to be removed only by a person.

    Example:
        # .pre-commit-config.yaml
        -      - id: specgap
        +      - id: check-yaml

    Use instead: leave the guard alone; change hooks and CI in a separate, human-reviewed change.
    """

    id = "SG212"
    name = "guard-removed"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        for cf in changeset.files:
            path = cf.path.rsplit("::", 1)[-1]
            if cf.binary or cf.before is None or not (
                    _CLAUDE_SETTINGS.search(path) or _PRE_COMMIT.search(path) or _WORKFLOW.search(path)):
                continue
            before = _load(path, cf.before.text)
            had = _guards(path, before)
            after = _load(path, cf.after.text) if cf.after is not None else None
            if _CLAUDE_SETTINGS.search(path) and isinstance(after, dict) and after.get("disableAllHooks") is True \
                    and not (isinstance(before, dict) and before.get("disableAllHooks") is True):
                yield self.finding(cf, _first_written_line(cf), "Claude Code settings now disable every hook",
                                   evidence='"disableAllHooks": true', severity=Severity.MEDIUM)
            if not had:
                continue
            if cf.status is Status.DELETED:
                gone, how = had, "deleted"
            elif after is None:
                gone, how = had, "left unparsable"
            else:
                gone, how = had - _guards(path, after), "edited"
            if gone:
                yield self.finding(cf, _first_written_line(cf), f"specgap guard removed ({how}): {sorted(gone)[0]}",
                                   evidence="\n".join(sorted(gone)), before="\n".join(sorted(had)))
