"""Code blocks of Markdown (an agent's answer, a prompt), as CommonMark (markdown-it) reads them.

markdown-it builds every block of the text in Python, a few characters at a time: for a typical
single-file RL answer (a sentence and one 60-line fence) that was most of the time spent reading
the rollout. Where the text's structure cannot hide a fence, the fences are read line by line at
C speed instead, with markdown-it's exact result: every line holding a fence marker (three
backticks or tildes) opens a top-level fence at column 0 or lies inside one, and no line outside
the fences starts an HTML block. Then every fence is top level: a column-0 fence line ends any
paragraph, list, block quote, reference or indented code before it (each takes a fence as its
terminator), and only an HTML block could swallow it. Anything else (an indented or quoted
fence, a fence in a list, `<` starting a line, CR line ends or NUL) goes to markdown-it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from markdown_it import MarkdownIt

# only block tokens (fences) are read: inline parsing of every paragraph was half the parse
_md = MarkdownIt("commonmark").disable("inline")
# searched for in "\n" + text: a leading literal lets the regex engine jump between line starts
# where `^` with re.M would be tried at every character
_HTML_START = re.compile(r"\n[ \t]*<")


class Fence(NamedTuple):
    line: int  # the opening fence's line (0-based), markdown-it's `token.map[0]`
    end: int  # the line after its closing fence (or the text's line count), `token.map[1]`
    info: str  # the info string as written after the marker (not stripped)
    content: str


def fences(text: str) -> list[Fence]:
    """Every fenced code block of `text`, nested ones included, in order."""
    quick = _top_level(text)
    if quick is not None:
        return quick
    return [Fence(t.map[0], t.map[1], t.info, t.content) for t in _md.parse(text) if t.type == "fence" and t.map]


def fences_if_simple(text: str) -> list[Fence] | None:
    """`fences(text)` where they can be read line by line (see above), else None."""
    return _top_level(text)


def code_blocks(text: str) -> list[str]:
    """The content of every fenced and indented code block of `text`, in order, as markdown-it
    reads them. An indented block needs a line indented by four columns past its container's
    prefix, so a text whose lines outside fences hold neither four spaces nor a tab has none."""
    quick = _top_level(text)
    if quick is not None:
        inside = {n for f in quick for n in range(f.line, f.end)}
        lines = text.split("\n")
        if not any(("    " in line or "\t" in line) and n not in inside for n, line in enumerate(lines)):
            return [f.content for f in quick]
    return [t.content for t in _md.parse(text) if t.type in ("fence", "code_block")]


def _indent(line: str, stripped: str) -> int:
    """The line's indent with tabs expanded to the next multiple of 4 (markdown-it's `sCount`)."""
    width = 0
    for ch in line[:len(line) - len(stripped)]:
        width += 4 - width % 4 if ch == "\t" else 1
    return width


def _top_level(text: str) -> list[Fence] | None:
    """The fences read line by line, or None where the structure needs markdown-it (see above)."""
    if "\r" in text or "\0" in text:  # markdown-it normalises these first
        return None
    lines = text.split("\n")
    # markdown-it has no line for a last one of only spaces or tabs (or nothing) without a "\n"
    n = len(lines) - 1 if not lines[-1].strip(" \t") else len(lines)
    marked = _marked(text, n)
    found: list[Fence] = []
    inside: list[tuple[int, int]] = []  # line ranges [start, end) of the fences
    k = 0
    while k < len(marked):
        start = marked[k]
        line = lines[start]
        marker = line[0]
        if not line.startswith(("```", "~~~")):
            return None  # indented, quoted, listed or inline: markdown-it decides
        size = len(line) - len(line.lstrip(marker))
        info = line[size:]
        if marker == "`" and "`" in info:
            return None  # not a fence (CommonMark forbids a backtick there): a paragraph's text
        end = n  # unclosed: the fence runs to the end of the text
        k += 1
        while k < len(marked):
            candidate = lines[marked[k]]
            k += 1
            stripped = candidate.lstrip(" \t")
            if not stripped.startswith(marker) or _indent(candidate, stripped) >= 4:
                continue
            run = len(stripped) - len(stripped.lstrip(marker))
            if run >= size and not stripped[run:].strip(" \t"):
                end = marked[k - 1]
                break
        body = lines[start + 1:end]
        # every content line keeps its "\n"; the last line of the text has one only if the text does
        closed_or_newline = end < n or n < len(lines)
        content = "\n".join(body) + "\n" if body and closed_or_newline else "\n".join(body)
        found.append(Fence(start, end + 1 if end < n else n, info, content))
        inside.append((found[-1].line, found[-1].end))
    if "<" not in text:
        return found
    # matches and fences both come in line order: walk them together (linear on huge texts)
    at = scanned = k = 0
    for m in _HTML_START.finditer("\n" + text):
        at += text.count("\n", scanned, m.start())  # the match starts at the "\n" before its line
        scanned = m.start()
        while k < len(inside) and inside[k][1] <= at:
            k += 1
        if at < n and not (k < len(inside) and inside[k][0] <= at):
            return None  # an HTML block may run over a fence line
    return found


def _marked(text: str, n: int) -> list[int]:
    """The numbers of the lines (below `n`) that hold three backticks or tildes, in order: found
    with `str.find`, which skips through the text at C speed, where testing each line in Python
    (or a regex alternation) cost more than the rest of the reading."""
    starts: list[int] = []
    for mark in ("```", "~~~"):
        at = text.find(mark)
        while at >= 0:
            starts.append(at)
            end = text.find("\n", at)
            if end < 0:
                break
            at = text.find(mark, end)
    starts.sort()
    marked: list[int] = []
    line = scanned = 0
    for at in starts:
        line += text.count("\n", scanned, at)
        scanned = at
        if line < n and (not marked or marked[-1] != line):
            marked.append(line)
    return marked
