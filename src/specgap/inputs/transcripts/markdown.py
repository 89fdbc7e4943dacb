"""Markdown and plain-text rollouts: role headings (`## Assistant`, `**User:**`), fenced code,
`<file path=...>` blocks and `<think>` sections. Without role marks, the whole text is the
agent's answer (the usual single-turn RL rollout saved as text)."""

from __future__ import annotations

from specgap.inputs.transcripts.build import Builder
from specgap.inputs.transcripts.code import markdown_turns
from specgap.rollout import Rollout

_SIDES = {"agent": "assistant", "prompt": "user"}


def rollout(text: str, source: str, index: int = 0) -> Rollout:
    r = Rollout(id=source, source=source, index=index, format="markdown")
    b = Builder(r)
    turns = markdown_turns(text, explicit=True) or []
    for t in turns:
        if t.side == "other" and not t.text.strip():
            continue
        b.turn(_SIDES.get(t.side, "user"), t.text)
    return b.finish()
