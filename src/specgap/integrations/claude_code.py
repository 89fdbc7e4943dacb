"""Claude Code hooks: a Stop hook that will not let the agent finish while its change tampers with
the tests, and a PreToolUse hook that refuses writes to protected paths.

Claude Code runs each hook command with the event as JSON on stdin and reads a JSON decision
from stdout (exit 0): `{"decision": "block", "reason": ...}` keeps the agent working on Stop (the
reason is its next instruction); `hookSpecificOutput.permissionDecision = "deny"` refuses a tool
call on PreToolUse. A second Stop in the same turn arrives with `stop_hook_active: true`; then the
agent is let go (with a message to the user) so the hook can never loop.
"""

from __future__ import annotations

import posixpath
import shlex
from pathlib import Path
from typing import Any, Iterable

from specgap.model import Finding, Severity

# Files that keep the guard in place: an agent may not edit them (SG212 reports it if it does anyway).
GUARD_FILES = (".claude/settings.json", ".claude/settings.local.json", ".specgap.toml", "specgap.toml",
               ".pre-commit-config.yaml")
WRITE_TOOLS = {"Write": "file_path", "Edit": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
# Programs that only read what they are given: naming a protected path to them is fine.
READ_ONLY = frozenset({"cat", "less", "more", "head", "tail", "grep", "rg", "egrep", "fgrep", "ls", "wc", "diff", "file",
                       "stat", "find", "tree", "bat", "nl", "sort", "uniq", "md5sum", "sha256sum", "pytest", "echo"})
READ_ONLY_GIT = frozenset({"diff", "log", "show", "status", "blame", "ls-files", "grep"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "\n", "(", ")"})


def project_root(payload: dict[str, Any], env_dir: str | None) -> Path:
    return Path(env_dir or payload.get("cwd") or ".").resolve()


# -- Stop -----------------------------------------------------------------------------------


def _advice(path: str, status: str) -> str:
    if status == "added":
        return f"delete `{path}` (the change created it)"
    if status == "deleted":
        return f"restore `{path}` (`git restore --source=HEAD -- {shlex.quote(path)}`)"
    return f"undo the flagged edit in `{path}` (`git diff -- {shlex.quote(path)}` shows it)"


def stop_reason(findings: list[Finding], statuses: dict[str, str]) -> str:
    lines = ["specgap: this change makes the tests pass without doing the work, so it is not finished.", ""]
    for f in findings[:20]:
        lines.append(f"- {f.path}:{f.line} {f.rule_id} {f.name} ({f.severity.value}): {f.message}")
    if len(findings) > 20:
        lines.append(f"- ... and {len(findings) - 20} more")
    lines += ["", "To fix it:"]
    for path in sorted({f.path for f in findings}):
        lines.append(f"- {_advice(path, statuses.get(path, 'modified'))}")
    lines += ["", "Then solve the task in the product code and let the unchanged tests judge it. If a test is "
              "genuinely wrong, tell the user instead of changing it (`specgap rule SGnnn` explains each rule)."]
    return "\n".join(lines)


def stop_decision(payload: dict[str, Any], root: Path, *, base: str | None = None,
                  threshold: Severity = Severity.HIGH) -> dict[str, Any]:
    """The Stop hook's answer: block with what to revert, or let the agent stop ({} or a message)."""
    from specgap.engine import scan_repo
    from specgap.inputs import InputFailure

    try:
        result = scan_repo(root, base)
    except (InputFailure, OSError, ValueError) as exc:  # never wedge the agent: say why, let it stop
        return {"systemMessage": f"specgap: could not scan {root}: {exc}"}
    bad = [f for f in result.findings if f.severity >= threshold]
    if not bad:
        return {}
    if payload.get("stop_hook_active"):
        # second stop in a row: blocking again could loop; the user hears about it instead
        return {"systemMessage": f"specgap: the change still has {len(bad)} finding(s) at or above "
                                 f"{threshold.value} ({', '.join(sorted({f.rule_id for f in bad}))}); "
                                 "run `specgap scan` to see them."}
    statuses = {f["path"]: f["status"] for f in result.summary.get("files", [])}
    return {"decision": "block", "reason": stop_reason(bad, statuses)}


# -- PreToolUse -----------------------------------------------------------------------------


def protected_patterns(root: Path) -> tuple[str, ...]:
    """The config's protected paths (read from HEAD when it is a git repository) and the guard's own files."""
    from specgap.config import ConfigError, resolve

    try:
        cfg = resolve(git=(root, None)) if (root / ".git").exists() else resolve(start=root)
        configured = cfg.protected
    except (ConfigError, OSError, ValueError):
        configured = ()
    return tuple(configured) + GUARD_FILES


def _relative(path: str, root: Path) -> str | None:
    """`path` relative to the project (posix), or None if it lies outside it."""
    p = Path(path)
    full = p if p.is_absolute() else root / p
    norm = Path(posixpath.normpath(full.as_posix()))
    try:
        return norm.relative_to(root).as_posix()
    except ValueError:
        return None


def _protected(path: str, root: Path, patterns: Iterable[str]) -> str | None:
    from specgap.inputs.roles import matches_any

    rel = _relative(path, root)
    return rel if rel is not None and matches_any(rel, tuple(patterns)) else None


def _commands(script: str) -> list[list[str]]:
    """Simple commands of a shell script (split at ; && || | &), tokens unquoted; redirections kept."""
    try:
        lex = shlex.shlex(script, posix=True, punctuation_chars=";&|()<>")
        lex.whitespace_split = True
        tokens = list(lex)
    except ValueError:  # unbalanced quotes: judge the raw words
        tokens = script.split()
    out: list[list[str]] = [[]]
    for tok in tokens:
        if tok in _SEPARATORS or set(tok) <= set(";&|()"):
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def _bash_writes(script: str, root: Path, patterns: tuple[str, ...]) -> list[str]:
    hits = []
    for words in _commands(script):
        redirected = {words[i + 1] for i, w in enumerate(words[:-1]) if w.endswith(">") and not w.startswith("<")}
        prog = words[0].rsplit("/", 1)[-1]
        read_only = prog in READ_ONLY or (prog == "git" and len(words) > 1 and words[1] in READ_ONLY_GIT)
        if prog == "sed" and any(w.startswith("-i") or w == "--in-place" for w in words):
            read_only = False
        for w in words[1:]:
            hit = _protected(w, root, patterns) if not w.startswith("-") else None
            if hit and (w in redirected or not read_only):
                hits.append(hit)
    return hits


def pre_tool_use_decision(payload: dict[str, Any], root: Path, patterns: tuple[str, ...]) -> dict[str, Any]:
    """Deny a tool call that would write a protected path; {} to let Claude Code decide as usual."""
    tool = str(payload.get("tool_name") or "")
    args = payload.get("tool_input") if isinstance(payload.get("tool_input"), dict) else {}
    hits: list[str] = []
    if tool in WRITE_TOOLS and isinstance(args.get(WRITE_TOOLS[tool]), str):
        hit = _protected(args[WRITE_TOOLS[tool]], root, patterns)
        hits = [hit] if hit else []
    elif tool == "Bash" and isinstance(args.get("command"), str):
        hits = _bash_writes(args["command"], root, patterns)
    if not hits:
        return {}
    reason = (f"specgap: {', '.join(sorted(set(hits)))} is protected (tests, graders or the guard itself); "
              "do not modify it. Solve the task in the product code; if a protected file is wrong, tell the user.")
    return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                   "permissionDecisionReason": reason}}


# -- installing ----------------------------------------------------------------------------

HOOK_MATCHER = "Write|Edit|MultiEdit|NotebookEdit|Bash"


def settings_with_hooks(settings: dict[str, Any], command: str) -> dict[str, Any]:
    """`settings` with specgap's Stop and PreToolUse hooks (earlier specgap entries replaced)."""
    hooks = settings.setdefault("hooks", {})
    wanted = {
        "Stop": {"hooks": [{"type": "command", "command": f"{command} hook claude-code stop", "timeout": 120}]},
        "PreToolUse": {"matcher": HOOK_MATCHER,
                       "hooks": [{"type": "command", "command": f"{command} hook claude-code pre-tool-use", "timeout": 30}]},
    }
    for event, entry in wanted.items():
        kept = [e for e in hooks.get(event, []) if not (isinstance(e, dict) and any(
            "hook claude-code" in str(h.get("command", "")) for h in e.get("hooks", []) if isinstance(h, dict)))]
        hooks[event] = kept + [entry]
    return settings


GUIDANCE = """\
## Tests and measures (specgap)

This repository is guarded by specgap, which reports changes that make tests pass without doing
the work. Do the work in the product code:

- Do not edit, delete, skip or weaken tests, fixtures, conftest.py, test configuration or CI
  to make them pass; do not touch protected paths (graders, hidden tests, reference outputs).
- No special cases for the tests' inputs, no objects that compare equal to anything, no early
  exits, no patching of the test runner, no reading of expected answers.
- If a test looks wrong, stop and say so; do not change it.
- Before finishing, run `specgap scan` and fix what it reports. Do not remove specgap's hooks
  or configuration (that is itself reported, SG212).
"""
