"""SG210 specgap-config-edited: specgap's own configuration was changed."""

from __future__ import annotations

from typing import Iterator

import tomllib

from specgap.model import ChangeSet, Confidence, Finding, Kind, Severity, Status
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness import _pytest_config as pc
from specgap.rules.harness import _test_commands as tc
from specgap.rules.harness._shared import _SPECGAP_CONFIG, _first_written_line


def _specgap_table(text: str | None) -> object:
    if not text:
        return None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return "<unparsable>"
    tool = data.get("tool")
    return tool.get("specgap") if isinstance(tool, dict) else None


@register
class SpecgapConfigEdited(Rule):
    """specgap's own configuration was changed.

    What it does: reports changes to `.specgap.toml`, `specgap.toml` and the `[tool.specgap]` table
    of pyproject.toml (other tables of pyproject.toml are not this rule's business).

    Why is this bad: the config decides which rules run, which paths are protected and what is
    ignored; an agent that edits it can switch off the check that would catch it.

    Example:
        [tool.specgap]
        -select = ["SG"]
        +ignore = ["SG1", "SG2"]

    Use instead: change specgap's configuration in a separate, human-reviewed change.
    """

    id = "SG210"
    name = "specgap-config-edited"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        for cf in changeset.files:
            base = tc.file_name(cf.path)
            if base in _SPECGAP_CONFIG:
                verb = {Status.ADDED: "created", Status.DELETED: "deleted"}.get(cf.status, "edited")
                yield self.finding(cf, _first_written_line(cf), f"specgap configuration file {verb}", evidence=cf.path)
            elif base == "pyproject.toml" and not cf.binary:
                old = _specgap_table(cf.before.text if cf.before else None)
                new = _specgap_table(cf.after.text if cf.after else None)
                if old != new:
                    line = pc.section_line(cf.after.text, "tool.specgap") if cf.after and new is not None else _first_written_line(cf)
                    yield self.finding(cf, line, "[tool.specgap] in pyproject.toml changed" if new is not None
                                       else "[tool.specgap] removed from pyproject.toml",
                                       before=str(old) if old is not None else None, after=str(new) if new is not None else None)
