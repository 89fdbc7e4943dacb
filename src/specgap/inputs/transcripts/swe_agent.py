"""SWE-agent `.traj` files and mini-swe-agent trajectories.

SWE-agent writes one JSON document per instance: `trajectory` (steps with `thought`,
`response`, `action`, `observation`), `history` (the chat sent to the model), `info`
(`submission`, `exit_status`, `model_stats`). An action is a shell line or one of its tools;
`str_replace_editor <command> <path> --old_str ... --new_str ... --file_text ...` edits files.

mini-swe-agent saves `{"info": ..., "messages": [...], "trajectory_format": "mini-swe-agent-1"}`:
each assistant message carries one ```bash block (the action), and the next user message
returns `<returncode>n</returncode>` and `<output>...</output>`.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from specgap.inputs.transcripts import chat
from specgap.inputs.transcripts.build import Builder, role_of, take_metadata
from specgap.rollout import ActionKind, Rollout

_BASH_BLOCK = re.compile(r"```(?:bash|sh)\s*\n(.*?)\n```", re.S)
_RETURNCODE = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
_OUTPUT = re.compile(r"<output>\n?(.*?)\n?</output>", re.S)
_OPTIONS = ("file_text", "old_str", "new_str", "insert_line", "view_range")


def is_traj(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("trajectory"), list) and (
        "info" in obj or "history" in obj) and all(isinstance(s, dict) and "action" in s for s in obj["trajectory"][:3])


def is_mini(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("messages"), list) and (
        str(obj.get("trajectory_format", "")).startswith("mini-swe-agent")
        or (isinstance(obj.get("info"), dict) and "exit_status" in obj["info"]))


def editor_args(action: str) -> dict[str, Any] | None:
    """`str_replace_editor create p --file_text '...'` as the editor tool's arguments."""
    if not action.lstrip().startswith("str_replace_editor"):
        return None
    try:
        words = shlex.split(action)
    except ValueError:
        return None
    if len(words) < 3:
        return None
    args: dict[str, Any] = {"command": words[1], "path": words[2]}
    i = 3
    while i < len(words) - 1:
        key = words[i].lstrip("-")
        if words[i].startswith("--") and key in _OPTIONS:
            args[key] = words[i + 1]
            i += 2
        else:
            i += 1
    return args


def traj_rollout(obj: dict[str, Any], source: str, index: int = 0) -> Rollout:
    r = Rollout(id=str(obj.get("instance_id") or (obj.get("environment") if isinstance(obj.get("environment"), str) else "") or source),
                source=source, index=index, format="swe-agent")
    take_metadata(r, obj)
    b = Builder(r, root="/testbed")
    for m in obj.get("history") or []:  # the prompt: system and first user messages, before any step
        if isinstance(m, dict) and role_of(m.get("role")) in ("system", "user") and m.get("message_type") not in ("observation",):
            b.turn(role_of(m.get("role")), chat.content_text(m.get("content"))[0])
            continue
        break
    for step in obj["trajectory"]:
        thought = str(step.get("thought") or step.get("response") or "")
        turn = b.turn("assistant", thought)
        action = str(step.get("action") or "")
        if action.strip():
            args = editor_args(action)
            b.call(turn, "str_replace_editor" if args else "bash", args or {"command": action})
        if step.get("observation") is not None:
            b.output(None, str(step["observation"]), turn=b.turn("tool"))
    sub = (obj.get("info") or {}).get("submission")
    if isinstance(sub, str) and sub.strip() and not any(a.kind in (ActionKind.WRITE, ActionKind.EDIT) for _, a in r.actions()):
        b.turn("assistant", f"```diff\n{sub}\n```")  # only the final patch was kept
    return b.finish()


def mini_rollout(obj: dict[str, Any], source: str, index: int = 0) -> Rollout:
    r = Rollout(id=str(obj.get("instance_id") or source), source=source, index=index, format="mini-swe-agent")
    take_metadata(r, obj)
    info = obj.get("info") or {}
    if isinstance(info.get("config"), dict):
        model = (info["config"].get("model") or {})
        r.model = r.model or (model.get("model_name") if isinstance(model, dict) else None)
    b = Builder(r, root="/testbed")
    for m in obj["messages"]:
        if not isinstance(m, dict):
            continue
        content = chat.content_text(m.get("content"))[0]
        role = role_of(m.get("role"))
        if role == "user" and _RETURNCODE.search(content):
            code = _RETURNCODE.search(content)
            out = _OUTPUT.search(content)
            b.output(None, out.group(1) if out else content, int(code.group(1)) if code else None, b.turn("tool"))
            continue
        if role == "assistant" and not m.get("tool_calls"):
            turn = b.turn(role, content)
            block = _BASH_BLOCK.search(turn.text)
            if block:
                b.call(turn, "bash", {"command": block.group(1)})
            continue
        chat.add_message(b, m)
    return b.finish()
