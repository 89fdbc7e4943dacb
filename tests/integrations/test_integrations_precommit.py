"""`specgap scan --staged` and the published pre-commit hook, run by real git and real pre-commit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from specgap.cli import main

ROOT = Path(__file__).resolve().parents[2]
TEST = "def add(a, b):\n    return a + b\n\n\ndef test_add():\n    assert add(1, 2) == 3\n    assert add(2, 2) == 4\n"
GAMED = TEST.replace("add(2, 2) == 4", "True")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=check)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "test_add.py").write_text(TEST)
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "init")
    return r


def scan_staged(repo: Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["scan", "--staged", "--repo", str(repo), "--format", "json", "--isolated"])
    return res.exit_code, res.output


def test_staged_scans_the_index_not_the_worktree(repo: Path):
    (repo / "test_add.py").write_text(GAMED)
    assert scan_staged(repo)[0] == 0, "an unstaged edit is not part of the commit"
    git(repo, "add", "test_add.py")
    code, out = scan_staged(repo)
    assert code == 1 and "SG104" in out
    (repo / "test_add.py").write_text(TEST)  # fixed in the worktree, but the index still has the cut
    assert scan_staged(repo)[0] == 1


def test_staged_sees_deletions_and_ignores_untracked(repo: Path):
    (repo / "conftest.py").write_text("import sys\nsys.exit(0)\n")  # untracked: not in the commit
    assert scan_staged(repo)[0] == 0
    git(repo, "rm", "-q", "test_add.py")
    code, out = scan_staged(repo)
    assert code == 1 and "SG101" in out


def test_staged_rejects_base(repo: Path):
    res = CliRunner().invoke(main, ["scan", "--staged", "--base", "main", "--repo", str(repo)])
    assert res.exit_code == 2


def test_published_hook_blocks_a_gamed_commit_and_passes_an_honest_one(repo: Path, tmp_path: Path):
    hook = next(h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "specgap")
    # Offline, the same hook as a local one: `language: system` runs the installed specgap
    # (a `language: python` hook would have pre-commit clone and pip-install the repository).
    local = {**hook, "language": "system"}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit config")
    env_path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {"PATH": env_path, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, **env})

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-m", message], cwd=repo, capture_output=True, text=True,
                              env={**os.environ, **env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.com",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.com"})

    (repo / "test_add.py").write_text(GAMED)
    git(repo, "add", "test_add.py")
    gamed = commit("make the tests pass")
    assert gamed.returncode != 0, gamed.stdout + gamed.stderr
    said = gamed.stdout + gamed.stderr
    assert "SG10" in said and "Failed" in said
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"

    git(repo, "checkout", "-q", "HEAD", "--", "test_add.py")
    (repo / "test_add.py").write_text(TEST + "\n\ndef test_add_negative():\n    assert add(-1, 1) == 0\n")
    git(repo, "add", "test_add.py")
    honest = commit("test negative numbers")
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "3"
