"""action.yml's scan step, run by bash as a runner would: inputs substituted, GITHUB_* files set."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
TEST = "def add(a, b):\n    return a + b\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.com"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True).stdout


def run_step(step_id: str, repo: Path, tmp: Path, event: dict, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run one step of the composite action the way the runner does (bash, env, ${{ inputs.x }})."""
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    sub = lambda s: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], str(s))  # noqa: E731
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
    assert step["shell"] == "bash"
    venv_bin = tmp / "runner" / "specgap-venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    python = venv_bin / "python"
    if not python.exists():  # the install step's venv: this test's interpreter, where specgap is installed
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
    (tmp / "event.json").write_text(json.dumps(event))
    out = tmp / "gh"
    out.mkdir(exist_ok=True)
    env = {**os.environ, **{k: sub(v) for k, v in step.get("env", {}).items()},
           "RUNNER_TEMP": str(tmp / "runner"), "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_EVENT_PATH": str(tmp / "event.json"),
           "GITHUB_STEP_SUMMARY": str(out / "summary.md"), "GITHUB_OUTPUT": str(out / "output")}
    return subprocess.run(["bash", "-e", "-c", sub(step["run"])], cwd=repo, env=env, capture_output=True, text=True), out


@pytest.fixture
def pr(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "test_add.py").write_text(TEST)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo, git(repo, "rev-parse", "HEAD").strip()


def test_gamed_pull_request_fails_with_sarif_summary_and_annotations(pr, tmp_path):
    repo, base = pr
    (repo / "conftest.py").write_text("import os\n\ndef pytest_sessionfinish(session, exitstatus):\n    os._exit(0)\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "speed up the tests")
    proc, out = run_step("scan", repo, tmp_path, {"pull_request": {"base": {"sha": base}}})
    assert proc.returncode == 1, proc.stderr
    assert "::error file=conftest.py" in proc.stdout
    sarif = json.loads((repo / "specgap.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert any(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "conftest.py"
               for r in sarif["runs"][0]["results"])
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## specgap: failed") and "| SG" in summary and "conftest.py" in summary
    assert "in 1 changed file(s)" in summary, "the action's own outputs are not part of the change"
    outputs = dict(line.split("=", 1) for line in (out / "output").read_text().splitlines())
    assert int(outputs["findings"]) >= 1 and outputs["exit-code"] == "1"
    assert Path(outputs["sarif-file"]) == repo / "specgap.sarif"


def test_honest_push_passes_and_inputs_reach_the_cli(pr, tmp_path):
    repo, base = pr
    (repo / "test_add.py").write_text(TEST + "\n\ndef test_add_zero():\n    assert add(0, 0) == 0\n")
    git(repo, "commit", "-q", "-am", "more tests")
    proc, out = run_step("scan", repo, tmp_path, {"before": base}, sarif_file="out/report.sarif")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_again, _ = run_step("scan", repo, tmp_path, {"before": base}, sarif_file="out/report.sarif")
    assert run_again.returncode == 0, "a SARIF file left by an earlier run is not a finding"
    assert json.loads((repo / "out" / "report.sarif").read_text())["runs"][0]["results"] == []
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## specgap: passed") and f"git {base}..worktree" in summary


def test_exit_zero_and_ignore_inputs(pr, tmp_path):
    repo, base = pr
    (repo / "test_add.py").write_text(TEST.replace("add(1, 2) == 3", "True"))
    git(repo, "commit", "-q", "-am", "gamed")
    event = {"pull_request": {"base": {"sha": base}}}
    assert run_step("scan", repo, tmp_path, event)[0].returncode == 1
    assert run_step("scan", repo, tmp_path, event, exit_zero="true")[0].returncode == 0
    assert run_step("scan", repo, tmp_path, event, ignore="SG1")[0].returncode == 0


def test_bad_input_is_an_error_not_a_pass(pr, tmp_path):
    repo, _ = pr
    proc, _ = run_step("scan", repo, tmp_path, {}, base="no-such-revision")
    assert proc.returncode == 2 and "no-such-revision" in proc.stderr


def test_verify_input_adds_the_verdict_to_the_summary(pr, tmp_path):
    repo, base = pr
    (repo / "test_add.py").write_text(TEST + "\n\ndef test_add_zero():\n    assert add(0, 0) == 0\n")
    git(repo, "commit", "-q", "-am", "more tests")
    proc, out = run_step("scan", repo, tmp_path, {"before": base}, verify="true",
                         verify_args="--sandbox none --no-nop-check --timeout 120")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = (out / "summary.md").read_text()
    assert "### verify: pass" in summary and "Trusted tests passed: 1/1." in summary
