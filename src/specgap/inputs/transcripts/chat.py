"""Chat messages: OpenAI-style (`tool_calls`, `role: tool` results), also when their content is
Anthropic blocks or Inspect's content list; one list of messages is one rollout.

A record is `{"messages": [...]}` (or `conversation`, `trajectory` ...; ShareGPT's `from`/
`value` too) with its metadata beside it (model, run, step, reward ...), or a bare list.
"""

from __future__ import annotations

from typing import Any

from specgap.inputs.transcripts import anthropic
from specgap.inputs.transcripts.build import Builder, text_of, role_of, take_metadata
from specgap.rollout import Rollout

MESSAGE_KEYS = ("messages", "conversation", "conversations", "chat", "dialog", "history", "turns", "transcript")
_ROLE_KEYS = ("role", "from", "speaker", "author")
_CONTENT_KEYS = ("content", "value", "text")
# single-turn records: the prompt and the agent's answer in their own fields
PROMPT_KEYS = ("prompt", "question", "problem", "instruction", "input")
ANSWER_KEYS = ("completion", "response", "output", "model_output", "answer", "generation", "code")


def messages_of(record: Any) -> list[Any] | None:
    if isinstance(record, list):
        return record if record and all(_is_message(m) for m in record[:5]) else None
    if isinstance(record, dict):
        for key in MESSAGE_KEYS:
            value = record.get(key)
            if isinstance(value, list) and value and all(_is_message(m) for m in value[:5]):
                return value
    return None


def _is_message(m: Any) -> bool:
    # (loops, not `any(...)`: asked of the first messages of every record, the generators cost more)
    if not isinstance(m, dict):
        return False
    for k in _ROLE_KEYS:
        if k in m:
            break
    else:
        return False
    for k in _CONTENT_KEYS:
        if k in m:
            return True
    return "tool_calls" in m or "function_call" in m


def is_record(record: Any) -> bool:
    if messages_of(record) is not None:
        return True
    return isinstance(record, dict) and any(isinstance(record.get(k), str) for k in PROMPT_KEYS) and any(
        isinstance(record.get(k), (str, list)) for k in ANSWER_KEYS)


def add_message(b: Builder, m: dict[str, Any]) -> None:
    role = role_of(_first(m, _ROLE_KEYS))
    content = _first(m, _CONTENT_KEYS)
    message_id = m.get("id")
    if not isinstance(message_id, str):
        message_id = None
    if anthropic.is_blocks(content):
        anthropic.add_blocks(b, role, content, message_id)
        return
    text, thoughts = content_text(content)
    reasoning = m.get("reasoning_content") or m.get("reasoning") or ""
    turn = b.turn(role, text, reasoning="\n".join(x for x in (str(reasoning or ""), thoughts) if x),
                  message_id=message_id)
    calls = list(m.get("tool_calls") or [])
    if isinstance(m.get("function_call"), dict):
        calls.append(m["function_call"])
    for call in calls:
        if not isinstance(call, dict):
            continue
        fn = call.get("function", call)
        if isinstance(fn, str):  # Inspect: {"function": "bash", "arguments": {...}}
            name, args = fn, call.get("arguments")
        else:
            name, args = (fn or {}).get("name", ""), (fn or {}).get("arguments", (fn or {}).get("input"))
        b.call(turn, str(name), args, call.get("id"))
    if role == "tool":
        error = m.get("error")
        b.output(m.get("tool_call_id"), text, 1 if error else None)


def _first(m: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of `keys` that `m` has (None if none)."""
    for k in keys:
        if k in m:
            return m[k]
    return None


def content_text(content: Any) -> tuple[str, str]:
    """(text, reasoning) of OpenAI or Inspect content: a string or a list of typed parts."""
    if isinstance(content, list):
        texts, thoughts = [], []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "reasoning":
                thoughts.append(str(part.get("reasoning") or part.get("summary") or ""))
            else:
                texts.append(text_of(part) if not isinstance(part, dict) or part.get("type") in (None, "text", "output_text", "input_text") else "")
        return "\n\n".join(t for t in texts if t), "\n".join(thoughts)
    return text_of(content), ""


def rollout(record: Any, rid: str, source: str, index: int, fmt: str = "chat") -> Rollout:
    r = Rollout(id=rid, source=source, index=index, format=fmt)
    if isinstance(record, dict):
        take_metadata(r, record)
    b = Builder(r)
    msgs = messages_of(record)
    if msgs is not None:
        for m in msgs:
            if isinstance(m, dict):
                add_message(b, m)
    elif isinstance(record, dict):
        prompt = next(record[k] for k in PROMPT_KEYS if isinstance(record.get(k), str))
        b.turn("user", prompt)
        answer = next(record[k] for k in ANSWER_KEYS if isinstance(record.get(k), (str, list)))
        b.turn("assistant", text_of(answer))
    return b.finish()
