"""Parse the pieces of a file that a diff shows without the rest of the file.

A hunk can start in the middle of a block, end half-way through a statement, or begin with a
dangling `else:`. Rules still need to see the asserts, defs and calls inside it, so each run of
consecutive lines is parsed on its own (indented runs under a dummy `if 1:` so that column
offsets and string contents stay exact), lines that break the syntax are dropped one at a time,
and what parses is stitched into one module at the lines' true line numbers.
"""

from __future__ import annotations

import ast
import warnings

# Parsing attempts per file: enough for many broken spots, bounded for adversarial input.
_BUDGET = 400


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

    def block(self, block: list[tuple[int, str]]) -> list[ast.stmt]:
        if self.budget <= 0:
            self.dropped.extend(n for n, t in block if t.strip())
            return []
        self.budget -= 1
        wrapped = bool(_indent(block[0][1]))
        text = ("if 1:\n" if wrapped else "") + "\n".join(t for _, t in block) + "\n"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except SyntaxError as exc:
            # drop the line the parser stopped at and parse what is on either side of it
            bad = (exc.lineno or len(block)) - (1 if wrapped else 0)
            bad = min(max(bad, 1), len(block))
            self.dropped.append(block[bad - 1][0])
            return self.lines(block[: bad - 1]) + self.lines(block[bad:])
        except (RecursionError, MemoryError, ValueError):
            self.dropped.extend(n for n, t in block if t.strip())
            return []
        body = tree.body[0].body if wrapped else tree.body  # type: ignore[attr-defined]
        shift = block[0][0] - 1 - (1 if wrapped else 0)
        for stmt in body:
            ast.increment_lineno(stmt, shift)
        return body


def parse_fragments(lines: dict[int, str]) -> tuple[ast.Module, list[int]]:
    """A module of whatever parses among `lines` (1-based line number -> text).

    Returns the module and the line numbers that had to be dropped.
    """
    parser = _Parser()
    stmts: list[ast.stmt] = []
    run: list[tuple[int, str]] = []
    for n in sorted(lines):
        if run and n != run[-1][0] + 1:
            stmts.extend(parser.lines(run))
            run = []
        run.append((n, lines[n]))
    stmts.extend(parser.lines(run))
    stmts.sort(key=lambda s: s.lineno)
    return ast.Module(body=stmts, type_ignores=[]), sorted(set(parser.dropped))
