"""Parse the pieces of a file that a diff shows without the rest of the file.

A hunk can start in the middle of a block, a docstring or a dict literal, end half-way through
a statement, or begin with a dangling `elif`/`else:`. Rules still need to see the asserts, defs
and calls inside it, so each run of consecutive lines is parsed on its own (indented runs under
a dummy `if 1:`, so column offsets and string contents stay exact), lines that break the syntax
are dropped one at a time, and what parses is stitched into one module at the lines' true line
numbers.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

# Parsing attempts per run of lines: enough for many broken spots, bounded for adversarial input.
_BUDGET = 400
# Headers whose body can be kept without them (the statement they continue is not in the hunk).
_CONTINUATION = re.compile(r"^\s*(?:else\s*:|finally\s*:|except\b[^#]*:)\s*(?:#.*)?$")
_OPEN_TRY = re.compile(r"^\s*try\s*:\s*(?:#.*)?$")
# Openers that make a run of dict items, list items or call arguments parse as one expression.
_BRACKETS = (("{", "}"), ("[", "]"), ("__fragment__(", ")"))


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _blocks(run: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Split consecutive lines where the indentation falls below the block's first line."""
    out: list[list[tuple[int, str]]] = []
    base: str | None = None
    for n, text in run:
        if not text.strip():
            if out:
                out[-1].append((n, text))
            continue
        ind = _indent(text)
        if base is None or not ind.startswith(base):
            out.append([])
            base = ind
        out[-1].append((n, text))
    return out


def _string_readings(run: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Other ways to read a run that may start or end inside a docstring: skip up to the first
    triple quote (it closes a string the hunk starts in), close the last one (it opens a string
    the hunk ends in), or both. Docstring text is not code: lines skipped so are not reported."""
    quoted = [i for i, (_, t) in enumerate(run) if '"""' in t or "'''" in t]
    if not quoted:
        return []
    first, last = quoted[0], quoted[-1]
    quote = '"""' if '"""' in run[last][1] else "'''"
    head_cut = run[first + 1 :]
    readings = [head_cut, run[:last] + [(run[last][0], run[last][1] + quote)]]
    if last > first:
        readings.append(head_cut[: last - first - 1] + [(run[last][0], run[last][1] + quote)])
    return readings


class _Parser:
    def __init__(self) -> None:
        self.budget = _BUDGET
        self.dropped: list[int] = []

    def lines(self, run: list[tuple[int, str]]) -> list[ast.stmt]:
        while run and not run[0][1].strip():
            run = run[1:]
        while run and not run[-1][1].strip():
            run = run[:-1]
        if not run:
            return []
        stmts: list[ast.stmt] = []
        for block in _blocks(run):
            stmts.extend(self.block(block))
        return stmts

    def _parse(self, text: str) -> ast.Module:
        self.budget -= 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)

    def block(self, block: list[tuple[int, str]]) -> list[ast.stmt]:
        if self.budget <= 0:
            self.dropped.extend(n for n, t in block if t.strip())
            return []
        first = block[0][1]
        if _CONTINUATION.match(first):
            return self.lines(block[1:])  # the body stands without its header
        if first.lstrip().startswith("elif "):
            # `elif c:` continues an `if` the hunk does not show; `if  c:` keeps c's columns
            block = [(block[0][0], first.replace("elif ", "if   ", 1))] + block[1:]
        wrapped = bool(_indent(block[0][1]))
        body_text = "\n".join(t for _, t in block)
        try:
            tree = self._parse(("if 1:\n" if wrapped else "") + body_text + "\n")
        except SyntaxError as exc:
            stmts = self._closed(block, body_text, wrapped) or self._bracketed(block, body_text)
            if stmts is not None:
                return stmts
            if _OPEN_TRY.match(first) and len(block) > 1:
                return self.lines(block[1:])  # its handlers are beyond the hunk
            # drop the line the parser stopped at and parse what is on either side of it
            bad = (exc.lineno or len(block)) - (1 if wrapped else 0)
            bad = min(max(bad, 1), len(block))
            self.dropped.append(block[bad - 1][0])
            return self.lines(block[: bad - 1]) + self.lines(block[bad:])
        except (RecursionError, MemoryError, ValueError):
            self.dropped.extend(n for n, t in block if t.strip())
            return []
        body = tree.body[0].body if wrapped else tree.body  # type: ignore[attr-defined]
        return _shifted(body, block[0][0] - 1 - (1 if wrapped else 0))

    def _closed(self, block: list[tuple[int, str]], body_text: str, wrapped: bool) -> list[ast.stmt] | None:
        """The block with the brackets it leaves open closed (a hunk that ends inside a call)."""
        closers = _open_brackets(body_text)
        if not closers or self.budget <= 0:
            return None
        try:
            tree = self._parse(("if 1:\n" if wrapped else "") + body_text + "\n" + closers + "\n")
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        body = tree.body[0].body if wrapped else tree.body  # type: ignore[attr-defined]
        return _shifted(body, block[0][0] - 1 - (1 if wrapped else 0))

    def _bracketed(self, block: list[tuple[int, str]], body_text: str) -> list[ast.stmt] | None:
        """The block as the inside of a dict, list or call (a hunk inside a long literal)."""
        for opener, closer in _BRACKETS:
            if self.budget <= 0:
                return None
            try:
                tree = self._parse(f"{opener}\n{body_text}\n{closer}\n")
            except (SyntaxError, RecursionError, MemoryError, ValueError):
                continue
            return _shifted(tree.body, block[0][0] - 2)
        return None


def _open_brackets(text: str) -> str:
    """The closing brackets `text` lacks at its end, innermost first ("" if none, or unsure)."""
    stack: list[str] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string in pairs:
                stack.append(pairs[tok.string])
            elif tok.type == tokenize.OP and tok.string in ")]}":
                if not stack or stack.pop() != tok.string:
                    return ""
    except tokenize.TokenError:
        pass  # "EOF in multi-line statement": exactly the case to close
    except (SyntaxError, ValueError, RecursionError):
        return ""
    return "".join(reversed(stack))


def _shifted(body: list[ast.stmt], shift: int) -> list[ast.stmt]:
    for stmt in body:
        ast.increment_lineno(stmt, shift)
    return body


def _score(run: list[tuple[int, str]], dropped: list[int]) -> tuple[int, int]:
    """How many lines of a reading made it into the tree, then how few had to be dropped."""
    return sum(1 for _, t in run if t.strip()) - len(dropped), -len(dropped)


def parse_fragments(lines: dict[int, str]) -> tuple[ast.Module, list[int]]:
    """A module of whatever parses among `lines` (1-based line number -> text).

    Returns the module and the code lines that had to be dropped (docstring text that a hunk
    starts or ends in is skipped without counting as dropped).
    """
    stmts: list[ast.stmt] = []
    runs: list[list[tuple[int, str]]] = []
    for n in sorted(lines):
        if not runs or n != runs[-1][-1][0] + 1:
            runs.append([])
        runs[-1].append((n, lines[n]))
    dropped: list[int] = []
    for run in runs:
        parser = _Parser()
        best = (parser.lines(run), parser.dropped, _score(run, parser.dropped))
        for reading in _string_readings(run) if best[1] else ():
            parser = _Parser()
            found = parser.lines(reading)
            if _score(reading, parser.dropped) > best[2]:
                best = (found, parser.dropped, _score(reading, parser.dropped))
        stmts.extend(best[0])
        dropped.extend(best[1])
    stmts.sort(key=lambda s: s.lineno)
    return ast.Module(body=stmts, type_ignores=[]), sorted(set(dropped))
