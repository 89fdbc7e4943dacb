"""Scenario repos for `specgap verify`: a tiny task at a base commit, and changes made on top.

The base commit holds a stub package and its tests (with a legit conftest fixture). Each scenario
copies the once-built repo into its own tmp_path and writes the agent's change there, so hostile
files never touch this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from specgap.verify.session import Options, verify

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # every test here builds a repository and runs its suite in a sandboxed child process
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.slow)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}

BASE = {
    "calc/__init__.py": """
        def add(a, b):
            raise NotImplementedError

        def mul(a, b):
            raise NotImplementedError
        """,
    "calc/geo.py": """
        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y

        def midpoint(p, q):
            raise NotImplementedError
        """,
    "calc/stats.py": """
        def mean(xs):
            raise NotImplementedError
        """,
    "tests/conftest.py": """
        import pytest

        @pytest.fixture
        def pair():
            return (6, 7)
        """,
    "tests/test_calc.py": """
        import pytest
        from calc import add, mul

        def test_add():
            assert add(2, 3) == 5

        @pytest.mark.parametrize("a, b, expected", [(1, 2, 3), (-4, 4, 0), (10, 5, 15)])
        def test_add_table(a, b, expected):
            assert add(a, b) == expected

        def test_mul_fixture(pair):
            assert mul(*pair) == 42

        class TestMul:
            def test_mul_zero(self):
                assert mul(0, 9) == 0
        """,
    "tests/test_geo.py": """
        from calc.geo import Point, midpoint

        def test_midpoint():
            assert midpoint(Point(0, 0), Point(4, 2)) == Point(2, 1)
        """,
    "tests/test_stats.py": """
        from calc.stats import mean

        def test_mean_close():
            assert not (abs(mean([0.1, 0.2, 0.3]) - 0.2) > 1e-9)
        """,
}

HONEST = {
    "calc/__init__.py": """
        def add(a, b):
            return a + b

        def mul(a, b):
            return a * b
        """,
    "calc/geo.py": """
        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y

            def __eq__(self, other):
                if not isinstance(other, Point):
                    return NotImplemented
                return (self.x, self.y) == (other.x, other.y)

            def __repr__(self):
                return f"Point({self.x}, {self.y})"

        def midpoint(p, q):
            return Point((p.x + q.x) / 2, (p.y + q.y) / 2)
        """,
    "calc/stats.py": """
        def mean(xs):
            return sum(xs) / len(xs)
        """,
}

# Row 1 of the catalog, the attack several test modules use: results equal to anything.
ALWAYS_EQUAL = {**HONEST, "calc/__init__.py": """
        class _Any:
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False

        def add(a, b):
            return _Any()

        def mul(a, b):
            return _Any()
        """}


def write(repo: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (dedented) or delete (None) files in the working tree."""
    for rel, text in files.items():
        p = repo / rel
        if text is None:
            p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text).lstrip("\n"))


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def bare_venv(home: Path) -> tuple[Path, Path]:
    """A venv at `home` without pip or system packages: its python and its site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = home / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    return python, site


def make_repo(path: Path, files: dict[str, str]) -> str:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    write(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    return git(path, "rev-parse", "HEAD")


def naive_pytest(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """How a naive grader runs the suite: `python -m pytest` in the tree, package on PYTHONPATH."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "PYTHONPATH": str(repo)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)


class Scenario:
    """A copy of a base repo in tmp_path, plus helpers to change it and verify it."""

    def __init__(self, template: Path, base: str, dest: Path):
        shutil.copytree(template, dest, symlinks=True)
        self.repo, self.base = dest, base

    def change(self, files: dict[str, str | bytes | None]) -> "Scenario":
        write(self.repo, files)
        return self

    def commit(self, msg: str = "agent") -> "Scenario":
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", msg)
        return self

    def rebase(self, files: dict[str, str | bytes | None]) -> "Scenario":
        """Extend the task: commit more trusted files and make that commit the base."""
        self.change(files).commit("task")
        self.base = git(self.repo, "rev-parse", "HEAD")
        return self

    def naive(self, *args: str) -> subprocess.CompletedProcess:
        return naive_pytest(self.repo, *args)

    def verify(self, **kw):
        kw.setdefault("base", self.base)
        kw.setdefault("isolation", "none")
        kw.setdefault("nop_check", False)
        kw.setdefault("inflation", False)
        return verify(Options(repo=self.repo, **kw))


@pytest.fixture(scope="session")
def base_template(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("base") / "repo"
    return path, make_repo(path, BASE)


@pytest.fixture
def scenario(base_template, tmp_path) -> Scenario:
    template, base = base_template
    return Scenario(template, base, tmp_path / "repo")


def rules_of(outcome) -> set[str]:
    return {f.name for f in outcome.verdict.evidence}
