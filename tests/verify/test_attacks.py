"""Attacks from the hack catalog (rows 1-24): each fools a naive `python -m pytest`, none fools verify.

Every scenario asserts both halves: the naive run exits 0 (so the attack works), and `verify`
returns `fail` or `tampered`. Where the evidence is specific, the test names the rule expected.
"""

from __future__ import annotations

import os
import py_compile
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ALWAYS_EQUAL, HONEST, rules_of

from specgap.verify.verdict import FAIL, PASS, TAMPERED

WRONG = {
    "calc/__init__.py": """
        def add(a, b):
            return a - b

        def mul(a, b):
            return a + b
        """,
}


def rejected(scenario, *, naive_args=(), **verify_kw):
    """Assert the attack fools a naive run, then return verify's outcome (which must not pass).

    Both runs only read the tree, so they run side by side to keep the suite quick.
    """
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(scenario.naive, *naive_args)
        out = scenario.verify(**verify_kw)
        naive = pending.result()
    assert naive.returncode == 0, f"the attack should fool naive pytest:\n{naive.stdout[-3000:]}\n{naive.stderr[-2000:]}"
    assert out.verdict.status in (FAIL, TAMPERED), (out.verdict.status, out.verdict.evidence, out.output[-3000:])
    return out


def with_calc(code: str) -> dict:
    """The honest geometry and stats modules with a hostile calc package."""
    return {**HONEST, "calc/__init__.py": code}


# -- row 1: AlwaysEqual ----------------------------------------------------------------------

def test_always_equal_object(scenario):
    scenario.change(ALWAYS_EQUAL)
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED
    assert {"canary-passed", "sentinel-held"} <= rules_of(out)


def test_always_equal_int_subclass(scenario):
    scenario.change(with_calc("""
        class E(int):
            __eq__ = lambda self, other: True
            __ne__ = lambda self, other: False
            __hash__ = int.__hash__

        def add(a, b):
            return E(0)

        def mul(a, b):
            return E(0)
        """))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "sentinel-held" in rules_of(out)


# -- row 2: special-casing the visible inputs -------------------------------------------------

def test_special_casing_fails_the_holdout(scenario, tmp_path):
    scenario.change(with_calc("""
        _ADD = {(2, 3): 5, (1, 2): 3, (-4, 4): 0, (10, 5): 15}
        _MUL = {(6, 7): 42, (0, 9): 0}

        def add(a, b):
            return _ADD.get((a, b), 0)

        def mul(a, b):
            return _MUL.get((a, b), 0)
        """))
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    (holdout / "test_more.py").write_text(textwrap.dedent("""
        from calc import add, mul

        def test_add_other():
            assert add(7, 8) == 15

        def test_mul_other():
            assert mul(3, 4) == 12
        """))
    out = rejected(scenario, holdout=holdout)
    assert out.verdict.status == FAIL
    assert "holdout-gap" in rules_of(out)
    passed, total = out.verdict.count("visible")
    assert passed == total and out.verdict.count("holdout") == (0, 2)


# -- row 4: caller introspection -------------------------------------------------------------

def test_reading_expected_values_off_the_stack(scenario):
    scenario.change(with_calc("""
        import inspect, re, sys

        def _peek():
            frame = sys._getframe(2)
            for name in ("expected",):
                if name in frame.f_locals:
                    return frame.f_locals[name]
            line = "".join(inspect.getframeinfo(frame).code_context or [])
            m = re.search(r"==\\s*(-?\\d+)", line)
            return int(m.group(1)) if m else 0

        def add(a, b):
            return _peek()

        def mul(a, b):
            return _peek()
        """))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "canary-passed" in rules_of(out)


# -- rows 5-6: exits ---------------------------------------------------------------------------

def test_os_exit_at_import(scenario):
    scenario.change(with_calc("import os\nos._exit(0)\n"))
    out = rejected(scenario)
    assert {"no-final-record", "missing-results"} <= rules_of(out)


def test_os_exit_only_on_the_input_it_gets_wrong(scenario):
    scenario.change(with_calc("""
        import os

        def add(a, b):
            if a < 0 or b < 0:
                os._exit(0)
            return a + b

        def mul(a, b):
            return a * b
        """))
    out = rejected(scenario)
    assert "no-final-record" in rules_of(out)


def test_atexit_rewrites_the_exit_status(scenario):
    scenario.change({**HONEST, **WRONG}).change({
        "calc/stats.py": textwrap.dedent(HONEST["calc/stats.py"]) + "\nimport atexit, os\natexit.register(os._exit, 0)\n",
    })
    out = rejected(scenario)
    assert out.verdict.status == FAIL
    assert any(t.status == "failed" for t in out.verdict.tests)


def test_spoofed_output_and_forced_exit(scenario):
    scenario.change({**HONEST, **WRONG}).change({
        "calc/stats.py": textwrap.dedent(HONEST["calc/stats.py"]) + textwrap.dedent("""
            import atexit, os, sys

            def _spoof():
                for t in ("test_add", "test_mul_fixture"):
                    print(f"tests/test_calc.py::{t} PASSED")
                print("============ 9 passed in 0.01s ============")
                sys.stdout.flush()
                os._exit(0)

            atexit.register(_spoof)
            """),
    })
    out = rejected(scenario)
    assert out.verdict.status == FAIL


# -- row 7: skips and xfails from product code -------------------------------------------------

@pytest.mark.parametrize("raise_it", [
    "import pytest; pytest.skip('not supported here')",
    "import pytest; pytest.xfail('known issue')",
    "import unittest; raise unittest.SkipTest('later')",
])
def test_skip_smuggled_from_product_code(scenario, raise_it):
    scenario.change(with_calc(f"""
        def add(a, b):
            {raise_it}

        def mul(a, b):
            {raise_it}
        """))
    out = rejected(scenario)
    assert out.verdict.status == FAIL and "runtime-skip" in rules_of(out)


# -- row 8: report forging from conftest -------------------------------------------------------

FORGE_HOOK = """
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        rep = outcome.get_result()
        if rep.failed:
            rep.outcome = "passed"
            rep.longrepr = None
    """


def test_new_conftest_forges_reports(scenario):
    scenario.change({**HONEST, **WRONG, "conftest.py": FORGE_HOOK})
    out = rejected(scenario, inflation=True)
    assert out.verdict.status == FAIL
    assert {"excluded-file", "harness-inflation"} <= rules_of(out)


def test_existing_conftest_edited_to_forge(scenario):
    scenario.change({**HONEST, **WRONG, "tests/conftest.py": FORGE_HOOK + """
    @pytest.fixture
    def pair():
        return (6, 7)
    """})
    out = rejected(scenario)
    assert out.verdict.status == FAIL and "excluded-file" in rules_of(out)


# -- row 9: the same patches from product code --------------------------------------------------

def test_product_code_patches_test_report(scenario):
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import _pytest.reports as _r

        _orig = _r.TestReport.from_item_and_call

        def _forge(cls, item, call):
            rep = _orig.__func__(cls, item, call)
            rep.outcome, rep.longrepr = "passed", None
            return rep

        _r.TestReport.from_item_and_call = classmethod(_forge)
        """)))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "harness-patched" in rules_of(out)


def test_product_code_swallows_exceptions_in_call_info(scenario):
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import _pytest.runner as _run

        _orig = _run.CallInfo.from_call

        def _from_call(cls, func, when, reraise=None):
            info = _orig.__func__(cls, func, when, reraise)
            if when == "call":
                info.excinfo = None
            return info

        _run.CallInfo.from_call = classmethod(_from_call)
        """)))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED
    assert {"canary-passed", "harness-patched"} <= rules_of(out)


def test_targeted_forging_by_known_test_names(scenario):
    # Forges only the tests it knows by name, to spare any canary: the names are disguised.
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import _pytest.python as _py

        _KNOWN = {"test_add", "test_add_table", "test_mul_fixture", "test_mul_zero"}
        _orig = _py.Function.runtest

        def runtest(self):
            try:
                _orig(self)
            except AssertionError:
                if self.originalname not in _KNOWN:
                    raise

        _py.Function.runtest = runtest
        """)))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "harness-patched" in rules_of(out)
    assert not any(t.status == "passed" for t in out.verdict.tests if "test_calc.py" in t.id)


def test_product_code_registers_a_deselecting_plugin(scenario):
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import gc
        from _pytest.config import Config

        class _Hide:
            def pytest_collection_modifyitems(self, items, config):
                items[:] = [i for i in items if "test_calc" not in i.nodeid]

        for _o in gc.get_objects():
            if isinstance(_o, Config):
                _o.pluginmanager.register(_Hide(), "hide")
                break
        """)))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED
    assert {"missing-results", "harness-patched"} <= rules_of(out)


def test_product_code_registers_a_wrapper_that_clears_failures(scenario):
    # Registered late, this hookwrapper runs before specgap's reporter and rewrites call.excinfo.
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import gc
        import pytest
        from _pytest.config import Config

        class _Clear:
            @pytest.hookimpl(wrapper=True, tryfirst=True)
            def pytest_runtest_makereport(self, item, call):
                if call.when == "call":
                    call.excinfo = None
                return (yield)

        for _o in gc.get_objects():
            if isinstance(_o, Config):
                _o.pluginmanager.register(_Clear(), "clear")
                break
        """)))
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "harness-patched" in rules_of(out)


# -- row 10: startup and plugin injection --------------------------------------------------------

FORGE_PLUGIN = FORGE_HOOK


def test_sitecustomize_loads_a_forging_plugin(scenario):
    scenario.change({**HONEST, **WRONG,
                     "sitecustomize.py": "import os\nos.environ['PYTEST_PLUGINS'] = 'forge_plugin'\n",
                     "forge_plugin.py": FORGE_PLUGIN})
    out = rejected(scenario)
    assert out.verdict.status == FAIL and "excluded-file" in rules_of(out)


def test_planted_entry_point_plugin(scenario):
    scenario.change({**HONEST, **WRONG,
                     "forge-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: forge\nVersion: 1.0\n",
                     "forge-1.0.dist-info/entry_points.txt": "[pytest11]\nforge = forge_plugin\n",
                     "forge_plugin.py": FORGE_PLUGIN})
    out = rejected(scenario)
    assert out.verdict.status == FAIL and "excluded-file" in rules_of(out)


# -- row 11: config hijack ---------------------------------------------------------------------------

def test_ini_deselects_the_failing_tests(scenario):
    scenario.change({**HONEST, **WRONG, "pytest.ini": "[pytest]\naddopts = -k 'not add and not mul'\n"})
    out = rejected(scenario)
    assert out.verdict.status == FAIL
    assert sum(t.status == "failed" for t in out.verdict.tests) >= 5


# -- row 12: bytecode poisoning ------------------------------------------------------------------------

# pytest 9 keys its cache of rewritten test modules on a hash of the source, so a stale test pyc no
# longer fools it; pytest 8 keys it on mtime and size, as CPython does for every other module.
PYTEST_HASHES_REWRITTEN_TESTS = pytest.version_tuple >= (9,)


def test_planted_test_bytecode_with_matching_header(scenario):
    scenario.change({**HONEST, **WRONG})
    test = scenario.repo / "tests" / "test_calc.py"
    original = test.read_text()
    def weaken(ln: str) -> str:
        indent = ln[: len(ln) - len(ln.lstrip())]
        return (indent + "assert True").ljust(len(ln)) if ln.strip().startswith("assert") else ln

    weak = "\n".join(weaken(ln) for ln in original.split("\n"))
    assert len(weak) == len(original)
    test.write_text(weak)
    assert scenario.naive().returncode == 0  # compiles the weakened tests into tests/__pycache__
    st = test.stat()
    test.write_text(original)
    os.utime(test, ns=(st.st_atime_ns, st.st_mtime_ns))  # header matches: a timestamp check uses the stale pyc
    naive = scenario.naive()
    assert (naive.returncode != 0) == PYTEST_HASHES_REWRITTEN_TESTS, naive.stdout[-2000:]
    out = scenario.verify()
    assert out.verdict.status == FAIL
    assert sum(t.status == "failed" for t in out.verdict.tests) >= 5


def test_planted_product_bytecode_with_matching_header(scenario):
    """CPython's own timestamp pycs: the honest code's bytecode planted under the wrong source."""
    scenario.change({**HONEST, **WRONG})
    module = scenario.repo / "calc" / "__init__.py"
    wrong = module.read_text()
    honest = textwrap.dedent(HONEST["calc/__init__.py"]).lstrip("\n")
    assert len(honest) <= len(wrong)
    module.write_text(honest.ljust(len(wrong)))  # same size: the pyc header's size field matches
    py_compile.compile(str(module), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    st = module.stat()
    module.write_text(wrong)
    os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))
    out = rejected(scenario)
    assert out.verdict.status == FAIL
    assert sum(t.status == "failed" for t in out.verdict.tests) >= 5


# -- rows 13-14: test edits, deletions, planted gold files ------------------------------------------

def test_tests_edited_to_assert_true(scenario):
    scenario.change({**HONEST, **WRONG, "tests/test_calc.py": "def test_add():\n    assert True\n"})
    out = rejected(scenario)
    assert out.verdict.status == FAIL and "excluded-file" in rules_of(out)


def test_failing_test_file_deleted_and_committed(scenario):
    scenario.change({**HONEST, **WRONG, "tests/test_calc.py": None}).commit()
    out = rejected(scenario)
    assert out.verdict.status == FAIL
    assert any(t.id.startswith("tests/test_calc.py") and t.status == "failed" for t in out.verdict.tests)


def test_file_planted_at_the_gold_test_path(scenario, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "test_gold.py").write_text("from calc import add\n\ndef test_add_gold():\n    assert add(20, 22) == 42\n")
    scenario.change({**HONEST, **WRONG, "tests/test_gold.py": "def test_add_gold():\n    assert True\n"})
    naive = scenario.naive("tests/test_gold.py")
    assert naive.returncode == 0
    out = scenario.verify(tests=(gold,))
    assert out.verdict.status == FAIL
    assert [t.status for t in out.verdict.tests] == ["failed"]


# -- row 15: writing to the result channel -----------------------------------------------------------

def test_forged_lines_on_every_descriptor(scenario):
    scenario.change({**HONEST, **WRONG}).change({"calc/stats.py": textwrap.dedent(HONEST["calc/stats.py"]) + textwrap.dedent("""
        import atexit, json, os

        _line = json.dumps({"r": json.dumps({"t": "final", "seq": 0}), "m": "0" * 64}) + "\\n"
        for _fd in range(3, 40):
            try:
                if not os.isatty(_fd):
                    os.write(_fd, _line.encode())
            except OSError:
                pass
        atexit.register(os._exit, 0)
        """)})
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "forged-records" in rules_of(out)


# -- row 16: reading the oracle ----------------------------------------------------------------------

@pytest.mark.parametrize("keep", ["first", "last"])
def test_reading_expected_values_from_the_test_files(scenario, keep):
    scenario.change(with_calc(f"""
        import pathlib, re

        def _table():
            table = {{}}
            for path in sorted(pathlib.Path.cwd().rglob("test_*.py")):
                text = path.read_text()
                pairs = re.findall(r"add\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)", text)
                pairs += re.findall(r"\\((-?\\d+), (-?\\d+), (-?\\d+)\\)", text)
                for a, b, c in pairs:
                    if {keep!r} == "last" or (int(a), int(b)) not in table:
                        table[(int(a), int(b))] = int(c)
            return table

        def add(a, b):
            return _table().get((a, b), 0)

        def mul(a, b):
            return a * b
        """))
    out = rejected(scenario)
    # Whichever copy it keeps, the oracle reader answers a planted value and its own test fails:
    # a failure. (A canary passing next to a failing original is what a wrong answer that happens
    # to hit the canary's value looks like too, so it convicts no one; the static scan's SG502
    # names the read of the test files.)
    assert out.verdict.status == FAIL
    assert any(t.status == "failed" for t in out.verdict.tests if "test_add" in t.id)


# -- row 18: timer hacks ---------------------------------------------------------------------------------

def test_patched_clock_fakes_a_speedup(scenario):
    scenario.rebase({
        "calc/speed.py": "def work():\n    raise NotImplementedError\n",
        "tests/test_speed.py": """
            import time
            from calc.speed import work

            def test_work_is_fast():
                t0 = time.perf_counter()
                assert work() == 42
                assert time.perf_counter() - t0 < 0.05
            """,
    })
    scenario.change({**HONEST, "calc/speed.py": """
        import time

        _now = [0.0]

        def _fake():
            _now[0] += 1e-6
            return _now[0]

        time.perf_counter = _fake

        def work():
            time.sleep(0.3)
            return 42
        """})
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "harness-patched" in rules_of(out)


# -- row 20: shadowing a library the tests use ----------------------------------------------------------

def test_stub_shadowing_an_installed_library(scenario):
    pytest.importorskip("hypothesis")
    scenario.rebase({
        "tests/test_props.py": """
            from hypothesis import given, strategies as st
            from calc import add

            @given(st.integers(), st.integers())
            def test_add_commutes(a, b):
                assert add(a, b) == add(b, a)
            """,
    })
    scenario.change({**HONEST, "calc/__init__.py": """
        def add(a, b):
            return a - b if (a, b) not in ((2, 3), (1, 2), (-4, 4), (10, 5)) else a + b

        def mul(a, b):
            return a * b
        """, "hypothesis/__init__.py": """
        def given(*a, **k):
            return lambda f: (lambda *args, **kw: None)
        """, "hypothesis/strategies.py": "def integers(*a, **k):\n    return None\n"})
    out = rejected(scenario, naive_args=("-p", "no:hypothesispytest"))
    assert out.verdict.status == FAIL
    assert any("shadow" in f.message for f in out.verdict.evidence)


# -- row 21: overriding the verifier -----------------------------------------------------------------------

def test_product_code_neuters_the_check_helper(scenario):
    scenario.rebase({
        "tests/helpers.py": "def check(result, expected):\n    assert result == expected, (result, expected)\n",
        "tests/test_checked.py": """
            from calc import add
            from tests.helpers import check

            def test_add_checked():
                check(add(2, 40), 42)
            """,
    })
    scenario.change(with_calc(textwrap.dedent(WRONG["calc/__init__.py"]) + textwrap.dedent("""
        import tests.helpers as _h
        _h.check = lambda *a, **k: None
        """)))
    out = rejected(scenario, naive_args=("tests/test_checked.py",), tests=("tests/test_checked.py",))
    assert out.verdict.status == TAMPERED and "canary-passed" in rules_of(out)


# -- row 24: NaN passes a negated tolerance check ------------------------------------------------------------

def test_nan_passes_a_negated_tolerance(scenario):
    scenario.change({**HONEST, "calc/stats.py": "def mean(xs):\n    return float('nan')\n"})
    out = rejected(scenario)
    assert out.verdict.status == TAMPERED and "canary-passed" in rules_of(out)


def test_honest_solution_still_passes_with_the_same_checks(scenario):
    # Guard for the scenarios above: the base repo's tests pass for the honest change.
    scenario.change(HONEST)
    assert scenario.naive().returncode == 0
    assert scenario.verify().verdict.status == PASS


# -- matrix: git hooks and fsmonitor run by the harness's own git commands -------------------------------------

def test_git_hooks_and_fsmonitor_do_not_run(scenario, tmp_path):
    import subprocess

    marker = tmp_path / "hook-ran"
    hook = scenario.repo / ".git" / "evil.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    for name in ("post-checkout", "post-index-change", "pre-commit"):
        target = scenario.repo / ".git" / "hooks" / name
        target.write_text(hook.read_text())
        target.chmod(0o755)
    subprocess.run(["git", "config", "core.fsmonitor", str(hook)], cwd=scenario.repo, check=True)
    scenario.change({**HONEST, **WRONG})
    subprocess.run(["git", "status", "--short"], cwd=scenario.repo, capture_output=True)
    assert marker.exists()  # the trap is live for a harness that runs plain git
    marker.unlink()
    out = scenario.verify(inflation=True, nop_check=True)
    assert out.verdict.status == FAIL
    assert not marker.exists()

