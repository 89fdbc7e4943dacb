"""The code in an agent's turn: what it wrote, and under which file name.

`<file path=...>` blocks, fenced code (named by the fence's info string, a `# filename:` first
line or the line before the fence), `<code>` blocks, patches (diff fences, a bare `model_patch`),
shell writes (heredocs, echo/printf redirects), and tool calls whose arguments name a file and
its content, or an edit of it (old text -> new text). Code drafted inside `<thinking>` was never
written.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any, Iterator

from specgap.inputs.changeset import RawFile
from specgap.inputs.diff import diff_raws, looks_like_diff
from specgap.inputs.fences import fences
from specgap.model import InputError

PATH_KEYS = ("path", "file_path", "filepath", "filename", "file_name", "file", "target_file")
BODY_KEYS = ("content", "file_text", "contents", "new_content", "code", "text", "source")
EDIT_KEYS = (("old_str", "new_str"), ("old_string", "new_string"), ("old", "new"), ("search", "replace"))
COMMAND_KEYS = ("command", "cmd", "script", "input")
PYTHON_LANGS = frozenset({"", "python", "py", "python3", "py3", "ipython", "python2"})
CONFIG_LANGS = frozenset({"ini", "toml", "cfg", "yaml", "yml", "make", "makefile", "dosini", "conf", "text", "txt"})
SHELL_LANGS = frozenset({"bash", "sh", "shell", "console", "zsh"})

_FILE_SUFFIX = r"(?:py|pyi|pth|ini|cfg|toml|txt|yml|yaml|json|sh|md|rst|in)"
_PATH = rf"[\w.@/+-]*[\w+-]\.{_FILE_SUFFIX}|Makefile|Dockerfile|Jenkinsfile"
# A block may be cut off anywhere, even inside its tag (a rollout that ran out of tokens).
FILE_BLOCK = re.compile(
    r"<file\s+(?:path|name)\s*=\s*([\"'])(?P<path>[^\"'\n]+)"
    r"(?:\1\s*>\n?(?P<body>.*?)(?:</file>|(?=<file\s+(?:path|name)\s*=)|\Z)|\1?\s*\Z)",
    re.S,
)
CODE_BLOCK = re.compile(r"<code(?:\s[^>]*)?>\n?(?P<body>.*?)(?:</code>|\Z)", re.S)
THINKING = re.compile(r"<(think|thinking|reasoning|scratchpad)>.*?(?:</\1>|\Z)", re.S)
_NAME_COMMENT = re.compile(rf"^\s*(?:#|//)\s*(?:(?:file(?:name)?|path)\s*:\s*)?(?P<path>{_PATH})\s*$", re.I)
_NAME_LINE = re.compile(
    rf"^\s*(?:#+\s*)?(?:[*_]{{1,2}})?(?:(?:file(?:name)?|path|create|creating|update|updated|new file|in)\s*:?\s*)?"
    rf"[`'\"]?(?P<path>{_PATH})[`'\"]?(?:[*_]{{1,2}})?\s*:?\s*(?:[*_]{{1,2}})?\s*$",
    re.I,
)
_INFO_NAME = re.compile(rf"(?:title|file(?:name)?|path)\s*=\s*[\"']?(?P<path>[^\"'\s]+)|(?:^|[\s:])(?P<bare>{_PATH})$", re.I)
# `echo '...' > path` / `printf "..." >> path`: one-line writes (escapes expanded for printf / echo -e)
_ECHO = re.compile(
    r"\b(?P<cmd>echo|printf)\s+(?P<flags>(?:-[neE]+\s+)*)(?P<q>['\"])(?P<body>.*?)(?<!\\)(?P=q)\s*>{1,2}\s*"
    r"(?P<path>[^\s'\"<>|;&]+)",
    re.S,
)
_HEREDOC = re.compile(
    r"(?:cat\s*>{1,2}\s*|tee\s+(?:-a\s+)?)(?P<q1>['\"]?)(?P<path>[^\s'\"<>|;&]+)(?P=q1)\s*<<-?\s*(?P<q2>['\"]?)(?P<tag>\w+)(?P=q2)[^\n]*\n"
    r"(?P<body>.*?)\n(?P=tag)\s*(?:\n|$)",
    re.S,
)
_CODE_START = re.compile(r"(?:def |class |async def |import \w|from [\w.]+ import |@\w|#!.*python)")


def _looks_like_python(text: str) -> bool:
    """Parses as Python and does something: not a lone value such as `6`, `OK` or `x.y`."""
    if not text.strip():
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(not isinstance(s, ast.Expr) or isinstance(s.value, (ast.Call, ast.Await)) for s in tree.body)


def _starts_like_code(text: str) -> bool:
    """Bare code that does not parse (models write broken code too): it still is the answer."""
    return bool(_CODE_START.match(text.lstrip()))


def _clean_path(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _fence_name(info: str, body: str, before: list[str]) -> str | None:
    """A fence's file name: from its info string (`python title="x.py"`, `conftest.py`), its first
    line (`# filename: x.py`, kept in the file: it is part of what was written) or the line before
    the fence (`tests/test_x.py:`)."""
    m = _INFO_NAME.search(info) if any(c in info for c in " :.") else None
    if m:
        return _clean_path(m.group("path") or m.group("bare"))
    m = _NAME_COMMENT.match(body.partition("\n")[0])
    if m:
        return _clean_path(m.group("path"))
    for line in reversed(before[-2:]):
        if line.strip():
            m = _NAME_LINE.match(line)
            return _clean_path(m.group("path")) if m else None
    return None


def code_in(text: str, tools: list[Any], errors: list[InputError]) -> Iterator[tuple[str | None, str | RawFile]]:
    """(file name or None, code) of every piece of code in an agent's turn: its text and the
    arguments of its tool calls. The files of a patch come as (None, RawFile), from its hunks."""
    found = False
    if "<" in text:  # every tag below opens with one: most answers have none
        text = THINKING.sub("", text)
        for m in FILE_BLOCK.finditer(text):
            found = True
            yield _clean_path(m.group("path")), m.group("body") or ""
        text = FILE_BLOCK.sub("", text)
        for m in CODE_BLOCK.finditer(text):
            if _looks_like_python(m.group("body")):
                found = True
                yield None, m.group("body")
        text = CODE_BLOCK.sub("", text)
    lines: list[str] | None = None  # split only for a fence with lines before it (one may name its file)
    fenced = "```" in text or "~~~" in text  # a fence opens with three of either
    for fence in fences(text) if fenced else ():
        info = fence.info.strip()
        lang = info.split()[0].lower().split(":")[0] if info else ""
        body = fence.content
        if fence.line and lines is None:
            lines = text.split("\n")
        name = _fence_name(info, body, lines[max(0, fence.line - 2): fence.line] if lines else [])
        if lang in ("diff", "patch") or looks_like_diff(body):
            for raw in diff_raws(body, errors):
                found = True
                yield None, raw
            continue
        if lang in SHELL_LANGS:
            for name, written in shell_writes(body):
                found = True
                yield name, written
            continue
        if name and (lang in PYTHON_LANGS or lang in CONFIG_LANGS or "." in lang or name.endswith(lang)):
            found = True
            yield name, body
        elif lang in PYTHON_LANGS and (lang or _looks_like_python(body)) and body.strip():
            found = True
            yield None, body
    for args in tools:
        for name, written in _tool_files(args):
            found = True
            yield name, written
    if not found and looks_like_diff(text):  # a bare patch, e.g. a `model_patch`
        for raw in diff_raws(text, errors):
            found = True
            yield None, raw
    if not found and (_looks_like_python(text) or _starts_like_code(text)):  # bare code, e.g. `code_outputs`
        yield None, text


def _tool_files(args: Any) -> Iterator[tuple[str, str] | tuple[None, RawFile]]:
    """Files a tool call writes: a path next to a body, a heredoc in a shell command, or an edit
    (old text -> new text: a MODIFIED file known only by that piece, like a diff's hunk)."""
    if isinstance(args, str):
        args = {"command": args}
    if not isinstance(args, dict):
        return
    path = next((args[k] for k in PATH_KEYS if isinstance(args.get(k), str)), None)
    body = next((args[k] for k in BODY_KEYS if isinstance(args.get(k), str)), None)
    if path and body is not None:
        yield _clean_path(path), body
    for old_key, new_key in EDIT_KEYS:
        old, new = args.get(old_key), args.get(new_key)
        if path and isinstance(old, str) and isinstance(new, str):
            n_old, n_new = len(old.split("\n")), len(new.split("\n"))
            yield None, RawFile(_clean_path(path), old, new, hunk_lines=(frozenset(range(1, n_old + 1)),
                                                                      frozenset(range(1, n_new + 1))))
            break
    for k in COMMAND_KEYS:
        cmd = args.get(k)
        if isinstance(cmd, list):
            cmd = " ".join(c for c in cmd if isinstance(c, str))
        if isinstance(cmd, str):
            yield from shell_writes(cmd)


def shell_writes(script: str) -> Iterator[tuple[str, str]]:
    """Files a shell script writes with a heredoc (`cat > f << EOF`) or an echo/printf redirect."""
    for h in _HEREDOC.finditer(script):
        if not h.group("path").startswith("/dev/"):
            yield _clean_path(h.group("path")), h.group("body") + "\n"
    for e in _ECHO.finditer(script):
        if e.group("path").startswith("/dev/"):
            continue
        body = e.group("body")
        if e.group("cmd") == "printf" or "e" in e.group("flags"):
            body = body.replace("\\n", "\n").replace("\\t", "\t")
        if e.group("cmd") == "echo" and "n" not in e.group("flags"):
            body += "\n"
        yield _clean_path(e.group("path")), body
