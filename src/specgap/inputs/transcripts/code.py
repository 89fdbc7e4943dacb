"""The files an agent wrote, read out of a transcript of its conversation (for `scan --files`).

Shapes, recognised by structure rather than by any particular dataset:

* chat JSON: messages with a role and content (`{"messages": [...]}`, a bare list, ShareGPT's
  `from`/`value`, content as a list of parts, tool calls whose arguments name a file and its
  content), one per file or one per line of a JSONL file;
* output JSON: a record whose agent-side keys (`completion`, `response`, `code_outputs` ...) hold
  the agent's text or code, next to prompt-side keys (`prompt`, `task` ...);
* Markdown: sections under role headings (`# prompt (user turn)`, `## Assistant`, `**User:**`)
  or `<file path="...">` blocks.

Only the agent's turns count as its work (agent_code.py finds the code in them; unnamed code
becomes `solution.py`, `solution_2.py` ...). Each file is `<transcript>::<path in it>`; a JSONL
line or JSON list item is its own transcript (`runs.jsonl:3::conftest.py`), and a second edit or
patch of one file gets its own (`t.json#2::tests/test_x.py`). Test cases shown in the prompt
become one context file, `prompt_tests.py` (see prompt_tests.py), so that rules can tell code that
special-cases them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from markdown_it import MarkdownIt

from specgap.inputs import fences
from specgap.inputs.transcripts.agent_code import CODE_BLOCK, FILE_BLOCK, code_in
from specgap.inputs.changeset import RawFile, context_file
from specgap.inputs.prompt_tests import prompt_tests
from specgap.model import ChangedFile, FileRole, InputError

AGENT_ROLES = frozenset({"assistant", "model", "gpt", "ai", "bot", "agent", "chatbot", "completion", "response"})
PROMPT_ROLES = frozenset({"user", "human", "system", "developer", "prompt"})
MESSAGE_KEYS = ("messages", "conversation", "conversations", "turns", "dialog", "dialogue", "chat", "history",
                "transcript", "trajectory", "trace")
ROLE_KEYS = ("role", "from", "speaker", "author", "sender")
CONTENT_KEYS = ("content", "value", "text", "message", "parts")
# Keys that hold an agent's output wherever they appear; weaker ones only next to a prompt key.
AGENT_KEYS = ("code_outputs", "code_output", "completion", "completions", "model_response", "model_output",
              "model_answer", "generated_code", "generation", "generations", "response", "responses",
              "model_patch", "submission")
# ("input"/"output" alone are left out: test-case data files use them too.)
WEAK_AGENT_KEYS = ("answer", "solution", "solutions", "code", "prediction", "final_answer", "patch", "diff")
PROMPT_KEYS = ("prompt", "question", "problem", "instruction", "task", "query", "system_prompt")
_ROLE_HEADING = re.compile(
    r"^\W*(?P<role>user|human|prompt|system|assistant|model|agent|ai|gpt|response|completion)"
    r"(?:\s+(?:turn|message|prompt|response|output|answer|reply))?(?:\s*#?\d+)?\s*(?:\(.*\))?\s*:?\s*$",
    re.I,
)
_ROLE_LABEL = re.compile(r"^\s*(?:[*_]{1,2})?(?P<role>user|human|system|assistant|ai|model|agent)(?:[*_]{1,2})?\s*:(?:[*_]{1,2})?", re.I)
# block tokens only (headings, fences): inline parsing of every paragraph was half the parse
_md = MarkdownIt("commonmark").disable("inline")


@dataclass
class Extracted:
    """What one transcript file yielded: the agent's files, the prompt's tests, and problems."""

    files: list[RawFile] = field(default_factory=list)
    context: list[ChangedFile] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


@dataclass
class Turn:
    side: str                  # "agent", "prompt" or "other" (tool output, titles)
    text: str = ""
    tools: list[Any] = field(default_factory=list)  # tool-call arguments the agent sent


# -- reading the shapes into turns ----------------------------------------------------------

def _side(role: Any) -> str:
    if isinstance(role, dict):
        role = role.get("role") or role.get("name")
    r = str(role or "").strip().lower()
    return "agent" if r in AGENT_ROLES else "prompt" if r in PROMPT_ROLES else "other"


def _parts(content: Any) -> tuple[str, list[Any]]:
    """Text and tool-call arguments of a message's content, whatever its shape."""
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    tools: list[Any] = []
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                if part.get("type") in ("tool_use", "tool_call", "function_call"):
                    tools.append(part.get("input") or part.get("arguments") or part)
                elif isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif isinstance(part.get("content"), str):
                    texts.append(part["content"])
    return "\n\n".join(texts), tools


def _tool_args(msg: dict[str, Any]) -> list[Any]:
    out = []
    calls = msg.get("tool_calls")
    calls = calls if isinstance(calls, list) else []
    if isinstance(msg.get("function_call"), dict):
        calls.append(msg["function_call"])
    for call in calls:
        fn = call.get("function", call) if isinstance(call, dict) else None
        args = fn.get("arguments", fn.get("input")) if isinstance(fn, dict) else None
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                args = {"command": args}
        if args is not None:
            out.append(args)
    return out


def _messages(items: list[Any]) -> list[Turn] | None:
    """Turns of a list of chat messages, or None if it is not one."""
    turns = []
    for m in items:
        if not isinstance(m, dict):
            return None
        role = next((m[k] for k in ROLE_KEYS if k in m), None)
        content = next((m[k] for k in CONTENT_KEYS if k in m), None)
        if role is None or (content is None and not m.get("tool_calls") and not m.get("function_call")):
            return None
        text, tools = _parts(content)
        turns.append(Turn(_side(role), text, tools + _tool_args(m)))
    return turns if turns else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, dict):
                out.extend(v[k] for k in ("code", "content", "text", "output") if isinstance(v.get(k), str))
        return out
    return []


def record_turns(obj: Any, depth: int = 0) -> list[Turn] | None:
    """Turns of one JSON record, or None if it is not recognisably a transcript."""
    if depth > 4:
        return None
    if isinstance(obj, list):
        turns = _messages(obj)
        return turns if turns and any(t.side == "agent" for t in turns) else None
    if not isinstance(obj, dict):
        return None
    for key in MESSAGE_KEYS:
        if key in obj:
            turns = record_turns(obj[key], depth + 1)
            if turns:
                return [Turn("prompt", s) for k in PROMPT_KEYS for s in _strings(obj.get(k))] + turns
    prompts = [Turn("prompt", s) for k in PROMPT_KEYS for s in _strings(obj.get(k))]
    keys = AGENT_KEYS + (WEAK_AGENT_KEYS if prompts else ())
    agent = [Turn("agent", s) for k in keys for s in _strings(obj.get(k))]
    if agent:
        return prompts + agent
    for v in obj.values():
        if isinstance(v, (dict, list)):
            turns = record_turns(v, depth + 1)
            if turns:
                return turns
    return None


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with the matches of `pattern` replaced by as many empty lines (line numbers kept)."""
    return pattern.sub(lambda m: "\n" * m.group(0).count("\n"), text)


# A line inside a fence that could end it as a role heading (below): a heading mark (`#`s, or a
# setext underline's `=` or `-`) first, then a role's name after marks and spaces. Looser than that.
_MAY_CUT = re.compile(r"^[#=-][^\w\n]*(?:user|human|prompt|system|assistant|model|agent|ai|gpt|response|completion)",
                      re.I | re.M)


def _without_fence_bodies(plain: str) -> str | None:
    """`plain` with the inner lines of its fences emptied, for markdown-it to read in a fraction
    of the time (it walks every character in Python): what is outside a fence, and where fences
    start and end, stay as they were. Only where its fences are read line by line exactly
    (fences.py) and none holds a line that could end it as a role heading; else None."""
    found = fences.fences_if_simple(plain)
    if not found or any(_MAY_CUT.search(f.content) for f in found):
        return None
    lines = plain.split("\n")
    for f in found:  # (the fence's last line is kept: it may be its closing line or its content)
        lines[f.line + 1:f.end - 1] = [""] * max(0, f.end - f.line - 2)
    return "\n".join(lines)


def _close_truncated_fences(plain: str) -> list[Any]:
    """Markdown tokens, after closing fences that swallow a role heading.

    A prompt truncated inside a code block leaves the fence open, and the next role heading (and
    the agent's answer) would read as code. A line inside a fence that looks exactly like a role
    heading already used outside fences, at the same level, after a blank line, ends that fence.
    """
    light = _without_fence_bodies(plain)
    if light is not None:  # no fence to end: the tokens, fences' contents aside, are the same
        return _md.parse(light)
    lines = plain.split("\n")
    for _ in range(8):
        tokens = _md.parse("\n".join(lines))
        levels = {tok.markup for i, tok in enumerate(tokens)
                  if tok.type == "heading_open" and _ROLE_HEADING.match(tokens[i + 1].content)}
        for tok in tokens:
            if tok.type != "fence" or not tok.map:
                continue
            cut = next((n for n in range(tok.map[0] + 2, tok.map[1])
                        if lines[n].split(" ", 1)[0] in levels and _ROLE_HEADING.match(lines[n].lstrip("#"))
                        and not lines[n - 1].strip()), None)
            if cut is not None:
                lines[cut - 1] = tok.markup  # replaces the blank line, so line numbers stay
                break
        else:
            return tokens
    return tokens


# The start of a line that could mark a prompt's turn, as a heading or a label (`## User`,
# `> 1. **Human:**`): only container marks, `#`s, emphasis and spaces before a prompt role's name.
# Looser than both patterns, so a text it does not match has neither.
_MAY_PROMPT = re.compile(r"^(?:[^\w\n]|_|\d{1,9}[.)])*(?:user|human|prompt|system)", re.I | re.M)


def markdown_turns(text: str, explicit: bool) -> list[Turn] | None:
    # a lone CR ends a line for markdown-it: so here too, or its line numbers point at other lines
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    # code inside <file> blocks is not Markdown: its `# comment` lines must not read as headings
    plain = _blank(_blank(text, FILE_BLOCK), CODE_BLOCK)
    if _MAY_PROMPT.search(plain) is None:
        # no line can mark a prompt's turn: whatever marks the agent's, the whole text is its answer
        # (as below), so markdown-it need not read it; a single answer, a sentence and a fence, is so
        return [Turn("agent", text)] if explicit or FILE_BLOCK.search(text) else None
    marks: list[tuple[int, str]] = []
    tokens = _close_truncated_fences(plain)
    fenced: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.type in ("fence", "code_block", "html_block") and tok.map:
            fenced.update(range(*tok.map))
        if tok.type == "heading_open" and tok.map:
            m = _ROLE_HEADING.match(tokens[i + 1].content)
            if m:
                marks.append((tok.map[0], _side(m.group("role"))))
    if not marks:
        for n, line in enumerate(plain.split("\n")):
            m = _ROLE_LABEL.match(line)
            if m and n not in fenced:
                marks.append((n, _side(m.group("role"))))
    sides = {s for _, s in marks}
    has_files = bool(FILE_BLOCK.search(text))
    if not ("agent" in sides and "prompt" in sides):
        if not (explicit or has_files) or "prompt" in sides:
            return None
        return [Turn("agent", text)]  # no roles: the whole document is the agent's answer
    turns = [Turn("other", "\n".join(lines[: marks[0][0]]))]
    for (start, side), nxt in zip(marks, marks[1:] + [(len(lines), "")]):
        turns.append(Turn(side, "\n".join(lines[start + 1 : nxt[0]])))
    return turns


# -- one transcript's files -----------------------------------------------------------------

def _container(container: str, turns: list[Turn], out: Extracted) -> None:
    written: dict[str, RawFile] = {}
    unnamed = writes = 0
    errors: list[InputError] = []
    for turn in turns:
        if turn.side != "agent":
            continue
        for name, code in code_in(turn.text, turn.tools, errors):
            if isinstance(code, RawFile):  # an edit or a patch
                inner, raw = code.path, code
            else:
                if not name:
                    unnamed += 1
                    name = "solution.py" if unnamed == 1 else f"solution_{unnamed}.py"
                inner, raw = name, RawFile(name, None, code)
            where = container
            earlier = written.get(f"{container}::{inner}")
            if earlier is not None and (raw.before is not None or earlier.before is not None):
                # every edit counts (a later one does not undo it), so it gets its own container;
                # a file written whole twice is what its last version says
                writes += 1
                where = f"{container}#{writes}"
            written[f"{where}::{inner}"] = replace(raw, path=f"{where}::{inner}", origin=container,
                                                   old_path=raw.old_path and f"{where}::{raw.old_path}")
    out.files.extend(written.values())
    out.errors.extend(replace(e, path=f"{container}::{e.path}") for e in errors)
    tests = prompt_tests([t.text for t in turns if t.side == "prompt"])
    if tests:
        cf = context_file(f"{container}::prompt_tests.py", tests, out.errors, role=FileRole.TEST, origin=container)
        if cf is not None:
            out.context.append(cf)
    if not written:
        out.errors.append(InputError(container, "transcript: the agent's turns contain no code"))


def extract(label: str, data: bytes, *, explicit: bool) -> Extracted | None:
    """The agent's files in the transcript `data` (named `label`), or None if it is not one.

    `explicit`: the user named this file, so a Markdown file without role structure is taken
    as the agent's answer, and unreadable JSON is reported rather than passed over.
    """
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    out = Extracted()
    lower = label.lower()
    if lower.endswith(".jsonl"):
        found = False
        bad: list[int] = []
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                bad.append(n)
                continue
            turns = record_turns(record)
            if turns:
                found = True
                _container(f"{label}:{n}", turns, out)
        if not found and not explicit:
            return None
        if bad:
            out.errors.append(InputError(label, f"{len(bad)} line(s) are not valid JSON (first: line {bad[0]})", bad[0]))
        if not found:
            out.errors.append(InputError(label, "no line is a recognisable transcript (chat messages or agent output)"))
        return out
    if lower.endswith(".json"):
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if not explicit:
                return None
            out.errors.append(InputError(label, f"invalid JSON: {exc}"))
            return out
        turns = record_turns(obj)
        if turns:
            _container(label, turns, out)
            return out
        if isinstance(obj, list):
            for i, record in enumerate(obj, 1):
                turns = record_turns(record)
                if turns:
                    _container(f"{label}:{i}", turns, out)
        if out.files or out.context or out.errors:
            return out
        if explicit:
            out.errors.append(InputError(label, "not a recognisable transcript (chat messages or agent output)"))
            return out
        return None
    turns = markdown_turns(text, explicit)
    if turns is None:
        return None
    _container(label, turns, out)
    return out
