"""The docs tell the truth: the rule pages are current, the README's commands run, the examples apply."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specgap.report.catalog import DOCS_COMMAND, markdown
from specgap.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
EXAMPLES = ROOT / "examples"


def _section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


def _code_lines(section: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_rules_md_is_generated_from_the_current_docstrings() -> None:
    path = ROOT / "docs" / "rules.md"
    current = path.read_text() if path.exists() else ""
    expected = markdown(all_rules())
    if current != expected:
        diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(), "docs/rules.md", "generated",
                                         lineterm="", n=1))
        pytest.fail(
            "docs/rules.md is out of date with the rule docstrings. Regenerate it from the repository root with\n"
            f"    {DOCS_COMMAND}\nand commit it. First differences:\n" + "\n".join(diff[:30]),
            pytrace=False,
        )


def test_quickstart_is_two_commands_and_the_second_is_what_ci_runs() -> None:
    commands = _code_lines(_section("Quickstart"))
    assert len(commands) == 2, commands
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ci[-1] == commands[1], "the README's test command and .ci/run must be the same command"


def test_sections_for_the_other_commands_exist() -> None:
    for title in ("verify", "monitor", "Configuration", "Suppressions", "Baselines", "Exit codes", "Rules"):
        _section(title)
    assert "docs/rules.md" in _section("Rules")


def _scan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specgap", "scan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_quickstart_scan_shows_findings_and_exits_zero() -> None:
    install, _, scan = _code_lines(_section("Quickstart"))[0].partition(" && ")
    assert install.startswith("python3 -m pip install")
    args = scan.split()
    assert args[:4] == ["python3", "-m", "specgap", "scan"]
    proc = _scan(*args[4:])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    without = _scan(*[a for a in args[4:] if a != "--exit-zero"], "--format", "json")
    assert without.returncode == 1  # what the README says right there
    doc = json.loads(without.stdout)
    changed = {f["path"] for f in doc["summary"]["files"]}
    flagged = {f["path"] for f in doc["findings"] if f["severity"] in ("medium", "high", "critical")}
    assert changed and flagged == changed, "every file the gamed diff touches should be flagged"
    assert set(doc["summary"]["by_kind"]) == {"tampering", "gaming"}
    for f in doc["findings"]:
        assert f["path"] in proc.stdout and f["rule_id"] in proc.stdout


def test_the_honest_fix_is_clean() -> None:
    proc = _scan("--diff", str(EXAMPLES / "honest.diff"), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["findings"] == []


@pytest.mark.parametrize("name", ["honest.diff", "gamed.diff"])
def test_example_diffs_apply_to_the_example_project(tmp_path: Path, name: str) -> None:
    work = tmp_path / "project"
    shutil.copytree(EXAMPLES / "project", work, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    check = subprocess.run(["git", "apply", "--check", str(EXAMPLES / name)], cwd=work, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # applied, the project is the tree after the change: scanning with --repo sees whole files
    subprocess.run(["git", "apply", str(EXAMPLES / name)], cwd=work, check=True)
    proc = _scan("--diff", str(EXAMPLES / name), "--repo", str(work), "--format", "json", "--isolated")
    assert proc.returncode == (1 if name == "gamed.diff" else 0), proc.stdout + proc.stderr
