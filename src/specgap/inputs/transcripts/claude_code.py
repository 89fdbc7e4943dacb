"""Claude Code session JSONL (`~/.claude/projects/<project>/<session>.jsonl`): one session.

Each line is an event: `type` "user" / "assistant" wraps an Anthropic `message` (content
blocks: text, thinking, tool_use, tool_result), with `uuid`, `parentUuid`, `sessionId`, `cwd`
and `timestamp`; "summary" and "system" lines carry no conversation. Tools: Bash (`command`),
Read / Write / Edit / MultiEdit (`file_path`, `content`, `old_string` / `new_string`), Grep,
Glob, TodoWrite, Task ...
"""

from __future__ import annotations

from typing import Any, Iterable

from specgap.inputs.transcripts import anthropic
from specgap.inputs.transcripts.build import Builder, text_of
from specgap.rollout import Rollout


def is_line(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") in ("user", "assistant", "summary", "system") and (
        "sessionId" in obj or "uuid" in obj or "leafUuid" in obj)


def rollout(lines: Iterable[dict[str, Any]], source: str) -> Rollout:
    r = Rollout(id=source, source=source, format="claude-code")
    b = Builder(r)
    for obj in lines:
        if obj.get("type") not in ("user", "assistant"):
            continue
        if isinstance(obj.get("sessionId"), str) and r.id == source:
            r.id = obj["sessionId"]
        if b.root is None and isinstance(obj.get("cwd"), str):
            b.root = obj["cwd"]
        msg = obj.get("message")
        if not isinstance(msg, dict):
            continue
        if r.model is None and isinstance(msg.get("model"), str):
            r.model = msg["model"]
        content = msg.get("content")
        role = str(msg.get("role") or obj["type"])
        if isinstance(content, list):
            anthropic.add_blocks(b, role, content, obj.get("uuid"))
        else:
            b.turn(role, text_of(content), message_id=obj.get("uuid"))
    return b.finish()
