"""Every transcript format read into the same Rollout, and bad input as a per-rollout error."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from specgap.inputs import transcripts
from specgap.inputs.transcripts import inspect_log, shards
from specgap.rollout import ActionKind, Rollout, RolloutError

FORMATS = Path(__file__).parent.parent / "fixtures" / "transcripts" / "formats"
FIXED = "def add(a, b):\n    return a + b\n"
BROKEN = "def add(a, b):\n    return a - b\n"


def read_all(path: Path, fmt: str = "auto") -> list[Rollout | RolloutError]:
    return list(transcripts.read(path, fmt))


def one(path: Path, fmt: str = "auto") -> Rollout:
    items = read_all(path, fmt)
    assert [type(i) for i in items] == [Rollout], items
    return items[0]  # type: ignore[return-value]


def kinds(r: Rollout) -> list[str]:
    return [a.kind.value for _, a in r.actions()]


@pytest.mark.parametrize("name, fmt", [
    ("openai_chat.json", "chat"), ("anthropic_messages.json", "chat"), ("claude_code_session.jsonl", "claude-code"),
    ("codex_rollout.jsonl", "codex"), ("inspect_log.json", "inspect"), ("inspect_deflate.eval", "inspect"),
    ("inspect_zstd.eval", "inspect"), ("calc__calc-1.traj", "swe-agent"), ("mini_swe_agent.traj.json", "mini-swe-agent"),
    ("openhands_events.json", "openhands"), ("rollout.md", "markdown"),
])
def test_every_format_is_recognised_by_content(name: str, fmt: str, tmp_path: Path) -> None:
    # renamed to a neutral name: the content decides, not the suffix
    copy = tmp_path / "rollout.data"
    copy.write_bytes((FORMATS / name).read_bytes())
    r = one(copy)
    assert r.format == fmt
    assert r.final_message is not None


def test_openai_chat_calls_outputs_and_metadata() -> None:
    r = one(FORMATS / "openai_chat.json")
    assert (r.id, r.model, r.run, r.step, r.reward) == ("oa-1", "gpt-4.1", "run-7", 120, 1.0)
    calls = [(t.index, a.call_id, a.kind.value) for t, a in r.actions()]
    assert calls == [(2, "call_1", "shell"), (4, "call_2", "shell"), (6, "call_3", "edit"), (8, "call_4", "shell")]
    run = [a for _, a in r.actions()][-1]
    assert run.commands[0].argv == ("python", "-m", "pytest", "-q") and "1 passed" in (run.output or "")
    calc = r.files["calc.py"]
    assert (calc.first_read, calc.final, calc.known) == (BROKEN, FIXED, True)
    assert r.shown_tests and "assert add(2, 3) == 5" in r.shown_tests[0][1]
    assert r.final_message is not None and r.final_message.index == 10


def test_anthropic_blocks_thinking_tool_use_and_errors() -> None:
    r = one(FORMATS / "anthropic_messages.json")
    assert r.turns[1].reasoning == "Let me look at the test first."
    assert kinds(r) == ["read", "write", "shell"]
    shell = [a for _, a in r.actions()][-1]
    assert shell.call_id == "toolu_03" and shell.exit_code == 1 and "FAILED" in (shell.output or "")
    assert r.files["calc.py"].final == FIXED and r.files["calc.py"].first_read is None


def test_claude_code_session_relative_paths_and_numbered_reads() -> None:
    r = one(FORMATS / "claude_code_session.jsonl")
    assert r.id == "5f0c8e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6" and r.model == "claude-opus-4-1-20250805"
    assert kinds(r) == ["read", "edit", "shell"]
    assert r.turns[1].message_id == "u2"
    f = r.files["calc.py"]  # under the session's cwd, so relative; Read's `1→` prefixes dropped
    assert (f.first_read, f.final) == (BROKEN, FIXED)


def test_codex_rollout_shell_argv_apply_patch_and_exit_codes() -> None:
    r = one(FORMATS / "codex_rollout.jsonl")
    assert r.id == "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5" and r.model == "gpt-5-codex"
    assert kinds(r) == ["shell", "edit", "shell"]
    first = [a for _, a in r.actions()][0]
    assert first.command == "cat calc.py" and first.exit_code == 0 and first.output == BROKEN
    assert r.files["calc.py"].final == FIXED
    assert any("Inspecting calc.py" in t.reasoning for t in r.turns)


@pytest.mark.parametrize("name", ["inspect_log.json", "inspect_deflate.eval", "inspect_zstd.eval"])
def test_inspect_logs_attachments_scores_and_ids(name: str) -> None:
    r = one(FORMATS / name)
    assert (r.id, r.model, r.run, r.task_id, r.reward) == ("calc_fix:calc-1:1", "openai/gpt-4o", "R1", "calc-1", 1.0)
    assert r.turns[2].message_id == "m3" and r.turns[2].reasoning == "Check the test."
    read = [a for _, a in r.actions()][0]
    assert read.call_id == "tc1" and read.output is not None and "assert add(2, 3) == 5" in read.output  # attachment resolved
    assert r.shown_tests


def test_swe_agent_traj_editor_actions() -> None:
    r = one(FORMATS / "calc__calc-1.traj")
    assert kinds(r)[:3] == ["read", "edit", "shell"]
    assert (r.files["calc.py"].first_read, r.files["calc.py"].final) == (BROKEN, FIXED)
    assert r.turns[0].role == "system" and "autonomous programmer" in r.turns[0].text


def test_mini_swe_agent_bash_blocks_and_returncodes() -> None:
    r = one(FORMATS / "mini_swe_agent.traj.json")
    assert r.model == "anthropic/claude-sonnet-4-20250514"
    actions = [a for _, a in r.actions()]
    assert [a.kind for a in actions] == [ActionKind.SHELL] * 3
    assert actions[1].commands[0].argv[:2] == ("sed", "-i") and actions[1].exit_code == 0
    assert "1 passed" in (actions[1].output or "")


def test_openhands_events_pair_observations_by_cause() -> None:
    r = one(FORMATS / "openhands_events.json")
    actions = [a for _, a in r.actions()]
    assert [(a.kind.value, a.call_id) for a in actions] == [("read", "oh-2"), ("edit", "oh-4"), ("shell", "oh-6")]
    assert actions[2].exit_code == 0 and r.files["calc.py"].final == FIXED
    assert r.turns[1].role == "user"


def test_markdown_rollout_thinking_is_reasoning_and_code_is_written() -> None:
    r = one(FORMATS / "rollout.md")
    agent = next(r.agent_turns())
    assert "subtracts" in agent.reasoning and "<think>" not in agent.text
    assert r.files["calc.py"].final is not None and "return a + b" in r.files["calc.py"].final


def test_a_markdown_rollout_with_lone_cr_line_ends_splits_as_with_lf(tmp_path: Path) -> None:
    """markdown-it ends a line at a lone CR (old Mac files); the turns were cut at the wrong lines,
    or the reader crashed, when the text was not split the same way."""
    lf = "## User\nFix it.\n\n## Assistant\n```python\nx = 1\n\n## User\nmore\n"
    (tmp_path / "cr.md").write_bytes(lf.replace("\n", "\r").encode())
    (tmp_path / "lf.md").write_bytes(lf.encode())
    cr, plain = one(tmp_path / "cr.md"), one(tmp_path / "lf.md")
    assert [(t.role, t.text) for t in cr.turns] == [(t.role, t.text) for t in plain.turns]
    assert [t.role for t in plain.turns] == ["user", "assistant", "user"] and plain.turns[0].text.strip() == "Fix it."


def test_jsonl_shard_is_one_rollout_per_line_with_metadata() -> None:
    rs = read_all(FORMATS / "openai_shard.jsonl")
    assert [(r.id, r.step, r.reward) for r in rs] == [("shard-0", 0, 0.0), ("shard-1", 10, 1.0)]  # type: ignore[union-attr]
    assert all(r.shown_tests for r in rs)  # type: ignore[union-attr]


def test_parquet_shard_with_a_messages_column(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    rows = [{"id": f"p{i}", "reward": float(i % 2), "messages": [
        {"role": "user", "content": "Write f."}, {"role": "assistant", "content": f"```python\ndef f():\n    return {i}\n```"}]}
        for i in range(1100)]
    path = tmp_path / "shard.parquet"
    pl.DataFrame(rows).write_parquet(path)
    rs = read_all(path)
    assert len(rs) == 1100 and all(isinstance(r, Rollout) for r in rs)  # read in slices, none lost
    assert rs[1099].id == "p1099" and rs[1099].files["solution.py"].final == "def f():\n    return 1099\n"  # type: ignore[union-attr]


def test_forcing_a_format() -> None:
    r = one(FORMATS / "openai_chat.json", "chat")
    assert r.id == "oa-1"
    items = read_all(FORMATS / "openai_chat.json", "claude-code")
    assert all(isinstance(i, RolloutError) for i in items)  # forced wrong: said so, not silently empty


# -- bad input: an error for that rollout, the batch goes on -----------------------------------

def test_malformed_lines_in_a_shard_do_not_stop_the_rest(tmp_path: Path) -> None:
    good = json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join([good, '{"messages": [{"role": "us', good, "[1, 2]", good]) + "\n")
    items = read_all(path)
    assert [type(i).__name__ for i in items] == ["Rollout", "RolloutError", "Rollout", "RolloutError", "Rollout"]
    assert items[1].index == 2 and "not valid JSON" in items[1].message  # type: ignore[union-attr]


def test_truncated_document_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text((FORMATS / "openai_chat.json").read_text()[:700])
    items = read_all(path)
    assert len(items) == 1 and isinstance(items[0], RolloutError) and "invalid JSON" in items[0].message


def test_truncated_session_keeps_what_was_readable(tmp_path: Path) -> None:
    text = (FORMATS / "claude_code_session.jsonl").read_text()
    path = tmp_path / "s.jsonl"
    path.write_text(text[: len(text) - 200])  # the last line cut
    items = read_all(path)
    errors = [i for i in items if isinstance(i, RolloutError)]
    rollouts = [i for i in items if isinstance(i, Rollout)]
    assert len(errors) == 1 and "not valid JSON" in errors[0].message and len(rollouts) == 1
    assert rollouts[0].files["calc.py"].final == FIXED


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\x7fELF\x00\x01\x02" + bytes(range(256)) * 10)
    assert [i.message for i in read_all(path)] == ["binary file, not a transcript"]  # type: ignore[union-attr]


def test_overlong_line_is_skipped_without_reading_it_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MAX_LINE_BYTES", 1000)
    good = json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    path = tmp_path / "s.jsonl"
    path.write_text(good + "\n" + json.dumps({"messages": "x" * 5_000_000}) + "\n" + good + "\n")
    items = read_all(path)
    assert [type(i).__name__ for i in items] == ["Rollout", "RolloutError", "Rollout"]
    assert "longer than" in items[1].message  # type: ignore[union-attr]


def test_zip_bomb_eval_costs_one_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_log, "MAX_MEMBER_BYTES", 1_000_000)
    path = tmp_path / "bomb.eval"
    sample = (FORMATS / "inspect_log.json").read_text()
    good = json.dumps(json.loads(sample)["samples"][0])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("header.json", json.dumps({"eval": {"task": "t"}}))
        z.writestr("samples/1_epoch_1.json", b"[" + b" " * 50_000_000 + b"]")  # 50 MB of spaces, ~50 KB zipped
        z.writestr("samples/2_epoch_1.json", good)
    assert path.stat().st_size < 200_000
    items = read_all(path)
    assert isinstance(items[0], RolloutError) and "zip bomb" in items[0].message
    assert isinstance(items[1], Rollout)


def test_corrupt_zstd_member(tmp_path: Path) -> None:
    data = bytearray((FORMATS / "inspect_zstd.eval").read_bytes())
    at = data.find(b"samples/calc-1_epoch_1.json") + len("samples/calc-1_epoch_1.json") + 10
    data[at: at + 20] = b"\xff" * 20
    path = tmp_path / "c.eval"
    path.write_bytes(bytes(data))
    items = read_all(path)
    assert any(isinstance(i, RolloutError) and "unreadable sample" in i.message for i in items)


def test_not_a_zip_eval(tmp_path: Path) -> None:
    path = tmp_path / "x.eval"
    path.write_bytes(b"PK\x03\x04 truncated")
    items = read_all(path)
    assert len(items) == 1 and isinstance(items[0], RolloutError) and ".eval" in items[0].message


def test_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    items = read_all(path)
    assert len(items) == 1 and isinstance(items[0], RolloutError)


def test_unrecognised_record(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n')
    items = read_all(path)
    assert len(items) == 2 and all(isinstance(i, RolloutError) and "not a recognisable rollout" in i.message for i in items)


def test_missing_file(tmp_path: Path) -> None:
    items = read_all(tmp_path / "nope.jsonl")
    assert len(items) == 1 and isinstance(items[0], RolloutError) and "cannot read" in items[0].message


def test_rollouts_pickle() -> None:
    import pickle

    r = one(FORMATS / "codex_rollout.jsonl")
    assert pickle.loads(pickle.dumps(r)) == r


def test_output_records_without_messages(tmp_path: Path) -> None:
    # a record holding the task, the agent's reasoning and its code under their own keys
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"trajectory": {"task": "Sort the list.", "cot_traces": ["Use sorted()."],
                                               "code_outputs": ["def solve(xs):\n    return sorted(xs)\n"]}}))
    r = one(path)
    assert [t.role for t in r.turns] == ["user", "assistant"] and r.turns[1].reasoning == "Use sorted()."
    assert r.files["solution.py"].final == "def solve(xs):\n    return sorted(xs)\n"


def test_public_api() -> None:
    import specgap

    (r,) = specgap.read_rollouts(FORMATS / "anthropic_messages.json")
    assert isinstance(r, specgap.Rollout)
    out = specgap.evaluate_rollout(r)
    assert [f.rule_id for f in out.findings] == ["SG1111"] and out.findings[0].rollout_id == r.id
    assert specgap.evaluate_rollout(r, ignore=["SG1111"]).findings == []


def test_codex_apply_patch_through_the_shell_tool() -> None:
    from specgap.inputs.transcripts.build import Builder

    b = Builder(Rollout("x", "x"))
    turn = b.turn("assistant")
    patch = ("*** Begin Patch\n*** Add File: tests/test_new.py\n+def test_x():\n+    assert True\n"
             "*** Update File: calc.py\n@@\n-    return a - b\n+    return a + b\n*** End Patch")
    actions = b.call(turn, "shell", json.dumps({"command": ["apply_patch", patch]}), "call_1")
    assert [(a.kind.value, a.path) for a in actions] == [("write", "tests/test_new.py"), ("edit", "calc.py"), ("shell", None)]
    assert actions[1].old == "    return a - b" and actions[1].new == "    return a + b"


def test_code_is_found_in_every_block_shape_markdown_has() -> None:
    """Markdown is parsed only when the text could hold what is looked for (a fence marker, test
    code); the block shapes whose content is not verbatim text must still be found."""
    from specgap.inputs.prompt_tests import prompt_tests
    from specgap.inputs.transcripts.agent_code import code_in

    quoted = "> ~~~python\n> def test_quoted():\n>     assert f(1) == 2\n> ~~~\n"
    indented = "Tests:\n\n    def test_indented():\n    \tassert f(2) == 3\n"
    listed = "1. first\n\n   ```\n   import unittest\n   ```\n"
    shown = prompt_tests([quoted, indented, listed])
    assert "def test_quoted():\n    assert f(1) == 2" in shown
    assert "def test_indented():" in shown and "import unittest" in shown
    assert prompt_tests(["Write f so that f(1) is 2."]) == ""
    found = [code for _, code in code_in("Done:\n\n~~~python\ndef f(x):\n    return x + 1\n~~~\n", [], [])]
    assert found == ["def f(x):\n    return x + 1\n"]
    assert list(code_in("No code here, only words.", [], [])) == []
