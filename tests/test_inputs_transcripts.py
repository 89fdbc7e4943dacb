"""Transcripts: the agent's files out of Markdown, chat JSON, tool calls and JSONL records."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from specgap.inputs import load_files
from specgap.model import FileRole, Status

HERE = Path(__file__).parent / "fixtures" / "inputs" / "transcripts"


def load(name: str):
    cs = load_files([HERE / name])
    return cs, {f.path: f for f in cs.files}


def literals(cf) -> set:
    return {n.value for n in ast.walk(cf.after.tree) if isinstance(n, ast.Constant)}


def test_markdown_rollout() -> None:
    cs, files = load("rollout.md")
    assert set(files) == {"rollout.md::solution.py", "rollout.md::conftest.py",
                          "rollout.md::tests/test_extra.py", "rollout.md::pytest.ini"}
    assert files["rollout.md::conftest.py"].role is FileRole.HARNESS
    assert files["rollout.md::pytest.ini"].role is FileRole.HARNESS
    assert files["rollout.md::tests/test_extra.py"].role is FileRole.TEST
    assert files["rollout.md::solution.py"].role is FileRole.PRODUCT
    assert all(f.origin == "rollout.md" and f.status is Status.ADDED for f in cs.files)
    assert "# a comment that looks like a heading" in files["rollout.md::conftest.py"].after.text
    assert files["rollout.md::conftest.py"].after.tree is not None
    assert 'addopts = -k "not slow"' in files["rollout.md::pytest.ini"].after.text
    # code drafted inside <thinking> was never written
    assert not any("not_written" in p for p in files)
    assert cs.errors == []
    (ctx,) = cs.context_files()
    assert ctx.path == "rollout.md::prompt_tests.py"
    assert ctx.status is Status.UNCHANGED and ctx.role is FileRole.TEST and ctx.origin == "rollout.md"
    assert {"2 3\n", "10 -4\n", "5", "6", "5\n", "6\n"} <= literals(ctx)
    # the statement's format description is not an example
    assert not any(isinstance(v, str) and "two integers" in v for v in literals(ctx))


def test_prompt_fence_left_open_does_not_swallow_the_answer() -> None:
    cs, files = load("truncated.md")
    assert set(files) == {"truncated.md::solution.py"}
    assert "def solution" in files["truncated.md::solution.py"].after.text
    (ctx,) = cs.context_files()
    assert {"1\n", "4"} <= literals(ctx)


def test_role_labels_and_file_names_on_the_line_before_a_fence() -> None:
    cs, files = load("labels.md")
    assert set(files) == {"labels.md::tests/test_api.py"}
    assert "pytest.mark.skip" in files["labels.md::tests/test_api.py"].after.text
    assert files["labels.md::tests/test_api.py"].role is FileRole.TEST
    (ctx,) = cs.context_files()
    assert "def test_api" in ctx.after.text


def test_chat_json_with_code_tags() -> None:
    cs, files = load("chat.json")
    # the system prompt's example files are not the agent's
    assert set(files) == {"chat.json::solution.py"}
    assert "abc" in literals(files["chat.json::solution.py"])
    (ctx,) = cs.context_files()
    assert ctx.after.text.count("assert count_vowels") == 2


def test_tool_calls_write_files() -> None:
    cs, files = load("tools.json")
    assert set(files) == {"tools.json::conftest.py", "tools.json::/repo/src/calc.py", "tools.json::tests/test_calc.py"}
    assert files["tools.json::conftest.py"].after.text == "import sys\nsys.exit(0)\n"
    assert files["tools.json::tests/test_calc.py"].role is FileRole.TEST
    assert files["tools.json::tests/test_calc.py"].after.text == "def test_add():\n    assert True\n"


def test_jsonl_records_are_separate_containers() -> None:
    cs, files = load("runs.jsonl")
    assert set(files) == {"runs.jsonl:1::solution.py", "runs.jsonl:4::solution.py", "runs.jsonl:4::solution_2.py"}
    assert files["runs.jsonl:4::solution_2.py"].after.text.startswith("exec(")
    assert files["runs.jsonl:4::solution.py"].origin == "runs.jsonl:4"
    assert [(e.path, e.line) for e in cs.errors] == [("runs.jsonl", 3)]


def test_walked_directory_finds_transcripts_but_not_docs(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    (root / "docs").mkdir(parents=True)
    shutil.copy(HERE / "rollout.md", root / "rollout.md")
    shutil.copy(HERE / "chat.json", root / "chat.json")
    (root / "README.md").write_text("# Tool\n\n## Model\n\nThe model.\n\n```python\nimport tool\ntool.run()\n```\n")
    (root / "docs/faq.md").write_text("## System requirements\n\nPython.\n\n## Model\n\n```python\nx = 1\n```\n")
    (root / "package.json").write_text('{"name": "x", "description": "d", "scripts": {"test": "jest"}}')
    (root / "cases.json").write_text('[{"input": "1 2\\n", "output": "3\\n"}]')
    (root / "data.jsonl").write_text('{"a": 1}\n{"b": 2}\n')
    cs = load_files([root])
    origins = {f.origin for f in cs.files}
    assert origins == {"rollout.md", "chat.json"}
    # docs with code are not dropped silently: each is reported as skipped, with the reason
    assert sorted(e.path for e in cs.errors) == ["README.md", "docs/faq.md"]
    assert all(e.message.startswith("skipped: Markdown with fenced code") for e in cs.errors)
    assert {c.path for c in cs.context_files()} == {"rollout.md::prompt_tests.py", "chat.json::prompt_tests.py"}


@pytest.mark.parametrize("text", [
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "I cannot help with that."}]}',
    '{"messages": [{"role": "assistant", "content": null}]}',
    '{"messages": "oops"}',
    '[1, 2, 3]',
    '"just a string"',
    '{"prompt": {"nested": [1]}, "completion": 5}',
])
def test_odd_json_is_reported_not_crashed(tmp_path: Path, text: str) -> None:
    p = tmp_path / "t.json"
    p.write_text(text)
    cs = load_files([p])
    assert cs.files == [] and cs.errors


def test_file_block_cut_off_inside_its_tag(tmp_path: Path) -> None:
    p = tmp_path / "cut.md"
    p.write_text("# prompt\n\nSolve it.\n\n# model response\n\n```python\ndef solve():\n    return 1\n```\n\n"
                 '<file path="conftest.py')
    cs = load_files([p])
    assert {f.path for f in cs.files} == {"cut.md::solution.py", "cut.md::conftest.py"}


def test_patches_the_agent_wrote(tmp_path: Path) -> None:
    import json

    patch = ("diff --git a/tests/test_x.py b/tests/test_x.py\n--- a/tests/test_x.py\n+++ b/tests/test_x.py\n"
             "@@ -10,3 +10,3 @@ def test_x():\n     r = run()\n-    assert r == 4\n+    assert True\n     cleanup()\n"
             "diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n"
             "@@ -0,0 +1,2 @@\n+import sys\n+sys.exit(0)\n")
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"instance_id": "x__y-1", "model_patch": patch}) + "\n")
    cs = load_files([preds])
    files = {f.path: f for f in cs.files}
    assert set(files) == {"preds.jsonl:1::tests/test_x.py", "preds.jsonl:1::conftest.py"}
    test = files["preds.jsonl:1::tests/test_x.py"]
    assert test.status is Status.MODIFIED and test.role is FileRole.TEST and test.after.partial
    assert test.added_lines == frozenset({11})
    assert "assert r == 4" in test.before.text
    assert files["preds.jsonl:1::conftest.py"].status is Status.ADDED
    md = tmp_path / "answer.md"
    md.write_text("## User\n\nFix it.\n\n## Assistant\n\nApply this:\n\n```diff\n" + patch + "```\n")
    assert {f.path for f in load_files([md]).files} == {"answer.md::tests/test_x.py", "answer.md::conftest.py"}


def test_edit_tool_calls_are_modified_fragments(tmp_path: Path) -> None:
    import json

    calls = [
        {"type": "tool_use", "name": "edit", "input": {"path": "tests/test_calc.py",
                                                     "old_str": "    assert add(2, 2) == 4", "new_str": "    assert True"}},
        {"type": "tool_use", "name": "edit", "input": {"path": "tests/test_calc.py",
                                                     "old_str": "    assert add(1, 1) == 2", "new_str": "    pass"}},
        {"type": "tool_use", "name": "write", "input": {"path": "calc.py", "content": "def add(a, b):\n    return 4\n"}},
        {"type": "tool_use", "name": "write", "input": {"path": "calc.py", "content": "def add(a, b):\n    return a + b\n"}},
    ]
    p = tmp_path / "edits.json"
    p.write_text(json.dumps({"messages": [{"role": "user", "content": "fix"}, {"role": "assistant", "content": calls}]}))
    files = {f.path: f for f in load_files([p]).files}
    assert set(files) == {"edits.json::tests/test_calc.py", "edits.json#1::tests/test_calc.py", "edits.json::calc.py"}
    first = files["edits.json::tests/test_calc.py"]
    assert first.status is Status.MODIFIED and first.role is FileRole.TEST and first.after.partial
    assert [ast.unparse(n) for n in ast.walk(first.before.tree) if isinstance(n, ast.Assert)] == ["assert add(2, 2) == 4"]
    assert files["edits.json#1::tests/test_calc.py"].origin == "edits.json"
    assert "a + b" in files["edits.json::calc.py"].after.text


def test_shell_writes_in_fences_and_tool_calls(tmp_path: Path) -> None:
    import json

    calls = [{"role": "user", "content": "go"},
             {"role": "assistant", "content": "Running:\n```bash\necho 'import sys; sys.exit(0)' > conftest.py && pytest\n"
                                              "echo done > /dev/null\n```",
              "tool_calls": [{"function": {"name": "bash", "arguments": json.dumps(
                  {"command": 'printf "import os\\nos._exit(0)\\n" > tests/conftest.py'})}}]}]
    p = tmp_path / "sh.json"
    p.write_text(json.dumps({"messages": calls}))
    files = {f.path: f.after.text for f in load_files([p]).files}
    assert files == {"sh.json::conftest.py": "import sys; sys.exit(0)\n",
                     "sh.json::tests/conftest.py": "import os\nos._exit(0)\n"}
