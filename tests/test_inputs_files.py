"""load_files and load_trees: what a walk reads, skips and reports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specgap.inputs import InputFailure, load_files, load_trees
from specgap.model import FileRole, Status


def write(root: Path, rel: str, data: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def by_path(cs):
    return {f.path: f for f in cs.files}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/core.py", "def f():\n    return 1\n")
    write(root, "tests/test_core.py", "def test_f():\n    assert True\n")
    write(root, "tests/__pycache__/test_core.cpython-311-pytest-9.0.3.pyc", b"\xa7\r\r\n\x00\x00garbage")
    write(root, "conftest.py", "def pytest_runtest_makereport(item, call):\n    pass\n")
    write(root, "pytest.ini", "[pytest]\naddopts = --deselect tests/test_core.py::test_f\n")
    write(root, "pyproject.toml", "[project]\nname = 'x'\n")
    write(root, "setup.cfg", "[metadata]\nname = x\n")
    write(root, "tox.ini", "[tox]\n")
    write(root, "Makefile", "test:\n\tpytest\n")
    write(root, ".github/workflows/ci.yml", "on: push\n")
    write(root, "site/evil.pth", "import os; os.environ['X'] = '1'\n")
    write(root, "sitecustomize.py", "import builtins\n")
    write(root, "bin/runner", "#!/usr/bin/env python3\nimport sys\nsys.exit(0)\n")
    write(root, "bin/tool.sh", "#!/bin/sh\necho hi\n")
    write(root, "README.md", "# Project\n\n## Usage\n\n```python\nimport pkg\npkg.f()\n```\n")
    write(root, "package.json", '{"name": "x", "description": "y", "scripts": {"test": "jest"}}')
    write(root, "tests/cases.json", '[{"input": "1 2", "output": "3"}]')
    write(root, "notes.txt", "hello\n")
    write(root, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    for skipped in (".git/hooks/pre-commit.py", "node_modules/m/index.py", ".venv/lib/site.py", ".tox/py/x.py",
                    "myenv/lib/python3.11/site-packages/mod.py", ".mypy_cache/x.py", "build/lib/pkg/core.py",
                    "dist/x.py", "pkg.egg-info/x.py", "pkg/__pycache__/core.cpython-311.pyc", ".eggs/e/x.py"):
        write(root, skipped, "x = 1\n")
    write(root, "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(root, "myenv/lib/python3.11/site-packages/hook.pth", "import os\n")
    write(root, ".tox/py311/lib/python3.11/site-packages/sitecustomize.py", "import os\n")
    return root


def test_walk_reads_code_harness_and_hooks_only(tree: Path) -> None:
    """A directory is a tree, not a change: bytecode caches and build outputs are left out."""
    cs = load_files([tree])
    files = by_path(cs)
    assert set(files) == {
        "pkg/__init__.py", "pkg/core.py", "tests/test_core.py", "conftest.py", "pytest.ini",
        "pyproject.toml", "setup.cfg", "tox.ini", "Makefile", ".github/workflows/ci.yml", "site/evil.pth",
        "sitecustomize.py", "bin/runner",
        # environments are skipped, but not the startup hooks planted in them
        "myenv/lib/python3.11/site-packages/hook.pth", ".tox/py311/lib/python3.11/site-packages/sitecustomize.py",
    }
    assert all(f.status is Status.ADDED and f.added_lines is None for f in cs.files)
    assert files["conftest.py"].role is FileRole.HARNESS and files["site/evil.pth"].role is FileRole.HARNESS
    assert files["tests/test_core.py"].role is FileRole.TEST
    assert files["bin/runner"].is_python and files["bin/runner"].after.tree is not None
    # README.md has fenced code but is no transcript: left unread, and said so
    assert [(e.path, e.message.split(":")[0]) for e in cs.errors] == [("README.md", "skipped")]
    assert cs.context_files() == []


def test_excludes_and_explicitly_named_bytecode(tree: Path) -> None:
    files = by_path(load_files([tree], exclude=("tests/**", "bin", "*.ini")))
    assert not any(p.startswith(("tests/", "bin/")) or p.endswith(".ini") for p in files)
    assert "pkg/core.py" in files and "conftest.py" in files
    # named on its own, a bytecode file is read (and its place judged) whatever the excludes
    pyc = tree / "tests/__pycache__/test_core.cpython-311-pytest-9.0.3.pyc"
    assert by_path(load_files([pyc]))["test_core.cpython-311-pytest-9.0.3.pyc"].binary


def test_single_files_are_named_by_their_file_name(tree: Path) -> None:
    cs = load_files([tree / "pkg/core.py", tree / "notes.txt"])
    assert [f.path for f in cs.files] == ["core.py", "notes.txt"]


def test_missing_paths(tree: Path, tmp_path: Path) -> None:
    cs = load_files([tree / "pkg/core.py", tmp_path / "nope.py"])
    assert [f.path for f in cs.files] == ["core.py"]
    assert [e.message for e in cs.errors] == ["no such file or directory"]
    with pytest.raises(InputFailure, match="no such file"):
        load_files([tmp_path / "nope.py"])
    assert load_files([]).files == []


def test_large_files_symlinks_and_bad_text_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "w"
    write(root, "big/conftest.py", "x = 1\n" * (1024 * 1024))
    write(root, "latin.py", b"# caf\xe9\nX = 1\n")
    write(root, "bom_crlf.py", b"\xef\xbb\xbfdef f():\r\n    return 1\r\n")
    write(root, "deep.py", "x = " + "(" * 5000 + ")" * 5000 + "\n")
    write(root, "nul.py", b"x = 1\x00\n")
    os.symlink("/etc/hostname", root / "link.py")
    os.symlink(root, root / "loop")
    cs = load_files([root])
    files = by_path(cs)
    messages = {e.path: e.message for e in cs.errors}
    assert files["big/conftest.py"].binary and "5 MB" in messages["big/conftest.py"]
    assert files["big/conftest.py"].role is FileRole.HARNESS
    assert files["link.py"].binary and "symbolic link" in messages["link.py"]
    assert files["latin.py"].after.tree is not None and "UTF-8" in messages["latin.py"]
    assert files["bom_crlf.py"].after.text == "def f():\n    return 1\n"
    assert files["deep.py"].after.tree is None and "deep.py" in messages
    assert files["nul.py"].binary
    assert not any(p.startswith("loop/") for p in files)


def test_explicit_markdown_without_structure_is_the_agents_answer(tmp_path: Path) -> None:
    answer = write(tmp_path, "answer.md", "Here you go:\n\n```python\ndef solve():\n    return 4\n```\n")
    cs = load_files([answer])
    assert [f.path for f in cs.files] == ["answer.md::solution.py"]
    assert cs.files[0].origin == "answer.md"


def test_explicit_unrecognised_json_is_reported(tmp_path: Path) -> None:
    data = write(tmp_path, "package.json", '{"name": "x"}')
    cs = load_files([data])
    assert cs.files == [] and "not a recognisable transcript" in cs.errors[0].message
    broken = write(tmp_path, "broken.json", '{"messages": [')
    cs = load_files([broken])
    assert cs.files == [] and "invalid JSON" in cs.errors[0].message


def test_trees_compare_added_modified_deleted_renamed(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    body = "".join(f"def f{i}():\n    return {i}\n" for i in range(10))
    for root in (before, after):
        write(root, "tests/test_keep.py", "def test_keep():\n    assert 1 == 1\n")
        write(root, "README.md", "same\n")
    write(before, "pkg/core.py", "def f():\n    return 1\n")
    write(after, "pkg/core.py", "def f():\n    return 2\n")
    write(before, "tests/test_core.py", "def test_f():\n    assert f() == 1\n")
    write(before, "pkg/old.py", body)
    write(after, "pkg/new.py", body + "X = 1\n")
    write(after, "conftest.py", "import sys\n")
    write(after, "notes.md", "not code\n")
    cs = load_trees(before, after)
    files = by_path(cs)
    assert set(files) == {"pkg/core.py", "tests/test_core.py", "pkg/new.py", "conftest.py"}
    assert files["pkg/core.py"].status is Status.MODIFIED and files["pkg/core.py"].added_lines == frozenset({2})
    assert files["tests/test_core.py"].status is Status.DELETED
    assert files["pkg/new.py"].status is Status.RENAMED and files["pkg/new.py"].old_path == "pkg/old.py"
    assert files["conftest.py"].status is Status.ADDED
    assert [f.path for f in cs.context_files()] == ["tests/test_keep.py"]
    with pytest.raises(InputFailure):
        load_trees(before, tmp_path / "missing")


def test_undecodable_file_names(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / os.fsdecode(b"caf\xe9.py")).write_text("X = 1\n")
    (root / os.fsdecode(b"cache")).mkdir()
    (root / os.fsdecode(b"cache/m\xff.cpython-311.pyc")).write_bytes(b"\x00")
    cs = load_files([root])
    assert sorted(f.path for f in cs.files) == ["cache/m\ufffd.cpython-311.pyc", "caf\ufffd.py"]
    assert sum("not valid UTF-8" in e.message for e in cs.errors) == 2


def test_explicit_text_file_is_a_transcript_only_if_it_holds_one(tmp_path: Path) -> None:
    log = write(tmp_path, "run.txt", "User: make the tests pass\n\nAssistant: done.\n\n```python\n# filename: conftest.py\n"
                                     "import sys\nsys.exit(0)\n```\n")
    assert [f.path for f in load_files([log]).files] == ["run.txt::conftest.py"]
    reqs = write(tmp_path, "requirements.txt", "requests==2.32.0\n")
    cs = load_files([reqs])
    assert [f.path for f in cs.files] == ["requirements.txt"] and cs.errors == []


def test_the_cycle_collector_is_paused_only_while_loading(tmp_path: Path) -> None:
    import gc

    write(tmp_path, "a.py", "x = 1\n")
    assert gc.isenabled()
    load_files([tmp_path])
    assert gc.isenabled()
    with pytest.raises(InputFailure):
        load_files([tmp_path / "missing"])
    assert gc.isenabled()
    gc.disable()
    try:
        load_files([tmp_path])
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()
