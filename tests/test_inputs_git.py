"""load_git and read_at on small repositories built in tmp_path."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from specgap.inputs import InputFailure, load_git, read_at
from specgap.model import FileRole, Status

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV).stdout.decode()


def write(repo: Path, rel: str, data: str | bytes) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    write(r, "pkg/calc.py", "def add(a, b):\n    return a + b\n")
    write(r, "tests/test_calc.py", "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    write(r, "tests/test_other.py", "def test_other():\n    assert 1 + 1 == 2\n")
    write(r, ".gitignore", "*.log\n")
    git(r, "add", ".")
    git(r, "commit", "-qm", "base")
    return r


def by_path(cs):
    return {f.path: f for f in cs.files}


def test_worktree_change_covers_staged_unstaged_and_untracked(repo: Path) -> None:
    write(repo, "pkg/calc.py", "def add(a, b):\n    return 3\n")          # unstaged
    write(repo, "tests/test_calc.py", "def test_add():\n    assert True\n")
    git(repo, "add", "tests/test_calc.py")                                 # staged
    write(repo, "conftest.py", "import sys\nsys.exit(0)\n")                # untracked
    write(repo, "run.log", "ignored\n")                                    # ignored
    cs = load_git(repo)
    files = by_path(cs)
    assert set(files) == {"pkg/calc.py", "tests/test_calc.py", "conftest.py"}
    assert files["pkg/calc.py"].status is Status.MODIFIED
    assert files["pkg/calc.py"].added_lines == frozenset({2})
    assert files["pkg/calc.py"].before.text.endswith("return a + b\n")
    assert files["conftest.py"].status is Status.ADDED and files["conftest.py"].role is FileRole.HARNESS
    assert files["conftest.py"].added_lines is None
    assert files["tests/test_calc.py"].role is FileRole.TEST
    assert isinstance(files["tests/test_calc.py"].after.tree, ast.Module)
    assert cs.errors == []


def test_base_revision_includes_commits_and_uncommitted_work(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "pkg/calc.py", "def add(a, b):\n    if (a, b) == (1, 2):\n        return 3\n    return a - b\n")
    git(repo, "commit", "-qam", "agent commit")
    write(repo, "pkg/new.py", "X = 1\n")
    assert set(by_path(load_git(repo))) == {"pkg/new.py"}
    cs = load_git(repo, base=base)
    assert set(by_path(cs)) == {"pkg/calc.py", "pkg/new.py"}
    assert by_path(cs)["pkg/calc.py"].added_lines == frozenset({2, 3, 4})
    assert base in cs.source
    assert set(by_path(load_git(repo, base="main~1"))) == {"pkg/calc.py", "pkg/new.py"}


def test_deleted_and_renamed_files(repo: Path) -> None:
    (repo / "tests/test_other.py").unlink()
    git(repo, "mv", "pkg/calc.py", "pkg/arith.py")
    write(repo, "pkg/arith.py", "def add(a, b):\n    return a + b\n\n\nEXTRA = 1\n")
    cs = load_git(repo)
    files = by_path(cs)
    assert files["tests/test_other.py"].status is Status.DELETED
    assert files["tests/test_other.py"].after is None
    assert "assert 1 + 1 == 2" in files["tests/test_other.py"].before.text
    arith = files["pkg/arith.py"]
    assert arith.status is Status.RENAMED and arith.old_path == "pkg/calc.py"
    assert arith.added_lines == frozenset({3, 4, 5})
    assert "pkg/calc.py" not in files


def test_move_without_git_is_still_a_rename(repo: Path) -> None:
    (repo / "tests/test_other.py").rename(repo / "tests/test_moved.py")  # untracked + missing
    files = by_path(load_git(repo))
    assert set(files) == {"tests/test_moved.py"}
    assert files["tests/test_moved.py"].old_path == "tests/test_other.py"


def test_repository_without_commits(tmp_path: Path) -> None:
    r = tmp_path / "fresh"
    r.mkdir()
    git(r, "init", "-q")
    write(r, "solution.py", "def solve():\n    return 42\n")
    write(r, "tests/test_solution.py", "def test_it():\n    pass\n")
    git(r, "add", "solution.py")
    cs = load_git(r)
    assert {f.path: f.status for f in cs.files} == {"solution.py": Status.ADDED, "tests/test_solution.py": Status.ADDED}
    with pytest.raises(InputFailure, match="unknown revision"):
        load_git(r, base="HEAD")


def test_failures_are_one_line_messages(tmp_path: Path, repo: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputFailure, match="not a git repository"):
        load_git(tmp_path / "plain")
    with pytest.raises(InputFailure, match="no such directory"):
        load_git(tmp_path / "missing")
    with pytest.raises(InputFailure, match="unknown revision 'nope'"):
        load_git(repo, base="nope")
    with pytest.raises(InputFailure, match="invalid revision"):
        load_git(repo, base="--output=/tmp/x")
    for exc in (pytest.raises(InputFailure),):
        with exc as info:
            load_git(repo, base="deadbeef")
        assert "\n" not in info.value.message


def test_binary_invalid_utf8_bom_crlf_and_non_ascii_names(repo: Path) -> None:
    write(repo, "tests/__pycache__/test_calc.cpython-311-pytest-9.0.3.pyc", b"\xa7\r\r\n\x00\x00\x00\x00garbage")
    write(repo, "pkg/latin.py", b"# caf\xe9\nX = 1\n")
    write(repo, "pkg/bom.py", b"\xef\xbb\xbfdef f():\r\n    return 1\r\n")
    write(repo, "pkg/\u00e9t\u00e9.py", "Y = 2\n")
    write(repo, "tests/__pycache__/x.pyc", b"")  # ignored by nothing: empty files are files too
    cs = load_git(repo)
    files = by_path(cs)
    pyc = files["tests/__pycache__/test_calc.cpython-311-pytest-9.0.3.pyc"]
    assert pyc.binary and pyc.status is Status.ADDED
    assert files["pkg/latin.py"].after.tree is not None
    assert any(e.path == "pkg/latin.py" and "UTF-8" in e.message for e in cs.errors)
    bom = files["pkg/bom.py"]
    assert bom.after.text == "def f():\n    return 1\n" and bom.after.tree is not None
    assert "pkg/\u00e9t\u00e9.py" in files


def test_large_file_is_reported_not_parsed(repo: Path) -> None:
    write(repo, "pkg/huge.py", "x = 1\n" * (1024 * 1024))
    cs = load_git(repo)
    huge = by_path(cs)["pkg/huge.py"]
    assert huge.binary and huge.after is None and huge.status is Status.ADDED
    assert any(e.path == "pkg/huge.py" and "5 MB" in e.message for e in cs.errors)


def test_untrusted_repo_config_runs_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    script.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(script))
    git(repo, "config", "filter.evil.clean", str(script))
    git(repo, "config", "diff.external", str(script))
    git(repo, "config", "core.pager", str(script))
    write(repo, ".gitattributes", "*.py filter=evil diff=evil\n")
    git(repo, "config", "diff.evil.textconv", str(script))
    for hook in ("post-checkout", "post-index-change", "pre-commit"):
        write(repo, f".git/hooks/{hook}", f"#!/bin/sh\ntouch {marker}\n")
        (repo / f".git/hooks/{hook}").chmod(0o755)
    write(repo, "pkg/calc.py", "def add(a, b):\n    return 0\n")
    cs = load_git(repo)
    assert "pkg/calc.py" in by_path(cs)
    read_at(repo, "HEAD", "pkg/calc.py")
    assert not marker.exists()


def test_subdirectory_paths_are_relative_to_the_top(repo: Path) -> None:
    write(repo, "pkg/calc.py", "def add(a, b):\n    return 0\n")
    assert set(by_path(load_git(repo / "pkg"))) == {"pkg/calc.py"}


def test_context_loader_yields_unchanged_tests(repo: Path) -> None:
    write(repo, "tests/test_calc.py", "def test_add():\n    assert True\n")
    cs = load_git(repo)
    ctx = {f.path: f for f in cs.context_files()}
    assert set(ctx) == {"tests/test_other.py"}
    other = ctx["tests/test_other.py"]
    assert other.status is Status.UNCHANGED and other.role is FileRole.TEST
    assert other.after.tree is not None


def test_read_at(repo: Path) -> None:
    write(repo, "pkg/calc.py", "changed\n")
    assert read_at(repo, "HEAD", "pkg/calc.py") == b"def add(a, b):\n    return a + b\n"
    assert read_at(repo, "HEAD", "pkg/absent.py") is None
    assert read_at(repo, "HEAD", "pkg") is None  # a directory is not a file
    assert read_at(repo, "HEAD", "*.py") is None  # pathspec magic is not applied
    with pytest.raises(InputFailure):
        read_at(repo, "no-such-rev", "pkg/calc.py")


def test_untracked_environments_count_only_for_their_startup_hooks(repo: Path) -> None:
    write(repo, ".venv/lib/python3.11/site-packages/evil.pth", "import os\n")
    write(repo, ".venv/lib/python3.11/site-packages/pkg/mod.py", "x = 1\n")
    write(repo, "env2/pyvenv.cfg", "home = /usr/bin\n")
    write(repo, "env2/lib/python3.11/site-packages/sitecustomize.py", "import os\n")
    write(repo, "env2/lib/python3.11/site-packages/other.py", "x = 1\n")
    cs = load_git(repo)
    assert set(by_path(cs)) == {".venv/lib/python3.11/site-packages/evil.pth",
                                "env2/lib/python3.11/site-packages/sitecustomize.py"}
    assert {e.path for e in cs.errors} == {".venv/", "env2/"}


def test_files_too_large_to_hold_are_compared_by_hash(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import specgap.inputs.git as git_input

    monkeypatch.setattr(git_input, "_READ_LIMIT", 16)
    write(repo, "pkg/calc.py", "def add(a, b):\n    return 0\n")
    cs = load_git(repo)
    files = by_path(cs)
    # the unchanged large test files hash equal to their blobs and are not reported
    assert set(files) == {"pkg/calc.py"}
    assert files["pkg/calc.py"].binary and files["pkg/calc.py"].status is Status.MODIFIED
    assert [e.path for e in cs.errors] == ["pkg/calc.py"]


def test_context_is_bounded_and_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import specgap.inputs.context as context

    monkeypatch.setattr(context, "MAX_FILES", 1)
    write(repo, "tests/test_third.py", "def test_third():\n    assert 3\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "third")
    write(repo, "pkg/calc.py", "def add(a, b):\n    return 0\n")
    cs = load_git(repo)
    assert len(cs.context_files()) == 1
    assert any("2 more unchanged test file(s)" in e.message for e in cs.errors)


def test_bare_repository_is_a_clear_failure(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    bare.mkdir()
    git(bare, "init", "-q", "--bare")
    with pytest.raises(InputFailure) as info:
        load_git(bare)
    assert str(bare) in info.value.message and "\n" not in info.value.message


def test_directory_replaced_by_a_symlink_is_not_read_through(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "test_other.py").write_text("SECRET = 1\n")
    import shutil

    shutil.rmtree(repo / "tests")
    (repo / "tests").symlink_to(outside)
    files = by_path(load_git(repo))
    assert files["tests/test_other.py"].status is Status.DELETED
    assert files["tests/test_calc.py"].status is Status.DELETED
    assert files["tests"].status is Status.ADDED and files["tests"].after.text == str(outside)
    assert not any("SECRET" in (f.after.text if f.after else "") for f in files.values())


def test_file_names_that_are_not_utf8_are_shown_and_reported(repo: Path) -> None:
    (repo / os.fsdecode(b"pkg/caf\xe9.py")).write_text("X = 1\n")
    cs = load_git(repo)
    (cf,) = cs.files
    assert cf.path == "pkg/caf\ufffd.py" and cf.after.text == "X = 1\n"
    assert any("not valid UTF-8" in e.message for e in cs.errors)
    cf.path.encode("utf-8")  # printable
