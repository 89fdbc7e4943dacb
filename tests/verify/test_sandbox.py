"""The bubblewrap path: skipped with a reason where bwrap is not usable (CI installs it)."""

from __future__ import annotations

import os
import secrets

import pytest
from .conftest import ALWAYS_EQUAL, HONEST, rules_of

from specgap.verify import sandbox
from specgap.verify.verdict import PASS, TAMPERED

needs_bwrap = pytest.mark.skipif(
    sandbox.choose("auto")[0] != "bwrap", reason="bubblewrap (bwrap) is not installed or cannot create namespaces here"
)

# Trusted base tests that check the sandbox itself: they pass only if its properties hold.
SANDBOX_TESTS = {
    "tests/test_sandbox_props.py": """
        import os, socket, pathlib
        import pytest

        def test_unprivileged_uid():
            assert os.getuid() == 65534

        def test_no_network():
            with pytest.raises(OSError):
                socket.create_connection(("192.0.2.1", 80), timeout=2)

        def test_trusted_tests_are_read_only():
            with pytest.raises(OSError):
                pathlib.Path("tests/conftest.py").write_text("x = 1\\n")
            with pytest.raises(OSError):
                pathlib.Path("tests/test_sandbox_props.py").unlink()

        def test_suite_can_write_beside_its_sources():
            # Suites write output files into the tree: the run has its own writable copy.
            out = pathlib.Path("tests/output/result.txt")
            out.parent.mkdir(exist_ok=True)
            out.write_text("ok")
            assert out.read_text() == "ok"

        def test_tmp_is_writable(tmp_path):
            (tmp_path / "f").write_text("ok")
            assert (tmp_path / "f").read_text() == "ok"

        def test_own_pid_namespace():
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
            assert len(pids) < 20
        """,
}


@needs_bwrap
def test_honest_solution_passes_in_bwrap_with_its_properties(scenario):
    scenario.rebase(SANDBOX_TESTS).change(HONEST)
    out = scenario.verify(isolation="bwrap")
    assert out.isolation == "bwrap"
    assert out.verdict.status == PASS, [(t.id, t.detail) for t in out.verdict.tests if t.status != "passed"]


@needs_bwrap
def test_always_equal_is_tampered_in_bwrap(scenario):
    scenario.change(ALWAYS_EQUAL)
    out = scenario.verify(isolation="bwrap")
    assert out.verdict.status == TAMPERED and "canary-passed" in rules_of(out)


def _running(arg: str) -> bool:
    for pid in os.listdir("/proc"):
        try:
            if arg.encode() in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0"):
                return True
        except OSError:
            continue
    return False


@needs_bwrap
def test_daemon_cannot_outlive_the_run(scenario):
    # A double-forked, setsid'd daemon escapes the process group; the PID namespace still kills it.
    arg = f"{secrets.randbelow(10**6) + 1000}.5"
    scenario.change({**HONEST, "calc/stats.py": f"""
        import os

        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", {arg!r}])
            os._exit(0)

        def mean(xs):
            return sum(xs) / len(xs)
        """})
    out = scenario.verify(isolation="bwrap")
    assert out.verdict.status == PASS
    assert not _running(arg)


def test_unshare_level_runs_and_says_so(scenario):
    if not sandbox._works("unshare"):
        pytest.skip("unshare cannot create network and PID namespaces here")
    scenario.change(HONEST)
    out = scenario.verify(isolation="unshare")
    assert out.isolation == "unshare" and out.verdict.status == PASS


@needs_bwrap
def test_a_conftest_written_during_the_run_is_an_intruder(scenario):
    # The room is writable, so code under test could drop a conftest into a directory pytest has
    # not collected yet; only the base revision's conftests are trusted.
    scenario.rebase({"tests/zz/test_late.py": "from calc import add\n\ndef test_late():\n    assert add(1, 1) == 2\n"})
    scenario.change({**ALWAYS_EQUAL, "calc/__init__.py": """
        import pathlib

        pathlib.Path("tests/zz/conftest.py").write_text(
            "import pytest\\n"
            "@pytest.hookimpl(hookwrapper=True)\\n"
            "def pytest_runtest_makereport(item, call):\\n"
            "    out = yield\\n"
            "    out.get_result().outcome = 'passed'\\n")

        def add(a, b):
            return a - b

        def mul(a, b):
            return a + b
        """})
    out = scenario.verify(isolation="bwrap")
    assert out.verdict.status == TAMPERED, (out.verdict.evidence, out.output[-2000:])
    assert "harness-patched" in rules_of(out)


@pytest.mark.parametrize("level", [pytest.param("bwrap", marks=needs_bwrap), "none"])
def test_the_runs_cpu_time_is_counted_at_every_isolation_level(scenario, level):
    # bwrap never reaps its PID-namespace child, so the child's CPU time is not in our rusage: a
    # run that burns CPU must still report it.
    scenario.rebase({"tests/test_busy.py": """
        import time

        def test_busy():
            start = time.process_time()
            while time.process_time() - start < 0.5:
                pass
        """})
    out = scenario.change(HONEST).verify(isolation=level)
    assert out.verdict.status == PASS, out.output
    assert out.timing["run_cpu"] >= 0.5
