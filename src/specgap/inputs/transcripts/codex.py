"""Codex CLI rollout JSONL (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): one session.

Lines are `{"timestamp", "type", "payload"}`: `session_meta` (id, cwd, instructions),
`turn_context` (model, cwd), `event_msg` (UI events, duplicating the items) and
`response_item`, whose payload is a Responses API item: `message` (role, content parts
`input_text` / `output_text`), `reasoning` (`summary` parts), `function_call` (`name`, JSON
`arguments`, `call_id`; the `shell` tool takes `command` as an argv list), `function_call_output`
(`output`, often JSON with `output` and `metadata.exit_code`), `custom_tool_call` (`apply_patch`
with the patch as `input`) and `local_shell_call`. Older files have the items bare, after a
first line with the session's `id` and `instructions`.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from specgap.inputs.transcripts.build import Builder, text_of
from specgap.rollout import Rollout, Turn

ITEM_TYPES = frozenset({"message", "reasoning", "function_call", "function_call_output", "custom_tool_call",
                        "custom_tool_call_output", "local_shell_call"})


def is_line(obj: Any) -> bool:
    return isinstance(obj, dict) and (
        (obj.get("type") in ("session_meta", "response_item", "turn_context", "event_msg", "compacted")
         and "payload" in obj)
        or (obj.get("type") in ITEM_TYPES and ("call_id" in obj or "role" in obj or "summary" in obj)))


def rollout(lines: Iterable[dict[str, Any]], source: str) -> Rollout:
    r = Rollout(id=source, source=source, format="codex")
    b = Builder(r)
    last: Turn | None = None
    for obj in lines:
        kind, payload = obj.get("type"), obj.get("payload")
        if kind == "session_meta" and isinstance(payload, dict):
            r.id = str(payload.get("id") or r.id)
            b.root = payload.get("cwd") if isinstance(payload.get("cwd"), str) else b.root
            if payload.get("instructions"):
                b.turn("system", str(payload["instructions"]))
            continue
        if kind == "turn_context" and isinstance(payload, dict):
            r.model = r.model or payload.get("model")
            continue
        if kind != "response_item":
            if kind in ITEM_TYPES:  # the older layout: items bare on their lines
                payload = obj
            elif "instructions" in obj and "id" in obj:
                r.id = str(obj["id"])
                continue
            else:
                continue
        if not isinstance(payload, dict):
            continue
        last = _item(b, payload, last)
    return b.finish()


def _item(b: Builder, item: dict[str, Any], last: Turn | None) -> Turn | None:
    kind = item.get("type")
    if kind == "message":
        parts = item.get("content")
        text = "\n\n".join(p.get("text", "") for p in parts if isinstance(p, dict)) if isinstance(parts, list) else text_of(parts)
        return b.turn(str(item.get("role") or "user"), text, message_id=item.get("id"))
    if kind == "reasoning":
        summary = item.get("summary") or []
        text = "\n".join(s.get("text", "") for s in summary if isinstance(s, dict))
        turn = b.turn("assistant", "", reasoning=text, message_id=item.get("id"))
        return turn
    if kind in ("function_call", "custom_tool_call", "local_shell_call"):
        turn = last if last is not None and last.role == "assistant" and not last.actions else b.turn("assistant")
        if kind == "local_shell_call":
            action = item.get("action") or {}
            b.call(turn, "local_shell", {"command": action.get("command")}, item.get("call_id"))
        else:
            b.call(turn, str(item.get("name", "")), item.get("arguments", item.get("input")), item.get("call_id"))
        return turn
    if kind in ("function_call_output", "custom_tool_call_output"):
        output, code = _output(item.get("output"))
        b.output(item.get("call_id"), output, code, b.turn("tool"))
        return None
    return last


def _output(raw: Any) -> tuple[str, int | None]:
    if isinstance(raw, dict):
        raw = raw.get("content", raw)
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            obj = json.loads(raw)
        except ValueError:
            return raw, None
        if isinstance(obj, dict) and "output" in obj:
            meta = obj.get("metadata") or {}
            code = meta.get("exit_code") if isinstance(meta, dict) else None
            return text_of(obj["output"]), code if isinstance(code, int) else None
    return text_of(raw), None
