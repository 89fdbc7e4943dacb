"""The trusted side of the test process: boot, reporter plugin, unittest and script runners.

This file is copied into the run's harness directory and started as
`python -I -S -X pycache_prefix=... child.py`; it imports nothing from specgap. It reads its
configuration (HMAC key, result fd, sys.path, arguments) from stdin before any code under test is
imported, closes stdin, and writes one authenticated JSON record per event to the result fd.
Outcomes are taken from the exception each phase raised, never from reports or exit codes.
"""

import hashlib
import hmac
import json
import os
import sys
import traceback


class Channel:
    """Append-only, HMAC-chained JSON lines on an inherited fd."""

    def __init__(self, key, fd):
        self._key = key
        self._fd = fd
        self._seq = 0
        self._prev = b""
        os.set_inheritable(fd, False)  # subprocesses the tests start must not reach the channel

    def send(self, rec):
        rec["seq"] = self._seq
        self._seq += 1
        body = json.dumps(rec, sort_keys=True, default=str)
        mac = hmac.new(self._key, self._prev + body.encode(), hashlib.sha256).hexdigest()
        self._prev = mac.encode()
        data = (json.dumps({"r": body, "m": mac}) + "\n").encode()
        while data:
            data = data[os.write(self._fd, data):]


def _short(exc):
    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    except Exception:  # a hostile __str__ must not break reporting
        text = type(exc).__name__
    return text[:500]


def pytest_reporter(ch):
    """The reporter plugin object: collected ids, per-phase outcomes, a final record."""
    import _pytest.outcomes as outcomes
    import _pytest.skipping as skipping
    import pytest

    skipped, xfailed, skip_marks = outcomes.Skipped, outcomes.XFailed, skipping.evaluate_skip_marks

    class Reporter:
        def pytest_collectreport(self, report):
            if report.failed:
                ch.send({"t": "collect_error", "id": report.nodeid, "msg": str(report.longrepr)[-1500:]})

        def pytest_collection_finish(self, session):
            ch.send({"t": "collected", "ids": [i.nodeid for i in session.items]})

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item, call):
            exc = call.excinfo
            rec = {"t": "phase", "id": item.nodeid, "when": call.when, "outcome": "passed"}
            if exc is not None:
                if isinstance(exc.value, skipped):
                    rec["outcome"] = "skipped"
                    # A skip decided by the trusted test file's own skip/skipif marker is not a result.
                    rec["by_marker"] = call.when == "setup" and skip_marks(item) is not None
                elif isinstance(exc.value, xfailed):
                    rec["outcome"] = "xfailed"
                else:
                    rec["outcome"] = "failed"
                rec["msg"] = _short(exc.value)
            ch.send(rec)
            return (yield)

        def pytest_sessionfinish(self, session, exitstatus):
            ch.send({"t": "final", "exitstatus": int(exitstatus)})

    return Reporter()


def run_pytest(ch, args):
    import pytest

    reporter = pytest_reporter(ch)
    try:
        pytest.main(args, plugins=[reporter])
    except BaseException as exc:  # an exit raised through pytest: the final record says nothing
        ch.send({"t": "crash", "msg": _short(exc)})


def run_unittest(ch, files):
    import unittest

    class Result(unittest.TestResult):
        def _id(self, test):
            return f"{test.__class__.__module__.replace('.', '/')}.py::{test.__class__.__qualname__}::{test._testMethodName}"

        def _rec(self, test, outcome, err=None, phase="call"):
            rec = {"t": "phase", "id": self._id(test), "when": phase, "outcome": outcome}
            if err is not None:
                rec["msg"] = _short(err[1])
            ch.send(rec)

        def addSuccess(self, test):
            self._rec(test, "passed")

        def addFailure(self, test, err):
            self._rec(test, "failed", err)

        def addError(self, test, err):
            if isinstance(test, unittest.TestCase):
                self._rec(test, "failed", err)
            else:  # setUpClass/module fixtures: attribute the error to the suite entry
                ch.send({"t": "collect_error", "id": str(test), "msg": _short(err[1])})

        def addSkip(self, test, reason):
            self._rec(test, "skipped")

        def addExpectedFailure(self, test, err):
            self._rec(test, "xfailed", err)

        def addUnexpectedSuccess(self, test):
            self._rec(test, "failed")

        def addSubTest(self, test, subtest, err):
            if err is not None:
                self._rec(test, "failed", err, phase="subtest")

    import importlib

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    ids = []
    for rel in files:
        name = rel[:-3].replace("/", ".")
        try:
            mod = importlib.import_module(name)
            tests = loader.loadTestsFromModule(mod)
        except BaseException as exc:
            ch.send({"t": "collect_error", "id": rel, "msg": _short(exc)})
            continue
        for t in _flatten(tests):
            ids.append(Result._id(None, t))
        suite.addTest(tests)
    ch.send({"t": "collected", "ids": ids})
    try:
        suite.run(Result())
    except BaseException as exc:
        ch.send({"t": "crash", "msg": _short(exc)})
        return
    ch.send({"t": "final", "exitstatus": 0})


def _flatten(suite):
    import unittest

    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        elif isinstance(t, unittest.TestCase):
            yield t


def run_scripts(ch, files):
    """Each script is one test: it passes only if its own code ran to the end.

    `sys.exit()` counts only when the script itself called it (with 0 or None); an exit raised
    from any other code, an exception, or no record at all is a failure.
    """
    import runpy

    ch.send({"t": "collected", "ids": list(files)})
    for rel in files:
        path = os.path.abspath(rel)
        sys.argv = [path]
        sys.path.insert(0, os.path.dirname(path))  # as `python test.py` would
        outcome, msg = "passed", None
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as exc:
            origin = _exit_origin(exc)
            if exc.code not in (0, None):
                outcome, msg = "failed", f"SystemExit({exc.code!r})"
            elif origin != path:
                outcome, msg = "failed", f"SystemExit(0) raised from {origin}, not from the grader script"
        except BaseException as exc:
            outcome, msg = "failed", _short(exc)
        sys.path.remove(os.path.dirname(path))
        rec = {"t": "phase", "id": rel, "when": "call", "outcome": outcome}
        if msg:
            rec["msg"] = msg
        ch.send(rec)
    ch.send({"t": "final", "exitstatus": 0})


def _exit_origin(exc):
    """The innermost file outside the standard library on the exit's traceback."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    origin = "?"
    tb = exc.__traceback__
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if not fname.startswith(stdlib) and fname != __file__:
            origin = fname
        tb = tb.tb_next
    return origin


def main():
    cfg = json.loads(sys.stdin.buffer.read())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    ch = Channel(bytes.fromhex(cfg.pop("key")), cfg["fd"])
    # Trusted paths first: stdlib (already there), then the clean room, then site-packages
    # without running their .pth files.
    sys.path[len(sys.path):] = cfg["path"] + cfg["site"]
    mode = cfg["mode"]
    if mode == "pytest":
        run_pytest(ch, cfg["args"])
    elif mode == "unittest":
        run_unittest(ch, cfg["files"])
    else:
        run_scripts(ch, cfg["files"])
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
