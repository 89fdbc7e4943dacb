"""OpenHands event streams: a JSON list of events (or a record with them under `history`).

An action event has `source` ("agent", "user", "environment"), `action` ("run", "run_ipython",
"write", "edit", "read", "message", "think", "finish" ...) and `args` (`command`, `path`,
`content`, `old_str` / `new_str`, `file_text`, `thought`); `tool_call_metadata` holds the
model's tool call id. An observation event has `observation`, `content`, `extras` (`command`,
`metadata.exit_code`) and `cause`, the id of the action it answers.
"""

from __future__ import annotations

from typing import Any

from specgap.inputs.transcripts.build import Builder, take_metadata
from specgap.rollout import Rollout

_TOOLS = {"run": "execute_bash", "run_ipython": "execute_ipython_cell", "write": "write", "edit": "str_replace_editor",
          "read": "read"}


def events_of(obj: Any) -> list[Any] | None:
    events = obj.get("history") if isinstance(obj, dict) else obj
    if isinstance(events, list) and events and all(
            isinstance(e, dict) and ("action" in e or "observation" in e) for e in events[:5]) and any(
            isinstance(e, dict) and "source" in e for e in events[:5]):
        return events
    return None


def rollout(obj: Any, source: str, index: int = 0) -> Rollout:
    events = events_of(obj) or []
    r = Rollout(id=source, source=source, index=index, format="openhands")
    if isinstance(obj, dict):
        take_metadata(r, obj)
        r.id = str(obj.get("instance_id") or r.id)
    b = Builder(r, root="/workspace")
    for e in events:
        if not isinstance(e, dict):
            continue
        args = e.get("args") if isinstance(e.get("args"), dict) else {}
        if "observation" in e:
            extras = e.get("extras") if isinstance(e.get("extras"), dict) else {}
            meta = extras.get("metadata") if isinstance(extras.get("metadata"), dict) else {}
            code = meta.get("exit_code")
            cause = e.get("cause")
            b.output(f"oh-{cause}" if cause is not None else None, str(e.get("content") or e.get("message") or ""),
                     code if isinstance(code, int) else None, b.turn("tool", message_id=str(e.get("id"))))
            continue
        action = str(e.get("action") or "")
        role = "user" if e.get("source") == "user" else "system" if action == "system" else "assistant"
        text = str(args.get("content") if action == "message" else args.get("final_thought") or args.get("message") or "")
        if action == "system":
            text = str(args.get("content") or "")
        turn = b.turn(role, text or "", reasoning=str(args.get("thought") or ""), message_id=str(e.get("id")))
        if action in _TOOLS:
            call_args = dict(args)
            if action == "read":
                call_args["command"] = "view"
            elif action == "write":
                call_args["command"] = "create"
                call_args.setdefault("file_text", args.get("content", ""))
            elif action == "run_ipython":
                call_args = {"code": args.get("code", "")}
            b.call(turn, _TOOLS[action], call_args, f"oh-{e.get('id')}")
    return b.finish()
