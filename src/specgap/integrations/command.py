"""`specgap install` (hooks and guidance for coding agents) and `specgap hook` (what the hooks run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

_SEVERITIES = ("low", "medium", "high", "critical")
_START, _END = "<!-- specgap:start -->", "<!-- specgap:end -->"


def _error(message: str) -> None:
    click.echo(f"specgap: error: {message}", err=True)
    sys.exit(2)


@click.group()
def install() -> None:
    """Install specgap's hooks or guidance for a coding agent in a repository."""


_repo = click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
                     show_default=True, help="The repository to install into.")


@install.command("claude-code")
@_repo
@click.option("--command", "command", default="specgap", show_default=True,
              help="How the hooks call specgap (e.g. an absolute path, or 'uvx specgap').")
@click.option("--base", metavar="REV", help="Let the Stop hook judge everything since REV, not just uncommitted work.")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), default="high", show_default=True,
              help="Lowest severity that keeps the agent from finishing.")
def install_claude_code(repo: Path, command: str, base: str | None, fail_on: str) -> None:
    """Add a Stop and a PreToolUse hook to .claude/settings.json (other settings are kept)."""
    import shlex

    from specgap.integrations.claude_code import settings_with_hooks

    path = repo / ".claude" / "settings.json"
    settings: Any = {}
    if path.exists():
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            _error(f"{path} is not readable JSON ({exc}); fix it first, nothing was changed")
        if not isinstance(settings, dict) or not isinstance(settings.get("hooks", {}), dict):
            _error(f"{path}: expected a JSON object with an object `hooks`; nothing was changed")
    stop_args = (f" --base {shlex.quote(base)}" if base else "") + (f" --fail-on {fail_on}" if fail_on != "high" else "")
    settings = settings_with_hooks(settings, command)
    settings["hooks"]["Stop"][-1]["hooks"][0]["command"] += stop_args
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    click.echo(f"specgap: wrote a Stop and a PreToolUse hook to {path}")
    click.echo("Commit it so every session gets it; protected paths come from [tool.specgap] protected.")


def _guidance_into(path: Path, header: str = "") -> None:
    from specgap.integrations.claude_code import GUIDANCE

    block = f"{_START}\n{GUIDANCE}{_END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else header
    if _START in text and _END in text:
        before, rest = text.split(_START, 1)
        text = before + block + rest.split(_END, 1)[1].lstrip("\n")
    else:
        text = text + ("\n" if text and not text.endswith("\n\n") else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"specgap: wrote guidance to {path}")


@install.command("agents-md")
@_repo
def install_agents_md(repo: Path) -> None:
    """Add specgap's guidance to AGENTS.md (read by Codex and most coding agents)."""
    _guidance_into(repo / "AGENTS.md")


@install.command("codex")
@_repo
def install_codex(repo: Path) -> None:
    """Codex reads AGENTS.md: the same as `install agents-md`."""
    _guidance_into(repo / "AGENTS.md")


@install.command("cursor")
@_repo
def install_cursor(repo: Path) -> None:
    """Add an always-applied Cursor rule, .cursor/rules/specgap.mdc."""
    header = "---\ndescription: Do not game tests or measures (specgap)\nalwaysApply: true\n---\n"
    _guidance_into(repo / ".cursor" / "rules" / "specgap.mdc", header)


@click.group()
def hook() -> None:
    """What installed agent hooks run (they read the agent's event JSON on stdin)."""


def _payload() -> dict[str, Any]:
    try:
        data = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        click.echo(f"specgap hook: stdin is not JSON: {exc}", err=True)
        sys.exit(1)  # a non-blocking error: the agent goes on, the user sees why
    if not isinstance(data, dict):
        click.echo("specgap hook: expected a JSON object on stdin", err=True)
        sys.exit(1)
    return data


@hook.command("claude-code")
@click.argument("event", type=click.Choice(["stop", "pre-tool-use"]))
@click.option("--base", metavar="REV", help="Stop: judge everything since REV (default: uncommitted work vs HEAD).")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), default="high", show_default=True)
def hook_claude_code(event: str, base: str | None, fail_on: str) -> None:
    """Answer one Claude Code hook event (JSON in on stdin, a decision out on stdout)."""
    from specgap.integrations import claude_code as cc
    from specgap.model import Severity

    payload = _payload()
    root = cc.project_root(payload, os.environ.get("CLAUDE_PROJECT_DIR"))
    if event == "stop":
        decision = cc.stop_decision(payload, root, base=base, threshold=Severity(fail_on))
    else:
        decision = cc.pre_tool_use_decision(payload, root, cc.protected_patterns(root))
    if decision:
        click.echo(json.dumps(decision))
