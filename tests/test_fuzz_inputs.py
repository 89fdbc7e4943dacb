"""Arbitrary input never crashes an input: the only exception allowed is InputFailure."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specgap.inputs import InputFailure, load_diff, load_files
from specgap.inputs.changeset import RawFile, build
from specgap.model import ChangeSet

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# diff-shaped lines, so the fuzzer reaches the parser's corners and not only "no diff found"
_diff_line = st.one_of(
    st.sampled_from([
        "diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "--- /dev/null", "+++ /dev/null",
        "@@ -1,3 +1,4 @@", "@@ -0,0 +1 @@", "@@ -1 +0,0 @@", "\\ No newline at end of file", "new file mode 100644",
        "deleted file mode 100644", "rename from a.py", "rename to b.py", "similarity index 90%",
        "Binary files a/x.pyc and b/x.pyc differ", "GIT binary patch", "literal 0", "old mode 100644",
        "new mode 100755", 'diff --git "a/\\303\\251.py" "b/\\303\\251.py"', "",
    ]),
    st.builds(lambda c, t: c + t, st.sampled_from([" ", "+", "-"]),
              st.sampled_from(["def f():", "    assert x == 1", "else:", "    return 2", "x = (", ")", "", "\tpass"])),
    st.text(max_size=30),
)
diff_text = st.lists(_diff_line, max_size=40).map("\n".join)


def _ok(call) -> ChangeSet | None:
    try:
        cs = call()
    except InputFailure as exc:
        assert exc.message and "\n" not in exc.message
        return None
    assert isinstance(cs, ChangeSet)
    cs.context_files()
    return cs


@FAST
@given(diff_text)
def test_load_diff_on_diff_shaped_text(text: str) -> None:
    _ok(lambda: load_diff(text))


@FAST
@given(st.binary(max_size=600))
def test_load_diff_on_bytes(data: bytes) -> None:
    _ok(lambda: load_diff(data))


@FAST
@given(diff_text)
def test_load_diff_against_a_repo(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x.py").write_text("def f():\n    assert x == 1\n    return 2\n")
        _ok(lambda: load_diff(text, repo=d))


source = st.one_of(st.text(max_size=300), st.binary(max_size=300),
                   st.lists(st.sampled_from(["def f(:", "    x = 1", "if a:", "else:", "(" * 50, "'''", "\r\n", "\ufeff", "\x00"]),
                            max_size=20).map("\n".join))


@FAST
@given(st.lists(st.tuples(st.sampled_from(["a.py", "tests/test_a.py", "conftest.py", "x.pth", "pytest.ini", "m.md"]),
                          st.one_of(st.none(), source), st.one_of(st.none(), source)), max_size=4))
def test_build_on_arbitrary_sources(items) -> None:
    cs = build([RawFile(path, before, after) for path, before, after in items])
    assert isinstance(cs, ChangeSet)


@FAST
@given(st.sampled_from(["a.py", "t.md", "t.json", "t.jsonl", "conftest.py", "pytest.ini"]), source)
def test_load_files_on_arbitrary_content(name: str, data) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        _ok(lambda: load_files([p]))
        _ok(lambda: load_files([d]))


transcript_text = st.lists(st.sampled_from([
    "# prompt (user turn)", "# model response", "## Assistant", "**User:** hi", "```python", "```", "~~~",
    '<file path="conftest.py">', "</file>", "<code>", "</code>", "<thinking>", "assert f(1) == 2", "Input", "Output",
    "1 2", "def f(x):", "    return 3", "cat > t.py << EOF", "EOF", "",
]), max_size=30).map("\n".join)


@FAST
@given(transcript_text)
def test_markdown_transcripts(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.md"
        p.write_text(text)
        _ok(lambda: load_files([p]))


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.sampled_from(["user", "assistant", "```python\nx = 1\n```", "<code>f()</code>", "conftest.py",
                               "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-x\n+y\n", "    assert x"])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["role", "content", "messages", "from", "value", "completion", "prompt",
                                         "code_outputs", "tool_calls", "function", "arguments", "path", "text",
                                         "type", "input", "trajectory", "old_str", "new_str", "model_patch"]),
                            children, max_size=4),
    ),
    max_leaves=20,
)


@FAST
@given(json_value)
def test_json_transcripts(value) -> None:
    import json

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.json"
        p.write_text(json.dumps(value))
        _ok(lambda: load_files([p]))
        q = Path(d) / "t.jsonl"
        q.write_text(json.dumps(value) + "\n" + json.dumps([value]) + "\n")
        _ok(lambda: load_files([q]))
