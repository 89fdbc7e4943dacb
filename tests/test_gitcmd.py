"""One hardened git runner for inputs and verify: a hostile repository's config runs nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from specgap.inputs import gitcmd, load_git
from specgap.verify import gitio


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",  # noqa: E731
                                     "-c", "commit.gpgsign=false", *a], cwd=repo, check=True, capture_output=True)
    run("init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    (repo / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    run("add", "-A")
    run("commit", "-qm", "base")
    marker = tmp_path / "ran"
    cmd = f"sh -c 'touch {marker}; cat'"
    for key, value in [("core.fsmonitor", cmd), ("core.pager", cmd), ("diff.external", cmd),
                       ("filter.evil.clean", cmd), ("filter.evil.smudge", cmd), ("diff.evil.textconv", cmd),
                       ("core.hooksPath", str(tmp_path))]:
        run("config", key, value)
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction"):
        (tmp_path / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (tmp_path / hook).chmod(0o755)
    (repo / "a.py").write_text("x = 2\n")
    return repo, marker


def test_a_hostile_repository_runs_nothing_through_either_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, marker = _repo(tmp_path)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # the caller's environment must not redirect git
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", f"touch {marker}")
    cs = load_git(repo)
    assert [f.path for f in cs.files] == ["a.py"]
    head = gitio.resolve(repo, "HEAD")
    assert [e.path for e in gitio.tree(repo, head)] == [".gitattributes", "a.py"]
    assert gitio.worktree_files(repo) == [".gitattributes", "a.py"]
    assert not marker.exists()


def test_both_readers_share_the_runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[str, ...]] = []
    real = gitcmd.run

    def spy(repo: str | Path, *args: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
        seen.append(args)
        return real(repo, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(gitcmd, "run", spy)
    repo, _ = _repo(tmp_path)
    load_git(repo)
    n = len(seen)
    gitio.toplevel(repo)
    assert n > 0 and len(seen) > n
    assert {"-c", "protocol.allow=never"} <= set(gitcmd.SAFE_OPTIONS)
