"""The line-by-line reader gives markdown-it's fences and code blocks exactly, or leaves the text to it."""

from __future__ import annotations

import random

from specgap.inputs import fences as fences_mod
from specgap.inputs.fences import Fence, code_blocks, fences

# lines that open, close or hide fences, and the blocks around them that could change what a fence is
PIECES = [
    "```", "```python", "``` py title=\"a.py\"", "````", "```` text", "~~~", "~~~python", "~~~~", "```a`b", "``` ",
    "```\t", "```  x", "  ```", "   ```", "    ```", "\t```", " ~~~", "```   ", "~~~ \t", "`` `", "x ```", "- ```",
    "> ```", "1. ```", "- item", "  - nested", "1. first", "2) second", "> quote", ">", "<div>", "</div>", "<!--",
    "-->", "<pre>", "</pre>", "  <span>", "[ref]: /url", "[ref]: /url \"title", "title\"", "    indented code",
    "\tcode", "# Heading", "Heading", "===", "---", "***", "", "", "", "   ", "\t", "Some text.", "def f(x):",
    "    return x", "assert f(1) == 2", "print('```')", "s = '~~~'", "x = 1  # ```", "  ````", "``````",
    ">     quoted code", "-     listed code", "1.     code", "      deep", "  >    x", "a    b", "-\tx",
]


def _doc(rng: random.Random) -> str:
    lines = [rng.choice(PIECES) for _ in range(rng.randint(0, 14))]
    text = "\n".join(lines)
    ending = rng.choice(["", "\n", "\n\n", "\n  ", "  ", "\r\n", "\n\0"])
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    return text + ending


def _markdown_it(text: str) -> list[Fence]:
    tokens = fences_mod._md.parse(text)
    return [Fence(t.map[0], t.map[1], t.info, t.content) for t in tokens if t.type == "fence" and t.map]


def _blocks(text: str) -> list[str]:
    return [t.content for t in fences_mod._md.parse(text) if t.type in ("fence", "code_block")]


def test_fences_match_markdown_it_on_random_documents() -> None:
    rng = random.Random(7)
    quick = 0
    for _ in range(4000):
        text = _doc(rng)
        assert fences(text) == _markdown_it(text), repr(text)
        assert code_blocks(text) == _blocks(text), repr(text)
        if fences_mod._top_level(text) is not None:
            quick += 1
            assert fences_mod._top_level(text) == _markdown_it(text), repr(text)
    # the line-by-line reader must take a fair share, or this test proves nothing about it
    assert quick > 400


def test_fence_lines_are_found_as_a_line_by_line_test_finds_them() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        text = _doc(rng) + rng.choice(["", "``", "~~", "```", "x~~~~y", "`~~~`"])
        lines = text.split("\n")
        for n in (len(lines), len(lines) - 1):
            expect = [i for i, line in enumerate(lines[:n]) if "```" in line or "~~~" in line]
            assert fences_mod._marked(text, n) == expect, repr(text)


def test_common_answer_shapes_are_read_line_by_line() -> None:
    answer = "Here is the solution.\n\n```python\ndef f(x):\n    return x + 1\n```\n\nIt adds one.\n"
    assert fences_mod._top_level(answer) == [Fence(2, 6, "python", "def f(x):\n    return x + 1\n")]
    unclosed = "```py\nimport os\n\n    print(1)"
    assert fences_mod._top_level(unclosed) == [Fence(0, 4, "py", "import os\n\n    print(1)")]
    # a fence inside a list item or a quote, or after an HTML block: markdown-it decides
    for text in ("1. Step\n   ```python\n   x = 1\n   ```\n", "> ```\n> x\n", "<div>\n```\nx\n```\n"):
        assert fences_mod._top_level(text) is None
        assert fences(text) == _markdown_it(text)


def test_code_blocks_include_indented_ones() -> None:
    prompt = "Make this pass:\n\n    assert f(1) == 2\n\nand this:\n\n```python\nassert f(2) == 3\n```\n"
    assert code_blocks(prompt) == ["assert f(1) == 2\n", "assert f(2) == 3\n"] == _blocks(prompt)
    # four spaces inside a fence are code, not a sign of an indented block
    assert code_blocks("```\n    x = 1\n```\n") == ["    x = 1\n"]
