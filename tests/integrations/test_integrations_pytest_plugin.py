"""specgap.pytest_plugin under pytester: each tampering technique seen from inside the run."""

import json
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

FAILING = "def test_ok():\n    assert 1 == 1\n\n\ndef test_bad():\n    assert 1 == 2\n"


def run(pytester: pytest.Pytester, conftest: str = "", *args: str, subprocess: bool = False) -> tuple[pytest.RunResult, list[dict]]:
    """Run the suite with the plugin; in a subprocess where the conftest would harm this process."""
    if conftest:
        pytester.makeconftest(conftest)
    pytester.makepyfile(test_it=FAILING)
    out = pytester.path / "signals.json"
    go = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
    result = go("-p", "specgap.pytest_plugin", "--specgap-json", str(out), *args)
    signals = json.loads(out.read_text())["signals"] if out.exists() else []
    return result, signals


def names(signals: list[dict]) -> set[str]:
    return {s["name"] for s in signals}


def test_honest_run_has_no_signals(pytester: pytest.Pytester):
    result, signals = run(pytester)
    assert signals == [] and result.ret == 1
    result.stdout.fnmatch_lines(["*specgap: no tampering seen from inside this run*"])


def test_forged_reports_from_a_conftest_wrapper(pytester: pytest.Pytester):
    conftest = (
        "import pytest\n\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    rep = outcome.get_result()\n"
        "    if rep.when == 'call':\n"
        "        rep.outcome = 'passed'\n"
        "        rep.longrepr = None\n"
    )
    result, signals = run(pytester, conftest)
    assert result.ret == 0  # the forgery worked...
    assert "outcome-patched" in names(signals)  # ...and was seen
    hooks = [s for s in signals if s["name"] == "report-hook"]
    assert hooks and hooks[0]["severity"] == "low" and "conftest.py:" in hooks[0]["where"]
    result.stdout.fnmatch_lines(["*specgap: tampering signals*", "HIGH*outcome-patched*test_bad*"])


def test_report_rewritten_while_logged(pytester: pytest.Pytester):
    conftest = "def pytest_runtest_logreport(report):\n    if report.failed:\n        report.outcome = 'passed'\n"
    _, signals = run(pytester, conftest)
    assert "report-rewritten" in names(signals)


def test_exit_status_rewritten(pytester: pytest.Pytester):
    conftest = "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n"
    result, signals = run(pytester, conftest)
    assert result.ret == 0 and "exit-status-rewritten" in names(signals)


def test_early_exit(pytester: pytest.Pytester):
    conftest = "import os\n\ndef pytest_runtest_call(item):\n    if 'bad' in item.name:\n        os._exit(0)\n"
    result, signals = run(pytester, conftest, subprocess=True)
    assert result.ret == 0 and "early-exit" in names(signals)
    assert "os._exit(0) called at" in result.stderr.str()


def test_pytest_internals_patched(pytester: pytest.Pytester):
    conftest = (
        "from _pytest.reports import TestReport\n"
        "_orig = TestReport.from_item_and_call\n\n"
        "def forged(item, call):\n"
        "    rep = _orig(item, call)\n"
        "    rep.outcome = 'passed'\n"
        "    return rep\n\n"
        "TestReport.from_item_and_call = staticmethod(forged)\n"
    )
    _, signals = run(pytester, conftest, subprocess=True)
    patched = [s for s in signals if s["name"] == "pytest-patched"]
    assert patched and "from_item_and_call" in patched[0]["message"] and "conftest.py" in patched[0]["where"]


def test_tests_dropped_deselected_and_skipped_by_conftest(pytester: pytest.Pytester):
    dropped = "def pytest_collection_modifyitems(items):\n    items[:] = [i for i in items if 'bad' not in i.name]\n"
    assert "tests-dropped" in names(run(pytester, dropped)[1])


def test_tests_deselected_by_conftest(pytester: pytest.Pytester):
    conftest = (
        "def pytest_collection_modifyitems(config, items):\n"
        "    bad = [i for i in items if 'bad' in i.name]\n"
        "    config.hook.pytest_deselected(items=bad)\n"
        "    items[:] = [i for i in items if i not in bad]\n"
    )
    _, signals = run(pytester, conftest)
    assert "tests-deselected" in names(signals) and "tests-dropped" not in names(signals)


def test_skips_added_by_conftest(pytester: pytest.Pytester):
    conftest = (
        "import pytest\n\n"
        "def pytest_collection_modifyitems(items):\n"
        "    for i in items:\n"
        "        if 'bad' in i.name:\n"
        "            i.add_marker(pytest.mark.skip(reason='flaky'))\n"
    )
    assert "skip-added" in names(run(pytester, conftest)[1])
    runtime = "import pytest\n\ndef pytest_runtest_setup(item):\n    if 'bad' in item.name:\n        pytest.skip('slow')\n"
    assert "skipped-by-conftest" in names(run(pytester, runtime)[1])


def test_command_line_deselection_is_not_a_signal(pytester: pytest.Pytester):
    result, signals = run(pytester, "", "-k", "not bad")
    assert signals == [] and result.ret == 0


def test_strict_fails_the_run(pytester: pytest.Pytester):
    conftest = "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n"
    result, _ = run(pytester, conftest, "--specgap-strict")
    assert result.ret == 1


def test_never_loaded_unless_asked(pytester: pytest.Pytester):
    pytester.makepyfile(test_it=FAILING)
    result = pytester.runpytest_subprocess()
    assert "specgap" not in result.stdout.str()
    assert not [ep for ep in entry_points(group="pytest11") if ep.value.startswith("specgap")]
