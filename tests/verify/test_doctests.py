"""Doctests the base revision's config collects are tests: they run, count, and come from the base."""

from __future__ import annotations

import textwrap

import pytest

from specgap.verify import baseconfig
from specgap.verify.doctests import base_doctests, expected

from .conftest import HONEST

STUB = '''
def shout(s):
    """Upper-case and exclaim.

    >>> shout("hi")
    'HI!'
    """
    raise NotImplementedError


class Counter:
    """
    >>> Counter(2).twice()
    4
    """
    def __init__(self, n):
        self.n = n

    def twice(self):
        """
        >>> Counter(5).twice()
        10
        """
        return self.n * 2
'''
EXAMPLE = """
    >>> shout("hi")
    'HI!'"""
RIGHT = STUB.replace("raise NotImplementedError", "return s.upper() + '!'")
WRONG = STUB.replace("raise NotImplementedError", "return s + '!'")

CONFIGS = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra --doctest-modules"\n',
    "pyproject.toml ": '[tool.pytest.ini_options]\naddopts = ["--doctest-modules", "-ra"]\n',
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "setup.cfg": "[tool:pytest]\naddopts = -ra\n    --doctest-modules\n",
    "tox.ini": "[pytest]\naddopts = --doctest-modules\n",
}


def _doctested(scenario, config: str = "pyproject.toml", text: str | None = None):
    return scenario.rebase({config.strip(): text or CONFIGS[config], "calc/text.py": STUB})


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_config_form_keeps_doctest_modules(tmp_path, config):
    (tmp_path / config.strip()).write_text(CONFIGS[config])
    assert baseconfig.doctest_modules(baseconfig.read(tmp_path))


@pytest.mark.parametrize("config", ["pyproject.toml", "setup.cfg"])
def test_a_failing_doctest_fails_verify(scenario, config):
    _doctested(scenario, config).change({**HONEST, "calc/text.py": WRONG})
    assert scenario.naive().returncode == 1
    out = scenario.verify()
    assert out.verdict.status == "fail", out.output
    failed = [t for t in out.verdict.tests if t.status == "failed"]
    assert [t.id for t in failed] == ["calc/text.py::calc.text.shout"]
    assert "expected" in failed[0].detail and "'hi!'" in failed[0].detail


def test_honest_doctests_pass_and_count(scenario):
    _doctested(scenario).change({**HONEST, "calc/text.py": RIGHT})
    assert scenario.naive().returncode == 0
    out = scenario.verify()
    assert out.verdict.status == "pass", out.output
    ids = {t.id for t in out.verdict.tests if t.status == "passed"}
    assert {"calc/text.py::calc.text.shout", "calc/text.py::calc.text.Counter",
            "calc/text.py::calc.text.Counter.twice"} <= ids


# Ways a change hides a doctest from plain pytest, each tried in a module of its own.
HIDING_EDITS = {
    "rewritten": lambda s: s.replace("'HI!'", "'hi!'"),  # the expected output rewritten
    "deleted": lambda s: s.replace('''"""Upper-case and exclaim.

    >>> shout("hi")
    'HI!'
    """''', '"""Upper-case and exclaim."""'),  # the example deleted
    "wrapped": lambda s: "def _keep(f):\n    return lambda *a: f(*a)\n\n" + s.replace("def shout", "@_keep\ndef shout"),
    "renamed": lambda s: s.replace("def shout(s):", "def yell(s):").replace(EXAMPLE, ""),  # renamed away
}


def test_a_doctest_the_change_rewrote_or_hid_still_runs_as_the_base_wrote_it(scenario):
    """One change does each of `HIDING_EDITS` to a wrong implementation in its own module (one
    verify run for all): every module's doctest still runs as the base wrote it, and fails."""
    modules = {name: f"calc/{name}.py" for name in HIDING_EDITS}
    scenario.rebase({"pyproject.toml": CONFIGS["pyproject.toml"], **{path: STUB for path in modules.values()}})
    scenario.change({**HONEST, **{modules[name]: edit(WRONG) for name, edit in HIDING_EDITS.items()}})
    assert scenario.naive().returncode == 0  # the naive run is fooled
    out = scenario.verify()
    assert out.verdict.status == "fail", out.output
    failed = {t.id for t in out.verdict.tests if t.status == "failed"}
    for name, path in modules.items():
        assert any(i.startswith(f"{path}::") and i.endswith("shout") for i in failed), (name, sorted(failed))


def test_honest_edits_of_docstrings_keep_the_base_examples(scenario):
    # Reworded prose, a refactor that moves the function behind an import, and a doctest of the
    # change's own that fails: the base's examples pass, and only those are the suite.
    moved = RIGHT.replace("def shout(s):", "def _shout(s):").replace("Upper-case and exclaim.", "Shout it.")
    moved += '\n\ndef extra():\n    """\n    >>> extra()\n    2\n    """\n    return 1\n\nshout = _shout\n'
    _doctested(scenario).change({**HONEST, "calc/text.py": moved})
    out = scenario.verify()
    assert out.verdict.status == "pass", out.output
    assert not any("extra" in t.id for t in out.verdict.tests)


def test_skip_directives_and_option_flags_of_the_base_are_honoured(scenario):
    scenario.rebase({
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--doctest-modules"\n'
                          'doctest_optionflags = ["ELLIPSIS", "NORMALIZE_WHITESPACE"]\n',
        "calc/text.py": textwrap.dedent('''
            def listing():
                """
                >>> listing()
                [0, 1, ..., 9]
                """
                raise NotImplementedError


            def later():
                """
                >>> later()  # doctest: +SKIP
                'not yet'
                """
            '''),
    })
    scenario.change({**HONEST, "calc/text.py": (scenario.repo / "calc/text.py").read_text().replace(
        "raise NotImplementedError", "return list(range(10))")})
    assert scenario.naive().returncode == 0
    out = scenario.verify()
    assert out.verdict.status == "pass", out.output
    assert {t.id: t.status for t in out.verdict.tests}["calc/text.py::calc.text.later"] == "skipped-by-marker"


def test_text_file_doctests_come_from_the_base(scenario):
    scenario.rebase({
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--doctest-glob=*.rst"\n',
        "README.rst": "Usage\n=====\n\n>>> from calc import add\n>>> add(2, 2)\n4\n",
        "requirements/test-requirements.txt": "pytest\n",
    })
    wrong = {**HONEST, "calc/__init__.py": HONEST["calc/__init__.py"].replace("return a + b", "return a + b + (a == b)")}
    scenario.change({**wrong, "README.rst": "Usage\n=====\n\n>>> from calc import add\n>>> add(2, 2)\n5\n",
                     "requirements/test-requirements.txt": "pytest\nhypothesis\n"})
    out = scenario.verify()
    assert out.verdict.status == "fail", out.output
    assert {t.id: t.status for t in out.verdict.tests}["README.rst::README.rst"] == "failed"
    excluded = {f.path for f in out.verdict.evidence if f.name == "excluded-file"}
    assert "README.rst" in excluded and "requirements/test-requirements.txt" not in excluded


@pytest.mark.parametrize("text", [
    '[tool.pytest.ini_options]\naddopts = ["--doctest-modules", "--doctest-glob", "*.rst", "--doctest-continue-on-failure"]\n',
    '[tool.pytest.ini_options]\naddopts = "--doctest-modules --doctest-glob=*.rst --doctest-continue-on-failure"\n',
])
def test_doctest_options_are_kept(tmp_path, text):
    (tmp_path / "pyproject.toml").write_text(text)
    cfg = baseconfig.read(tmp_path)
    assert cfg["addopts"] == ["--doctest-modules", "--doctest-glob", "*.rst", "--doctest-continue-on-failure"]
    assert baseconfig.doctest_modules(cfg) and baseconfig.doctest_globs(cfg) == ("*.rst",)


def test_which_base_doctests_are_expected_whatever_the_code_does():
    found = base_doctests(textwrap.dedent('''
        """
        >>> 1
        1
        """
        import functools

        def plain():
            """
            >>> plain()
            """

        @functools.cache
        def cached():
            """
            >>> cached()
            """

        class C:
            @staticmethod
            def m():
                """
                >>> C.m()
                """

            @property
            def p(self):
                """
                >>> C().p
                """

            @p.setter
            def p(self, v):
                """
                >>> 2
                """

        if True:
            def conditional():
                """
                >>> conditional()
                """

        def twice():
            """
            >>> twice()
            """

        def twice():
            """
            >>> twice() + 1
            """

        __test__ = {"extra": """
        >>> plain()
        """}
        ''').encode())
    assert set(found["docs"]) == {"", "plain", "cached", "C.m", "C.p", "conditional", "twice", "__test__.extra"}
    # Not expected whatever the code does: a decorated function (the decorator may drop the
    # docstring), a name bound twice (the property's setter), a conditional definition.
    assert set(found["plain"]) == {"", "plain", "C.m"}
    assert found["loose"] == ["twice"] and not found["test_dict"]
    assert base_doctests(b"def broken(:\n") == {"docs": {}, "plain": [], "loose": [], "test_dict": False}


# Doctests the base runs whatever their syntax: decorated, conditional, bound twice, in a module of
# their own, in a module whose import can fail (skipped under --doctest-ignore-import-errors).
# Beside them, doctests the base never ran: a decorator that drops the docstring, a branch not
# taken. Only what the base ran is owed.
LOSABLE = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--doctest-modules --doctest-ignore-import-errors"\n',
    "calc/text.py": '''
        import functools


        def _bare(f):
            return lambda *a: f(*a)


        @functools.lru_cache
        def shout(s):
            """
            >>> shout("hi")
            'HI!'
            """
            return s.upper() + "!"


        try:
            import json
        except ImportError:
            json = None
        else:
            def dumps(x):
                """
                >>> dumps([1])
                '[1]'
                """
                return json.dumps(x)


        def twice(n):
            return n


        def twice(n):
            """
            >>> twice(4)
            8
            """
            return 2 * n


        @_bare
        def undocumented(n):
            """
            >>> undocumented(1)
            'never run: the decorator drops this docstring'
            """
            return n


        if False:
            def never():
                """
                >>> never()
                'never run: the branch is not taken'
                """
        ''',
    "calc/words.py": '''
        def initials(s):
            """
            >>> initials("hello world")
            'HW'
            """
            return "".join(w[0].upper() for w in s.split())
        ''',
    "calc/fmt.py": '''
        def pct(x):
            """
            >>> pct(0.5)
            '50%'
            """
            return f"{x:.0%}"
        ''',
}
LOSABLE_TEXT = textwrap.dedent(LOSABLE["calc/text.py"])


def test_doctests_the_change_removes_deletes_or_breaks_fail_with_a_reason(scenario):
    scenario.rebase(LOSABLE).change({
        **HONEST,
        # The decorated, the conditional and the twice-bound definition go, and with them their
        # doctests; so do the two the base never ran.
        "calc/text.py": "def unrelated():\n    return 1\n",
        "calc/words.py": None,  # the whole module, with its doctest
        "calc/fmt.py": "import no_such_module_anywhere\n\n" + textwrap.dedent(LOSABLE["calc/fmt.py"]),
    })
    assert scenario.naive().returncode == 0  # plain pytest is fooled: nothing fails, nothing is missing
    out = scenario.verify()
    assert out.verdict.status == "fail", out.output
    rows = {t.id: t for t in out.verdict.tests}
    for name in ("shout", "dumps", "twice"):
        row = rows[f"calc/text.py::calc.text.{name}"]
        assert row.status == "failed" and f"the change removed calc.text.{name}" in row.detail, row
    row = rows["calc/words.py::calc.words.initials"]
    assert row.status == "failed" and "module calc.words (calc/words.py) was deleted by the change" in row.detail
    row = rows["calc/fmt.py::calc.fmt.pct"]
    assert row.status == "failed" and "module calc.fmt (calc/fmt.py) no longer imports" in row.detail
    assert not any(n in t for t in rows for n in ("undocumented", "never"))  # never run by the base: not owed
    assert sum(t.status == "failed" for t in rows.values()) == 5


def test_honest_moves_that_keep_a_doctests_name_working_pass(scenario):
    # The decorated function renamed but bound under its name again, the conditional one now
    # unconditional, the twice-bound one defined once; the docstrings the base never ran go.
    text = LOSABLE_TEXT.split("@_bare")[0].replace("@functools.lru_cache\ndef shout", "@functools.cache\ndef _shout")
    text = text.replace("try:\n    import json\nexcept ImportError:\n    json = None\nelse:\n", "import json\nif True:\n")
    text = text.replace("def twice(n):\n    return n\n", "")
    assert text.count("def ") == 4 and "except" not in text
    scenario.rebase(LOSABLE).change({
        **HONEST,
        "calc/text.py": text + "\nshout = _shout\n",
        # A module turned into a package of the same name, and one moved behind a re-export.
        "calc/words.py": None,
        "calc/words/__init__.py": LOSABLE["calc/words.py"].replace('"""\n            >>>', '"""Now a package.\n\n            >>>'),
        "calc/fmt.py": "from calc._fmt import pct\n",
        "calc/_fmt.py": LOSABLE["calc/fmt.py"],
    })
    out = scenario.verify()
    assert out.verdict.status == "pass", (out.verdict.reasons, [t for t in out.verdict.tests if t.status != "passed"])
    passed = {t.id for t in out.verdict.tests if t.status == "passed"}
    assert {"calc/text.py::calc.text.shout", "calc/text.py::calc.text.dumps", "calc/text.py::calc.text.twice",
            "calc/words.py::calc.words.initials", "calc/fmt.py::calc.fmt.pct"} <= passed


def test_the_census_decides_which_base_doctests_are_owed():
    static = {"calc/a.py": base_doctests(b'def f():\n    """\n    >>> f()\n    """\n'),
              "calc/b.py": base_doctests(b'def g():\n    """\n    >>> g()\n    """\n'),
              "calc/c.py": base_doctests(b'def h():\n    """\n    >>> h()\n    """\n')}
    deleted = {"calc/d.py": base_doctests(b'"""\n>>> 1\n1\n"""\n'), "calc/e.py": base_doctests(b"x = 1\n")}
    census = [{"id": "calc/a.py::calc.a.f", "module": "calc.a", "name": "calc.a.f", "text": "\n>>> f() + 0\n"},
              {"id": "calc/d.py::calc.d", "module": "calc.d", "name": "calc.d", "text": "\n>>> 1\n1\n"}]
    docmap, lost = expected(static, deleted, census, errors={"calc/c.py"})
    # the base's run text; nothing owed where the base's run had none; the source where it errored
    assert docmap["calc/a.py"]["docs"] == {"f": "\n>>> f() + 0\n"} and docmap["calc/a.py"]["module"] == "calc.a"
    assert docmap["calc/b.py"]["plain"] == [] and docmap["calc/c.py"] == static["calc/c.py"]
    assert lost == {"calc/d.py": {"module": "calc.d", "docs": {"": "\n>>> 1\n1\n"}}}
    assert expected(static, deleted, None, set()) == (static, {})
