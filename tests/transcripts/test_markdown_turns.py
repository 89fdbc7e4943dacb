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
    "x\r## User", "\r", "Text\rUser:", "- User", "= Assistant", "-- user", "=== agent", "#prompt",
    "    x = 1", "        y = 2", "print('## User')", "```python", "```", "~~~",
]


def _doc(rng: random.Random) -> str:
    text = "\n".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16)))
    return text + rng.choice(["", "\n", "\n\n", "  ", "\r\n"])


class _Everywhere:
    """A stand-in for the shortcuts' patterns that matches every text: markdown-it reads them all, whole."""

    @staticmethod
    def search(text: str) -> bool:
        return True


def _slow(monkeypatch: pytest.MonkeyPatch, text: str, explicit: bool) -> list[code.Turn] | None:
    with monkeypatch.context() as m:
        m.setattr(code, "_MAY_PROMPT", _Everywhere)
        m.setattr(code, "_MAY_CUT", _Everywhere)
        return code.markdown_turns(text, explicit)


def _plain(text: str) -> str:
    return code._blank(code._blank(text.replace("\r\n", "\n").replace("\r", "\n"), code.FILE_BLOCK), code.CODE_BLOCK)


def _quick(text: str) -> bool:
    return code._MAY_PROMPT.search(_plain(text)) is None


def test_turns_match_markdown_its_reading_on_random_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(13)
    quick = light = 0
    for _ in range(6000):
        text = _doc(rng)
        explicit = rng.random() < 0.7
        quick += _quick(text)
        light += not _quick(text) and code._without_fence_bodies(_plain(text)) is not None
        assert code.markdown_turns(text, explicit) == _slow(monkeypatch, text, explicit), repr(text)
    # the shortcuts must be taken often enough for this test to prove something about them
    assert quick > 300 and light > 300


HEADINGS = ["## User", "## Assistant", "# User", "# Assistant", "\nUser\n----", "\nAssistant\n====", "**User:**",
            "Assistant:", "### prompt (user turn)", "## Model response", "> ## User", "1. ## Assistant", "## Notes"]
CODE = ["def f(x):", "    return x", "# a comment", "## User", "# Assistant", "- User", "= Assistant", "-- user",
        "#User", "x = 1", "", "", "    # User", "=== agent", "print('## User')", "<div>", "   ```", "~~~",
        "## *User", "- *Assistant", "## > user", "= user"]


def _chat_doc(rng: random.Random) -> str:
    """A transcript: role headings, a line of text, code blocks (closed or cut off) whose lines may
    look like headings."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(HEADINGS))
        parts.append(rng.choice(["Fix it.", "", "Here is the code:", "- a step"]))
        if rng.random() < 0.7:
            fence = rng.choice(["```python", "```", "~~~", "````py", "```\t"])
            parts.append(fence)
            parts += [rng.choice(CODE) for _ in range(rng.randint(0, 6))]
            if rng.random() < 0.75:
                parts.append(fence.rstrip("\t").split("p")[0] if rng.random() < 0.9 else "```")
    return "\n".join(parts) + rng.choice(["", "\n"])


def test_transcripts_read_with_emptied_fences_match_the_full_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    light = cut = 0
    for _ in range(3000):
        text = _chat_doc(rng)
        plain = _plain(text)
        light += code._without_fence_bodies(plain) is not None
        cut += "```" in text and code._without_fence_bodies(plain) is None
        assert code.markdown_turns(text, True) == _slow(monkeypatch, text, True), repr(text)
    assert light > 250 and cut > 500
    # a setext heading's underline is a heading level too: a fence line "= user" or "- user" after
    # a blank ends the fence, and the role heading below it is one again
    for sep, head in (("=", "Assistant"), ("-", "User")):
        text = f"\n{head}\n{sep * 4}\n\nhi\n\n## User\nFix.\n\n## Assistant\n```python\nx = 1\n\n{sep} user\nfoo\n\nUser\n{sep * 4}\nmore\n"
        assert code._without_fence_bodies(_plain(text)) is None
        turns = code.markdown_turns(text, True)
        assert turns == _slow(monkeypatch, text, True) and turns is not None
        assert turns[-1].side == "prompt" and turns[-1].text.endswith("more\n")


def test_the_shortcut_patterns_look_at_one_line_at_a_time() -> None:
    """A match from one line start must not run on into the next: from every line start of a long
    run of punctuation lines it would scan the rest of the run (20,000 such lines took 49 s)."""
    assert code._MAY_PROMPT.match("-\nUser") is None and code._MAY_PROMPT.match("- User")
    assert code._MAY_CUT.match("#\nUser") is None and code._MAY_CUT.match("# User")


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
