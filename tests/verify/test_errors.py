"""Bad input gives a clear message and verdict `error` (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from .conftest import HONEST

from specgap.verify import sandbox
from specgap.verify.session import Options, verify
from specgap.verify.verdict import ERROR, EXIT


def test_not_a_git_repo(tmp_path):
    out = verify(Options(repo=tmp_path, base="HEAD", isolation="none"))
    assert out.verdict.status == ERROR and "not a git repository" in out.verdict.message
    assert EXIT[out.verdict.status] == 2


def test_missing_directory(tmp_path):
    out = verify(Options(repo=tmp_path / "nope", base="HEAD", isolation="none"))
    assert out.verdict.status == ERROR and "not a directory" in out.verdict.message


def test_missing_revision(scenario):
    out = scenario.verify(base="no-such-rev")
    assert out.verdict.status == ERROR and "no-such-rev" in out.verdict.message


def test_malformed_base_test_file(scenario):
    scenario.rebase({"tests/test_broken.py": "def test_x(:\n    pass\n"})
    out = scenario.change(HONEST).verify()
    assert out.verdict.status == ERROR and "tests/test_broken.py" in out.verdict.message


def test_no_tests_at_base(tmp_path):
    from .conftest import make_repo

    repo = tmp_path / "r"
    base = make_repo(repo, {"lib.py": "X = 1\n"})
    out = verify(Options(repo=repo, base=base, isolation="none"))
    assert out.verdict.status == ERROR and "no test files" in out.verdict.message


def test_suite_that_hangs(scenario):
    scenario.change({**HONEST, "calc/__init__.py": "def add(a, b):\n    while True:\n        pass\n\ndef mul(a, b):\n    return a * b\n"})
    out = scenario.verify(limits=sandbox.Limits(wall=4, cpu=30))
    assert out.verdict.status == ERROR and "wall-time limit" in out.verdict.message


def test_child_that_floods_output(tmp_path):
    from .conftest import make_repo

    repo = tmp_path / "r"
    base = make_repo(repo, {"grade.py": "import lib\nassert lib.VALUE == 1\n", "lib.py": "VALUE = 0\n"})
    (repo / "lib.py").write_text("import os\nwhile True:\n    os.write(1, b'PASSED ' * 9000)\n")
    out = verify(Options(repo=repo, base=base, runner="script", tests=(repo / "grade.py",), isolation="none",
                         limits=sandbox.Limits(wall=60, output=1 << 20)))
    assert out.verdict.status == ERROR and "flooded" in out.verdict.message
    assert len(out.output) < 20000  # only the head and tail are kept


def test_flood_into_pytest_capture_is_bounded(scenario):
    scenario.change({**HONEST, "calc/__init__.py": "import os\nwhile True:\n    os.write(2, b'x' * 65536)\n"})
    out = scenario.verify(limits=sandbox.Limits(wall=60, fsize=8 << 20))
    # The capture file hits the file-size limit; pytest then echoes it and floods the pipe.
    assert out.verdict.status in ("fail", ERROR)
    assert "flooded" in out.verdict.message or any("File too large" in t.detail for t in out.verdict.tests)


def test_unusable_interpreter(scenario):
    out = scenario.verify(python="/nonexistent/python3")
    assert out.verdict.status == ERROR and "not usable" in out.verdict.message


def test_script_runner_needs_tests(scenario):
    out = scenario.verify(runner="script")
    assert out.verdict.status == ERROR and "--tests" in out.verdict.message


def test_missing_tests_path(scenario, tmp_path):
    out = scenario.verify(tests=(tmp_path / "absent",))
    assert out.verdict.status == ERROR and "does not exist" in out.verdict.message


@pytest.mark.parametrize("level", ["bwrap", "unshare"])
def test_requested_sandbox_that_is_missing_is_an_error(scenario, level, monkeypatch):
    monkeypatch.setattr(sandbox, "_works", lambda lvl: False)
    out = scenario.verify(isolation=level)
    assert out.verdict.status == ERROR and "not usable" in out.verdict.message


def test_auto_sandbox_says_when_it_fell_back(monkeypatch):
    monkeypatch.setattr(sandbox, "_works", lambda lvl: False)
    level, note = sandbox.choose("auto")
    assert level == "none" and "not usable" in note


def test_relative_repo_path(scenario, monkeypatch):
    monkeypatch.chdir(scenario.repo.parent)
    scenario.change(HONEST)
    out = verify(Options(repo=Path(scenario.repo.name), base=scenario.base, isolation="none", nop_check=False))
    assert out.verdict.status == "pass"
