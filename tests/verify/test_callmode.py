"""`--call-tests`: the function runs in a worker, the comparison in the parent."""

from __future__ import annotations

import json
import textwrap

import pytest
from .conftest import make_repo, write

from specgap.verify import sandbox
from specgap.verify.callmode import same, verify_calls
from specgap.verify.verdict import ERROR, FAIL, PASS

CASES = {
    "module": "solution",
    "function": "binom",
    "cases": [
        {"name": "small", "args": [5, 2], "expected": 10},
        {"name": "edge", "args": [8, 4], "expected": 70},
        {"name": "zero", "args": [3, 0], "expected": 1},
    ],
}


@pytest.fixture
def task(tmp_path):
    repo = tmp_path / "repo"
    make_repo(repo, {"solution.py": "def binom(n, k):\n    raise NotImplementedError\n"})
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(CASES))
    return repo, spec


def run(repo, spec, **kw):
    return verify_calls(repo, spec, base=None, python="", sandbox_level=kw.pop("level", "none"),
                        limits=sandbox.Limits(wall=60))


def solve(repo, code):
    write(repo, {"solution.py": code})


def test_honest_function_passes(task):
    repo, spec = task
    solve(repo, """
        import math, sys

        def binom(n, k):
            return math.comb(n, k)

        if __name__ == "__main__":
            sys.exit(print(binom(5, 2)))
        """)
    out = run(repo, spec)
    assert out.verdict.status == PASS, out.verdict
    assert [t.status for t in out.verdict.tests] == ["passed"] * 3


@pytest.mark.parametrize("code", [
    # row 1: AlwaysEqual (not JSON)
    """
    class Any:
        def __eq__(self, o): return True
    def binom(n, k): return Any()
    """,
    # row 1: int subclass: JSON carries the real value, 0
    """
    class E(int):
        __eq__ = lambda s, o: True
    def binom(n, k): return E(0)
    """,
    # row 4: frame walking finds no expected value in the worker
    """
    import sys
    def binom(n, k):
        f = sys._getframe(1)
        return f.f_locals.get("expected", 0)
    """,
    # rows 8/9: patching pytest is irrelevant here
    """
    import _pytest.reports as r
    r.TestReport.outcome = "passed"
    def binom(n, k): return 0
    """,
    # row 5: exit at import
    "import os\nos._exit(0)\n",
    # row 5: sys.exit on call
    "import sys\ndef binom(n, k): sys.exit(0)\n",
    # row 24: NaN
    "def binom(n, k): return float('nan')\n",
])
def test_in_process_tricks_fail(task, code):
    repo, spec = task
    solve(repo, code)
    assert run(repo, spec).verdict.status == FAIL


def test_call_count_toggle_is_caught(task):
    repo, spec = task
    solve(repo, """
        def binom(n, k):
            binom.n = getattr(binom, "n", 0) + 1
            return {(5, 2): 10, (8, 4): 70, (3, 0): 1}[(n, k)] if binom.n % 2 else -1
        """)
    out = run(repo, spec)
    assert out.verdict.status == FAIL
    assert any(f.name == "state-dependent-result" for f in out.verdict.evidence)


def test_checker_script_runs_in_the_parent(task, tmp_path):
    repo, spec = task
    (tmp_path / "checker.py").write_text("def check(case, result):\n    return isinstance(result, int) and result > 0\n")
    spec.write_text(json.dumps({**CASES, "check": "checker.py"}))
    solve(repo, "import math\ndef binom(n, k):\n    return math.comb(n, k)\n")
    assert run(repo, spec).verdict.status == PASS
    solve(repo, "def binom(n, k):\n    return -1\n")
    assert run(repo, spec).verdict.status == FAIL


def test_float_tolerance_and_nan():
    assert same(0.1 + 0.2, 0.3, 1e-9)
    assert not same(float("nan"), 0.3, 1e-9)
    assert not same(True, 1, 0)
    assert same({"a": [1, 2.0000000001]}, {"a": [1, 2.0]}, 1e-6)


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"cases": []}', "non-empty list"),
    ('{"cases": [{"args": [1]}]}', "expected"),
])
def test_bad_call_tests_file_is_an_error(task, content, message):
    repo, spec = task
    spec.write_text(content)
    out = run(repo, spec)
    assert out.verdict.status == ERROR and message in out.verdict.message


def test_hanging_function_is_an_error(task):
    repo, spec = task
    solve(repo, "def binom(n, k):\n    while True:\n        pass\n")
    out = verify_calls(repo, spec, base=None, python="", sandbox_level="none", limits=sandbox.Limits(wall=3, cpu=10))
    assert out.verdict.status == ERROR and "wall-time" in out.verdict.message


def test_worker_cannot_read_expected_values_in_bwrap(task, tmp_path):
    if sandbox.choose("auto")[0] != "bwrap":
        pytest.skip("bubblewrap is not usable on this machine")
    repo, spec = task
    # The oracle sits next to the repo; in the sandbox the worker sees only the clean room.
    solve(repo, textwrap.dedent(f"""
        import json
        def binom(n, k):
            cases = json.load(open({str(spec)!r}))["cases"]
            return next(c["expected"] for c in cases if c["args"] == [n, k])
        """))
    assert run(repo, spec, level="none").verdict.status == PASS  # without a sandbox the oracle is readable
    out = run(repo, spec, level="bwrap")
    assert out.verdict.status == FAIL and out.isolation == "bwrap"
