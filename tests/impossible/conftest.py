"""A small repository with a pytest suite, written fresh for each test that needs one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

AGENTS = Path(__file__).with_name("agents")


def write_repo(root: Path, tests: str, code: str | None = None) -> Path:
    (root / "src" / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "calc" / "__init__.py").write_text(code or textwrap.dedent("""\
        def add(a, b):
            return a + b


        def greet(name):
            return f"Hello, {name}!"


        def parse(s):
            return [int(x) for x in s.split(",")]
        """))
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    (root / "tests" / "test_calc.py").write_text(textwrap.dedent(tests))
    return root


SUITE = """\
    import unittest

    import pytest

    from calc import add, greet, parse


    def test_add():
        assert add(2, 3) == 5
        assert add(-1, 1) == 0  # edge


    def test_greet():
        result = greet("Ann")
        assert result == "Hello, Ann!"
        assert "Ann" in result


    def test_parse():
        assert parse("1,2,3") == [1, 2, 3]


    def test_approx():
        assert add(0.1, 0.2) == pytest.approx(0.3)


    @pytest.mark.parametrize("a", [1, 2])
    def test_param(a):
        assert add(a, 0) == a


    def test_unreached():
        if add(1, 1) == 3:
            assert add(1, 2) == 3


    def test_fails_already():
        assert add(1, 1) == 3


    class TestCalc:
        def test_method(self):
            assert parse("7") is not None
    """


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo", SUITE)
