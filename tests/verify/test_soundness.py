"""A wrong implementation never passes, whatever style the test that catches it is written in.

One generated suite checks one function per test style (unittest failing by `self.fail` and by
`assertEqual`, subTest, pytest functions, classes, parametrize, fixtures, the `subtests` fixture).
Each run makes a chosen subset of the functions wrong: exactly the tests of those functions must
fail, the others must pass, and the verdict must be `pass` only when nothing is wrong.
"""

from __future__ import annotations

import random
import textwrap

import pytest
from .conftest import make_repo, write

from specgap.verify.session import Options, verify
from specgap.verify.verdict import PASS

try:  # the built-in `subtests` fixture (pytest >= 9) or the pytest-subtests plugin
    import _pytest.subtests  # noqa: F401

    SUBTESTS_PLUGIN: tuple[str, ...] | None = ()
except ImportError:
    try:
        import pytest_subtests  # noqa: F401

        SUBTESTS_PLUGIN = ("subtests",)
    except ImportError:
        SUBTESTS_PLUGIN = None

# style -> (test file body; `f` is the function under test, f(n) must be n * 3 + 1)
STYLES = {
    "unittest_fail": """
        import unittest
        from pkg import f

        class T(unittest.TestCase):
            def test_it(self):
                if f(2) != 7:
                    self.fail("f(2) is wrong")
        """,
    "unittest_equal": """
        import unittest
        from pkg import f

        class T(unittest.TestCase):
            def test_it(self):
                self.assertEqual(f(3), 10)
        """,
    "unittest_subtest": """
        import unittest
        from pkg import f

        class T(unittest.TestCase):
            def test_it(self):
                for n in range(4):
                    with self.subTest(n=n):
                        self.assertEqual(f(n), n * 3 + 1)
        """,
    "unittest_setup": """
        import unittest
        from pkg import f

        class T(unittest.TestCase):
            def setUp(self):
                self.value = f(5)

            def test_it(self):
                self.assertTrue(self.value == 16)
        """,
    "function": """
        from pkg import f

        def test_it():
            assert f(4) == 13
        """,
    "klass": """
        from pkg import f

        class TestF:
            def test_it(self):
                assert f(0) == 1
        """,
    "parametrize": """
        import pytest
        from pkg import f

        @pytest.mark.parametrize("n, want", [(1, 4), (6, 19), (10, 31)])
        def test_it(n, want):
            assert f(n) == want
        """,
    "fixture": """
        import pytest
        from pkg import f

        @pytest.fixture
        def value():
            return f(7)

        def test_it(value):
            assert value == 22
        """,
    "subtests_fixture": """
        from pkg import f

        def test_it(subtests):
            for n in range(3):
                with subtests.test(n=n):
                    assert f(n) == n * 3 + 1
        """,
}
# Ways to be wrong that a test comparing values must notice.
WRONGS = ("n * 3", "n * 3 + 2", "None", "str(n * 3 + 1)", "float('nan')", "1 // 0")


def _styles() -> list[str]:
    return [s for s in STYLES if s != "subtests_fixture" or SUBTESTS_PLUGIN is not None]


def _product(wrong: dict[str, str]) -> dict[str, str]:
    """One module per style so each can be wrong alone; `pkg` re-exports the style's own `f`."""
    files = {}
    for style in _styles():
        files[f"pkg/{style}.py"] = f"def f(n):\n    return {wrong.get(style, 'n * 3 + 1')}\n"
    return files


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    path = tmp_path_factory.mktemp("soundness") / "repo"
    files = {"pkg/__init__.py": "", **_product({s: "0" for s in _styles()})}
    for style in _styles():
        # Each test module imports its own style's f: `from pkg import f` -> `from pkg.<style> import f`.
        files[f"tests/test_{style}.py"] = textwrap.dedent(STYLES[style]).replace("from pkg import f", f"from pkg.{style} import f")
    return path, make_repo(path, files)


def _run(suite, tmp_path, wrong: dict[str, str]):
    import shutil

    template, base = suite
    repo = tmp_path / "repo"
    shutil.copytree(template, repo)
    write(repo, _product(wrong))
    plugins = SUBTESTS_PLUGIN or ()
    return verify(Options(repo=repo, base=base, isolation="none", nop_check=False, inflation=False, plugins=plugins))


def _by_style(outcome) -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    for t in outcome.verdict.tests:
        style = t.id.split("::", 1)[0].removeprefix("tests/test_").removesuffix(".py")
        rows.setdefault(style, set()).add(t.status)
    return rows


@pytest.mark.parametrize("seed", range(3))
def test_exactly_the_wrong_functions_fail(suite, tmp_path, seed):
    rng = random.Random(seed)
    styles = _styles()
    # Seed 0 makes every function wrong, the others a random half; the wrong values vary.
    chosen = styles if seed == 0 else rng.sample(styles, len(styles) // 2)
    wrong = {s: rng.choice(WRONGS) for s in chosen}
    out = _run(suite, tmp_path, wrong)
    assert out.verdict.status != PASS, out.output[-3000:]
    rows = _by_style(out)
    assert set(rows) == set(styles), rows
    for style in styles:
        if style in wrong:
            assert "passed" not in rows[style], (style, wrong[style], rows[style], out.output[-2000:])
        else:
            assert rows[style] == {"passed"}, (style, rows[style], out.verdict.evidence, out.output[-2000:])


def test_right_functions_pass_in_every_style(suite, tmp_path):
    out = _run(suite, tmp_path, {})
    assert out.verdict.status == PASS, (out.verdict.evidence, [t for t in out.verdict.tests if t.status != "passed"])
    assert {s for s, st in _by_style(out).items() if st == {"passed"}} == set(_styles())
