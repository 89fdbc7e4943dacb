"""An opt-in pytest plugin that reports the tampering it can see from inside the test run.

    pytest -p specgap.pytest_plugin [--specgap-json signals.json] [--specgap-strict]

It is never loaded through an entry point: a plugin that ran everywhere would be one more thing
for a conftest to fight with, and loaded with `-p` it is registered before any conftest.py, so
it sees what they do. Signals (each with the file and line that caused it, when known):

* outcome-patched (high): a test raised, yet its report says passed or skipped;
* report-rewritten (high): a report's outcome changed after pytest made it;
* exit-status-rewritten (high): tests failed, yet the session's exit status is 0;
* pytest-patched (high): a pytest internal that makes or records results was replaced;
* early-exit (high): `os._exit` called while tests run (results after it are lost);
* tests-dropped (high): collected tests removed without being reported as deselected;
* tests-deselected (medium) / skip-added (medium) / skipped-by-conftest (medium): tests taken
  out of the run by a conftest's code rather than by the command line;
* report-hook (low): a conftest.py implements a hook that makes, changes or reports results.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from _pytest import runner
from _pytest.reports import TestReport

_REPORT_HOOKS = ("pytest_runtest_makereport", "pytest_report_teststatus", "pytest_runtest_logreport",
                 "pytest_runtest_protocol", "pytest_runtest_call", "pytest_pyfunc_call", "pytest_sessionfinish",
                 "pytest_collection_modifyitems", "pytest_deselected", "pytest_terminal_summary")
_SKIP_MARKS = frozenset({"skip", "skipif", "xfail"})
# What makes and records results; captured when this module is imported (before any conftest).
_INTERNALS = {"_pytest.runner.call_and_report": (runner, "call_and_report"),
              "_pytest.runner.CallInfo.from_call": (runner.CallInfo, "from_call"),
              "_pytest.reports.TestReport.from_item_and_call": (TestReport, "from_item_and_call")}
_ORIGINAL = {name: getattr(owner, attr) for name, (owner, attr) in _INTERNALS.items()}


@dataclass
class Signal:
    name: str
    severity: str
    message: str
    where: str = ""


def _is_conftest(obj: Any) -> str | None:
    path = getattr(obj, "__file__", None) or getattr(getattr(obj, "__code__", None), "co_filename", None)
    return path if path and Path(path).name == "conftest.py" else None


def _code_location(fn: Any) -> str:
    code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__func__", None), "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)


def _caller_conftest() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        if Path(frame.f_code.co_filename).name == "conftest.py":
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


class Watch:
    """The plugin's state for one run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.signals: list[Signal] = []
        self.made: dict[tuple[str, str], str] = {}
        self.deselected: set[str] = set()
        self._real_exit = os._exit
        os._exit = self._exit  # type: ignore[assignment]

    def add(self, name: str, severity: str, message: str, where: str = "") -> None:
        self.signals.append(Signal(name, severity, message, where))

    def _exit(self, status: int) -> None:
        where = f"{sys._getframe(1).f_code.co_filename}:{sys._getframe(1).f_lineno}"
        self.add("early-exit", "high", f"os._exit({status}) called during the test run", where)
        self._write_json()
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is not None:  # the message must reach the real stderr before the process is gone
            capman.suspend_global_capture(in_=False)
        sys.stderr.write(f"\nspecgap: os._exit({status}) called at {where}: the run ends before its results are recorded\n")
        sys.stderr.flush()
        self._real_exit(status)

    # -- collection --------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> Iterator[None]:
        before = list(items)
        marks = {item.nodeid: {m.name for m in item.iter_markers()} for item in before}
        result = yield
        kept = {item.nodeid for item in items}
        dropped = [i.nodeid for i in before if i.nodeid not in kept and i.nodeid not in self.deselected]
        if dropped:
            self.add("tests-dropped", "high", f"{len(dropped)} collected test(s) removed without being deselected "
                                              f"(e.g. {dropped[0]})")
        for item in items:
            added = ({m.name for m in item.iter_markers()} - marks.get(item.nodeid, set())) & _SKIP_MARKS
            if added:
                self.add("skip-added", "medium", f"{item.nodeid} was marked {', '.join(sorted(added))} by a collection hook")
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected.update(i.nodeid for i in items)
        where = _caller_conftest()
        if where:
            self.add("tests-deselected", "medium", f"{len(items)} test(s) deselected by conftest code "
                                                   f"(e.g. {items[0].nodeid})" if items else "deselected by conftest", where)

    # -- results -------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        report = yield
        raised = call.excinfo is not None and not call.excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception))
        if raised and report.outcome != "failed" and not hasattr(report, "wasxfail"):
            self.add("outcome-patched", "high", f"{item.nodeid} ({call.when}) raised {call.excinfo.typename} "
                                                f"but is reported {report.outcome}")
        if report.skipped and isinstance(report.longrepr, tuple) and Path(str(report.longrepr[0])).name == "conftest.py":
            self.add("skipped-by-conftest", "medium", f"{item.nodeid} skipped from conftest code: {report.longrepr[2]}",
                     f"{report.longrepr[0]}:{report.longrepr[1]}")
        self.made[(report.nodeid, report.when)] = report.outcome
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        made = self.made.get((report.nodeid, report.when))
        if made is not None and made != report.outcome:
            self.add("report-rewritten", "high", f"{report.nodeid} ({report.when}) was made {made} "
                                                 f"and logged {report.outcome}")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._inspect_hooks()
        if session.testsfailed and session.exitstatus == 0:
            self.add("exit-status-rewritten", "high", f"{session.testsfailed} test(s) failed but the exit status is 0")
        for name, (owner, attr) in _INTERNALS.items():
            now = getattr(owner, attr)
            if now is not _ORIGINAL[name] and getattr(now, "__func__", now) is not getattr(_ORIGINAL[name], "__func__", _ORIGINAL[name]):
                self.add("pytest-patched", "high", f"{name} was replaced", _code_location(now))
        self._write_json()
        if self.config.getoption("specgap_strict") and any(s.severity == "high" for s in self.signals):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _inspect_hooks(self) -> None:
        for hook in _REPORT_HOOKS:
            for impl in getattr(self.config.hook, hook).get_hookimpls():
                path = _is_conftest(impl.plugin)
                if path:
                    self.add("report-hook", "low", f"conftest.py implements {hook}", _code_location(impl.function))

    def _write_json(self) -> None:
        target = self.config.getoption("specgap_json")
        if target:
            Path(target).write_text(json.dumps({"signals": [asdict(s) for s in self.signals]}, indent=2) + "\n",
                                    encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.signals:
            terminalreporter.write_line("specgap: no tampering seen from inside this run")
            return
        terminalreporter.section("specgap: tampering signals")
        for s in self.signals:
            terminalreporter.write_line(f"{s.severity.upper():6} {s.name}: {s.message}" + (f" [{s.where}]" if s.where else ""))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        os._exit = self._real_exit  # type: ignore[assignment]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("specgap", "specgap: tampering signals of this run")
    group.addoption("--specgap-json", metavar="PATH", help="Write the signals as JSON to PATH.")
    group.addoption("--specgap-strict", action="store_true", help="Fail the run (exit 1) on a high signal.")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Watch(config), "specgap-watch")
