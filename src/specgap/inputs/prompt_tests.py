"""The test cases a prompt shows, as test code rules can cross-reference.

Assert lines and test code blocks are kept as written; Input/Output examples of a problem
statement (the classic judge format) become an `examples` list of (input, output) strings.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings

from specgap.inputs.fences import code_blocks

_ASSERT_LINE = re.compile(r"^\s*assert\b.*$", re.M)
_EXAMPLE_MARK = re.compile(
    r"^\s*(?:#+\s*)?(?:[*_]{1,2})?(?:sample|example)?\s*(?P<kind>input|output)s?\s*(?:#?\d+)?\s*:?\s*(?:[*_]{1,2})?\s*$", re.I)
_MAX_EXAMPLES = 50
_TEST_CODE = re.compile(r"\bassert|\bdef test|unittest")


def _parses(code: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _is_prose(text: str) -> bool:
    """A line of running text (a format description), not example data."""
    for line in text.split("\n"):
        words = line.split()
        if len(words) >= 5 and sum(w.strip(".,;:()").isalpha() for w in words) >= 0.8 * len(words) and line.rstrip().endswith((".", ":")):
            return True
    return False


def _examples(text: str) -> list[tuple[str, str]]:
    """Input/Output example pairs of a problem statement (the classic judge format)."""
    pairs: list[tuple[str, str]] = []
    kind: str | None = None
    buf: list[str] = []
    pending: str | None = None

    def flush() -> None:
        nonlocal pending
        body = "\n".join(ln for ln in buf if not ln.strip().startswith(("```", "~~~"))).strip("\n")
        if kind == "input":
            pending = body
        elif kind == "output" and pending is not None and body:
            if not (_is_prose(pending) or _is_prose(body)):  # the statement's "Input"/"Output" sections
                pairs.append((pending + "\n", body + "\n"))
            pending = None
        buf.clear()

    for line in text.split("\n"):
        m = _EXAMPLE_MARK.match(line)
        if m:
            flush()
            kind = m.group("kind").lower()
            continue
        if kind == "output" and buf and any(b.strip() for b in buf) and not line.strip():
            flush()
            kind = None
            continue
        if kind is not None:
            buf.append(line)
    flush()
    return pairs[:_MAX_EXAMPLES]


def prompt_tests(texts: list[str]) -> str:
    """Test code for the prompt's test cases (empty if it shows none)."""
    return _prompt_tests(tuple(texts))


# RL rollouts come in groups that share a prompt (several samples per task): read each once
@functools.lru_cache(maxsize=64)
def _prompt_tests(texts: tuple[str, ...]) -> str:
    pieces: list[str] = []
    seen: set[str] = set()

    def add(code: str) -> None:
        code = code.strip("\n")
        if code and code not in seen and _parses(code):
            seen.add(code)
            pieces.append(code)

    for text in texts:
        # a code block's content is lines of the text minus their indent or quote marks, so
        # the text holds what the content must
        for block in code_blocks(text) if _TEST_CODE.search(text) else ():
            if _TEST_CODE.search(block):
                add(block)
        for m in _ASSERT_LINE.finditer(text):
            line = m.group(0).strip()
            if not any(line in piece for piece in pieces):
                add(line)
        examples = _examples(text)
        if examples:
            add("examples = [\n" + "".join(f"    ({i!r}, {o!r}),\n" for i, o in examples) + "]")
    return "\n\n".join(pieces) + "\n" if pieces else ""
