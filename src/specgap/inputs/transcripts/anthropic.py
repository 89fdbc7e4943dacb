"""Anthropic Messages API content blocks: `text`, `thinking`, `tool_use`, `tool_result`.

An assistant message's `content` is a list of blocks; tool calls are `tool_use` blocks with an
`id`, a `name` and an `input` object; their results come back in the next user message as
`tool_result` blocks (`tool_use_id`, `content` as a string or a list of text blocks,
`is_error`). Claude Code's session lines wrap exactly these messages.
"""

from __future__ import annotations

from typing import Any

from specgap.inputs.transcripts.build import Builder, text_of
from specgap.rollout import Turn


def is_blocks(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result", "thinking", "redacted_thinking")
        for b in content)


def add_blocks(b: Builder, role: str, content: list[Any], message_id: str | None = None) -> Turn:
    texts, thoughts, calls, results = [], [], [], []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "thinking":
            thoughts.append(str(block.get("thinking", "")))
        elif kind == "tool_use":
            calls.append(block)
        elif kind == "tool_result":
            results.append(block)
    # a user message made only of tool results is the tools speaking
    turn = b.turn("tool" if results and not texts else role, "\n\n".join(texts),
                  reasoning="\n".join(thoughts), message_id=message_id)
    for call in calls:
        b.call(turn, str(call.get("name", "")), call.get("input"), call.get("id"))
    for res in results:
        text = text_of(res.get("content"))
        b.output(res.get("tool_use_id"), text, 1 if res.get("is_error") else None)
        if turn.text == "":
            turn.text = text
        elif text and text not in turn.text:
            turn.text += "\n\n" + text
    return turn
