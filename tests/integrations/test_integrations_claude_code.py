"""Claude Code hooks fed the JSON Claude Code sends, through the installed commands."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from specgap.cli import main
from specgap.engine import scan_repo

TEST = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n    assert add(2, 2) == 4\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.com"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "proj"
    (r / "tests").mkdir(parents=True)
    (r / "grader").mkdir()
    (r / "calc.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (r / "tests" / "test_calc.py").write_text(TEST)
    (r / "grader" / "check.py").write_text("def passed(report):\n    return report.failed == 0\n")
    (r / "pyproject.toml").write_text('[tool.specgap]\nprotected = ["grader/**"]\n')
    git(r, "init", "-q", "-b", "main")
    assert CliRunner().invoke(main, ["install", "claude-code", "--repo", str(r)]).exit_code == 0
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "init")
    return r


def hook(event: str, payload: dict, repo: Path, *extra: str) -> tuple[int, dict]:
    """Run the installed hook command on the JSON Claude Code sends (stdin), with its environment."""
    settings = json.loads((repo / ".claude" / "settings.json").read_text())
    name = {"stop": "Stop", "pre-tool-use": "PreToolUse"}[event]
    command = settings["hooks"][name][-1]["hooks"][0]["command"]
    assert command.startswith("specgap hook claude-code " + event)
    res = CliRunner().invoke(main, [*command.split()[1:], *extra], input=json.dumps(payload),
                             env={"CLAUDE_PROJECT_DIR": str(repo)})
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}


def stop_payload(repo: Path, active: bool) -> dict:
    return {"session_id": "s1", "transcript_path": str(repo / "t.jsonl"), "cwd": str(repo),
            "permission_mode": "default", "hook_event_name": "Stop", "stop_hook_active": active}


def test_stop_blocks_tampering_with_what_to_revert_then_lets_go(repo: Path):
    (repo / "tests" / "test_calc.py").write_text(TEST.replace("add(1, 2) == 3", "True").replace("add(2, 2) == 4", "True"))
    (repo / "conftest.py").write_text("import os\n\ndef pytest_sessionfinish(session, exitstatus):\n    os._exit(0)\n")
    code, first = hook("stop", stop_payload(repo, False), repo)
    assert code == 0 and first["decision"] == "block"
    reason = first["reason"]
    assert "tests/test_calc.py" in reason and "conftest.py" in reason
    assert "delete `conftest.py`" in reason and "git diff -- tests/test_calc.py" in reason
    code, second = hook("stop", stop_payload(repo, True), repo)
    assert code == 0 and "decision" not in second and "still has" in second["systemMessage"]


def test_stop_lets_honest_work_finish(repo: Path):
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (repo / "tests" / "test_calc.py").write_text(TEST + "\n\ndef test_negative():\n    assert add(-1, 1) == 0\n")
    assert hook("stop", stop_payload(repo, False), repo) == (0, {})


def test_stop_outside_a_repository_does_not_wedge_the_agent(tmp_path: Path):
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(
        json.dumps({"hooks": {"Stop": [{"hooks": [{"command": "specgap hook claude-code stop"}]}]}}))
    code, out = hook("stop", stop_payload(tmp_path, False), tmp_path)
    assert code == 0 and "decision" not in out and "could not scan" in out["systemMessage"]


def pre(tool: str, tool_input: dict, repo: Path) -> dict:
    payload = {"session_id": "s1", "cwd": str(repo), "hook_event_name": "PreToolUse", "tool_name": tool,
               "tool_input": tool_input, "tool_use_id": "toolu_1"}
    code, out = hook("pre-tool-use", payload, repo)
    assert code == 0
    return out


def denied(out: dict) -> bool:
    spec = out.get("hookSpecificOutput", {})
    return spec.get("hookEventName") == "PreToolUse" and spec.get("permissionDecision") == "deny" \
        and "protected" in spec.get("permissionDecisionReason", "")


@pytest.mark.parametrize("tool, tool_input", [
    ("Write", {"file_path": "{repo}/grader/check.py", "content": "def passed(r):\n    return True\n"}),
    ("Edit", {"file_path": "{repo}/grader/check.py", "old_string": "== 0", "new_string": ">= 0"}),
    ("MultiEdit", {"file_path": "{repo}/.claude/settings.json", "edits": [{"old_string": "a", "new_string": "b"}]}),
    ("Write", {"file_path": "grader/../grader/new.py", "content": ""}),
    ("Bash", {"command": "echo 'def passed(r): return True' > grader/check.py"}),
    ("Bash", {"command": "cd . && rm -f grader/check.py"}),
    ("Bash", {"command": "sed -i 's/== 0/>= 0/' {repo}/grader/check.py"}),
    ("Bash", {"command": "python -c 'print(1)' | tee .claude/settings.local.json"}),
])
def test_pre_tool_use_refuses_writes_to_protected_paths(repo: Path, tool: str, tool_input: dict):
    filled = json.loads(json.dumps(tool_input).replace("{repo}", str(repo)))
    assert denied(pre(tool, filled, repo))


@pytest.mark.parametrize("tool, tool_input", [
    ("Write", {"file_path": "{repo}/calc.py", "content": "def add(a, b):\n    return a + b\n"}),
    ("Edit", {"file_path": "{repo}/tests/test_calc.py", "old_string": "x", "new_string": "y"}),
    ("Bash", {"command": "cat grader/check.py && git diff grader/check.py && python -m pytest -q"}),
    ("Bash", {"command": "grep -n passed grader/check.py > /tmp/out.txt"}),
    ("Read", {"file_path": "{repo}/grader/check.py"}),
])
def test_pre_tool_use_allows_everything_else(repo: Path, tool: str, tool_input: dict):
    filled = json.loads(json.dumps(tool_input).replace("{repo}", str(repo)))
    assert pre(tool, filled, repo) == {}


def test_protected_paths_come_from_head_not_the_worktree(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.specgap]\nprotected = []\n")  # the agent relaxed it
    assert denied(pre("Write", {"file_path": str(repo / "grader" / "check.py"), "content": ""}, repo))


def test_the_real_command_reads_stdin_and_writes_one_json_line(repo: Path):
    payload = {"cwd": str(repo), "hook_event_name": "PreToolUse", "tool_name": "Write",
               "tool_input": {"file_path": str(repo / "grader" / "check.py"), "content": ""}}
    proc = subprocess.run([sys.executable, "-m", "specgap", "hook", "claude-code", "pre-tool-use"],
                          input=json.dumps(payload), capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 0 and denied(json.loads(proc.stdout))
    proc = subprocess.run([sys.executable, "-m", "specgap", "hook", "claude-code", "stop"], input="not json",
                          capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 1 and "not JSON" in proc.stderr and proc.stdout == ""


def test_install_is_idempotent_and_keeps_other_settings(tmp_path: Path):
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"model": "x", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify"}]}]}}))
    for _ in range(2):
        assert CliRunner().invoke(main, ["install", "claude-code", "--repo", str(tmp_path), "--base", "main"]).exit_code == 0
    data = json.loads(settings.read_text())
    assert data["model"] == "x"
    assert [h["hooks"][0]["command"] for h in data["hooks"]["Stop"]] == ["notify", "specgap hook claude-code stop --base main"]
    assert len(data["hooks"]["PreToolUse"]) == 1 and data["hooks"]["PreToolUse"][0]["matcher"] == "Write|Edit|MultiEdit|NotebookEdit|Bash"
    settings.write_text("{not json")
    res = CliRunner().invoke(main, ["install", "claude-code", "--repo", str(tmp_path)])
    assert res.exit_code == 2 and "nothing was changed" in res.output and settings.read_text() == "{not json"


def test_removing_the_hook_is_a_finding(repo: Path):
    settings = repo / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    del data["hooks"]["Stop"]
    settings.write_text(json.dumps(data, indent=2))
    found = [f for f in scan_repo(repo).findings if f.rule_id == "SG212"]
    assert found and "hook claude-code stop" in found[0].evidence
    settings.write_text(json.dumps({"disableAllHooks": True, **json.loads(git(repo, "show", "HEAD:.claude/settings.json"))}))
    assert [f.message for f in scan_repo(repo).findings if f.rule_id == "SG212"] == ["Claude Code settings now disable every hook"]
    settings.unlink()
    assert any("deleted" in f.message for f in scan_repo(repo).findings if f.rule_id == "SG212")


@pytest.mark.parametrize("agent, path", [("agents-md", "AGENTS.md"), ("codex", "AGENTS.md"),
                                         ("cursor", ".cursor/rules/specgap.mdc")])
def test_guidance_files_are_written_once(tmp_path: Path, agent: str, path: str):
    target = tmp_path / path
    if path == "AGENTS.md":
        target.write_text("# Project\n\nUse tabs.\n")
    for _ in range(2):
        assert CliRunner().invoke(main, ["install", agent, "--repo", str(tmp_path)]).exit_code == 0
    text = target.read_text()
    assert text.count("specgap:start") == 1 and "Do not edit, delete, skip or weaken tests" in text
    if path == "AGENTS.md":
        assert text.startswith("# Project\n\nUse tabs.\n")
    else:
        assert text.startswith("---\n") and "alwaysApply: true" in text
