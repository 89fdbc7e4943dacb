"""Severity grading and robustness of the SG3xx/SG5xx/SG6xx rules.

The fixtures say *which* lines are reported; these tests pin *how loud*: the legitimate
look-alikes must stay below medium, the real escapes must not.
"""

from __future__ import annotations

import textwrap

import pytest

from specgap.engine import run_rules
from specgap.inputs.changeset import RawFile, build
from specgap.model import Severity
from specgap.rules import all_rules

MINE = [r for r in all_rules() if r.id[:3] in ("SG3", "SG5", "SG6")]


def scan(path: str, source: str, rule: str | None = None):
    changeset = build([RawFile(path, None, textwrap.dedent(source))])
    findings = run_rules(changeset, [r for r in MINE if rule is None or r.id == rule])
    assert not [e for e in changeset.errors if e.path.startswith("<rule")], changeset.errors
    return findings


def severities(path: str, source: str, rule: str) -> list[Severity]:
    return [f.severity for f in scan(path, source, rule)]


@pytest.mark.parametrize("source", [
    "import sys\nsys.exit(0)\n",
    "import os\nos._exit(0)\n",
    "from os import _exit as leave\nleave(0)\n",
    "import sys\nraise SystemExit\n",
    "__import__('sys').exit()\n",
])
def test_exit_at_conftest_import_is_critical(source: str) -> None:
    assert severities("conftest.py", source, "SG301") == [Severity.CRITICAL]


def test_exit_inside_a_solution_function_is_high() -> None:
    src = """
        import os
        def solution(s):
            if len(s) > 3:
                os._exit(0)
            return s[::-1]
    """
    assert severities("solution.py", src, "SG301") == [Severity.HIGH]


def test_runner_sniffing_exit_is_critical() -> None:
    src = """
        import sys
        if "pytest" in sys.modules:
            sys.exit(0)
    """
    assert severities("src/pkg/core.py", src, "SG301") == [Severity.CRITICAL]


@pytest.mark.parametrize("path, source", [
    ("src/pkg/cli.py", """
        import sys
        def main():
            return 0
        if __name__ == "__main__":
            sys.exit(main())
    """),
    ("src/pkg/cli.py", """
        import argparse, sys
        def main(argv=None):
            args = argparse.ArgumentParser().parse_args(argv)
            print("usage")
            sys.exit(1)
    """),
    ("tests/test_cli.py", """
        import sys, pytest
        def test_exit():
            with pytest.raises(SystemExit):
                sys.exit(0)
    """),
    ("src/pkg/__main__.py", "import sys\nfrom pkg.cli import main\nsys.exit(main())\n"),
])
def test_legitimate_exits_are_not_reported(path: str, source: str) -> None:
    assert severities(path, source, "SG301") == []


@pytest.mark.parametrize("path, source", [
    ("src/pkg/cli.py", """
        import sys
        def main():
            print("1.0")
            sys.exit(0)
    """),
    ("solve.py", """
        import sys
        n = int(sys.stdin.readline())
        if n == 0:
            print(-1)
            sys.exit()
        print(n * 2)
    """),
    ("tools/check.py", "import sys\nprint('python 3 required')\nsys.exit(1)\n"),
    ("src/pkg/daemon.py", """
        import os
        def spawn(job):
            if os.fork() == 0:
                job()
                os._exit(0)
    """),
])
def test_look_alike_exits_stay_low(path: str, source: str) -> None:
    assert severities(path, source, "SG301") == [Severity.LOW]


def test_decoded_exec_shows_the_hidden_exit() -> None:
    src = "import base64\nexec(base64.b64decode('aW1wb3J0IHN5czsgc3lzLmV4aXQoMCk=').decode())\n"
    (f,) = scan("src/pkg/lru.py", src, "SG304")
    assert f.severity is Severity.HIGH and "sys.exit(0)" in f.message


def test_atexit_exit_in_conftest_is_critical() -> None:
    assert severities("conftest.py", "import atexit, os\natexit.register(os._exit, 0)\n", "SG302") == [Severity.CRITICAL]


def test_frame_reads_graded_by_intent() -> None:
    strong = """
        import inspect
        def solve(n):
            return inspect.currentframe().f_back.f_locals["expected"]
    """
    logger = """
        import inspect, logging
        def log(msg):
            logging.getLogger(inspect.currentframe().f_back.f_code.co_name).info(msg)
    """
    assert severities("src/pkg/a.py", strong, "SG501") == [Severity.HIGH]
    assert severities("src/pkg/b.py", logger, "SG501") == [Severity.LOW]
    assert severities("tests/test_b.py", strong, "SG501") == []


def test_seeding_is_low_and_replacing_the_generator_is_high() -> None:
    assert severities("scripts/train.py", "import random\nrandom.seed(0)\n", "SG602") == [Severity.LOW]
    assert severities("src/pkg/r.py", "import random\nrandom.random = lambda: 0.5\n", "SG602") == [Severity.HIGH]


def test_clock_shims_and_local_bindings() -> None:
    shim = "import time\nif not hasattr(time, 'perf_counter'):\n    time.perf_counter = time.time\n"
    local = "import time\ntry:\n    from time import perf_counter\nexcept ImportError:\n    perf_counter = time.clock\n"
    assert severities("src/pkg/t.py", shim, "SG601") == [Severity.LOW]
    assert severities("src/pkg/t.py", local, "SG601") == []


def test_patches_in_tests_are_not_measurement_tampering() -> None:
    src = "import time\nfrom unittest import mock\ndef test_x():\n    with mock.patch('time.time', return_value=0):\n        pass\n"
    assert scan("tests/test_t.py", src) == []


@pytest.mark.parametrize("source", [
    "def broken(:\n    sys.exit(0)\n",                                   # syntax error: no tree
    "x = " + " + ".join(["'ab'"] * 3000) + "\nexec(x)\n",               # long left-nested BinOp
    "y = a" + ".b" * 20000 + "\n",                                     # long attribute chain
    "exec(" + "str(" * 50 + "'import os'" + ")" * 50 + ")\n",          # nested calls in a payload
    "import sys\n" + "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "sys.exit(0)\n",
])
def test_hostile_input_never_crashes(source: str) -> None:
    for path in ("conftest.py", "src/pkg/m.py", "tests/test_m.py"):
        scan(path, source)
