"""Markdown rollouts are split into turns without markdown-it where no prompt's turn can be marked:
the result must be exactly what markdown-it's reading gives, on documents built to be tricky."""

from __future__ import annotations

import random

import pytest

from specgap.inputs.transcripts import code

# role headings and labels in every container and spelling, look-alikes that are neither, fences
# that hide or truncate them, and the blocks that change what a line is
PIECES = [
    "## User", "## Assistant", "# prompt (user turn)", "### assistant response 2", "**User:**", "Assistant: ok",
    "__Assistant__: here", "User", "===", "---", "Assistant", "> ## User", "- ## Assistant", "1. User: hi",
    "2) **Assistant:**", "   ## user turn", "    ## User", "\t# Assistant", "#User", "USER:", "ſystem:", "Human :",
    "user1", "model = Model()", "    response = f()", "AI", "aim high", "# agent #", "## Completion ##",
    "```", "```python", "~~~", "````", "  ```", "    ```", "> ```", "- ```", "``` py", "```a`b",
    "def f(x):", "    return x", "# a comment", "assert f(1) == 2", "Some text.", "", "", "", "   ",
    "<div>", "</div>", "<file path=\"a.py\">", "</file>", "<code>", "</code>", "<think>", "</think>",
    "[ref]: /url", "- item", "  - nested", "> quote", "1. first", "*", "_", "1.", "Systematic", "users",
    "_User_:", "\t## User", "+ ## Human", "> > **Human**:", "1. ## User", "2) # Human", "10. > ## system",
    "x\r## User", "\r", "Text\rUser:",
]


def _doc(rng: random.Random) -> str:
    text = "\n".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16)))
    return text + rng.choice(["", "\n", "\n\n", "  ", "\r\n"])


class _Everywhere:
    """A stand-in for the shortcut's pattern that matches every text: markdown-it reads them all."""

    @staticmethod
    def search(text: str) -> bool:
        return True


def _slow(monkeypatch: pytest.MonkeyPatch, text: str, explicit: bool) -> list[code.Turn] | None:
    with monkeypatch.context() as m:
        m.setattr(code, "_MAY_PROMPT", _Everywhere)
        return code.markdown_turns(text, explicit)


def _quick(text: str) -> bool:
    plain = code._blank(code._blank(text.replace("\r\n", "\n").replace("\r", "\n"), code.FILE_BLOCK), code.CODE_BLOCK)
    return code._MAY_PROMPT.search(plain) is None


def test_turns_match_markdown_its_reading_on_random_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(13)
    quick = 0
    for _ in range(4000):
        text = _doc(rng)
        explicit = rng.random() < 0.7
        quick += _quick(text)
        assert code.markdown_turns(text, explicit) == _slow(monkeypatch, text, explicit), repr(text)
    # the shortcut must be taken often enough for this test to prove something about it
    assert quick > 300


def test_a_plain_answer_is_read_without_markdown_it(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = "Here is my solution.\n\n```python\nmodel = 1\ndef solve(xs):\n    return sorted(xs)\n```\n"
    assert _quick(answer)
    assert code.markdown_turns(answer, True) == [code.Turn("agent", answer)] == _slow(monkeypatch, answer, True)
    assert code.markdown_turns(answer, False) is None
    # a prompt's heading or label, even inside a fence a role heading may cut: read by markdown-it
    for text in ("## User\nhi\n## Assistant\n```python\nx = 1\n```\n", "> **Human:** hi\nAssistant: ok\n",
                 "## Assistant\n```python\nx = 1\n\n## User\nmore\n"):
        assert not _quick(text)
        assert code.markdown_turns(text, True) == _slow(monkeypatch, text, True)
