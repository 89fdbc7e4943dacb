"""The trusted side of the test process: boot, reporter plugin, unittest and script runners.

This file is copied into the run's harness directory and started as
`python -I -S -X pycache_prefix=... child.py`; it imports nothing from specgap. It reads its
configuration (HMAC key, result fd, sys.path, arguments) from stdin before any code under test is
imported, closes stdin, and writes authenticated JSON records (HMAC-chained frames) to the result fd.
Outcomes are taken from the exception each phase raised, never from reports or exit codes.
"""

import hashlib
import hmac
import io
import json
import os
import sys
import time
import traceback

_clock = time.monotonic  # taken before code under test runs (freezegun replaces the module's)


class Channel:
    """Append-only JSON records on an inherited fd, in HMAC-chained frames.

    A frame is one line: `{"r": records, "m": mac}`, where `records` are JSON lines and the MAC
    covers the previous frame's MAC and them. Test records go out in batches: a write (and an HMAC)
    for each woke the parent for every test, a tenth of a large suite's time. A batch is written
    at 32 KiB, when 0.2 s have passed since the last write, and before any other record
    (collection, integrity, crash, final), which goes at once."""

    BATCH = 1 << 15
    LAG = 0.2
    BATCHED = ("phase", "test")

    def __init__(self, key, fd):
        self._key = key
        self._fd = fd
        self._seq = 0
        self._prev = b""
        self._lines = []
        self._size = 0
        self._sent = _clock()
        os.set_inheritable(fd, False)  # subprocesses the tests start must not reach the channel

    def send(self, rec):
        rec["seq"] = self._seq
        self._seq += 1
        line = json.dumps(rec, default=str)
        self._lines.append(line)
        self._size += len(line)
        if rec.get("t") not in self.BATCHED or self._size >= self.BATCH or _clock() - self._sent > self.LAG:
            self.flush()

    def flush(self):
        if self._lines:
            body = "\n".join(self._lines)
            self._lines.clear()
            self._size = 0
            mac = hmac.new(self._key, self._prev + body.encode(), hashlib.sha256).hexdigest()
            self._prev = mac.encode()
            data = (json.dumps({"r": body, "m": mac}) + "\n").encode()
            while data:
                data = data[os.write(self._fd, data):]
        self._sent = _clock()


class LazyStdout(io.TextIOWrapper):
    """stdout that writes through at most every LAG seconds (and when its buffer fills).

    pytest's terminal reporter flushes after every test: each flush was a write into the parent's
    pipe and a wake-up of the parent, which cost the run more wall time than its tests on a busy
    machine. The output is only for people; `drain` writes what is left."""

    def __init__(self, fd):
        super().__init__(io.BufferedWriter(io.FileIO(fd, "w", closefd=False), 1 << 16), encoding="utf-8",
                         errors="backslashreplace")
        self._flushed = _clock()

    def flush(self):
        if _clock() - self._flushed > Channel.LAG:
            self.drain()

    def drain(self):
        super().flush()
        self._flushed = _clock()


# What decides outcomes, timing and exits. Code under test has no business replacing any of it;
# honest tests that patch (monkeypatch, mock, freezegun) restore it before their teardown ends.
WATCH = {
    "time": ["time", "perf_counter", "monotonic", "process_time", "thread_time", "time_ns", "perf_counter_ns", "monotonic_ns"],
    "os": ["_exit", "write", "kill"],
    "sys": ["exit"],
    "hmac": ["new", "HMAC.hexdigest", "HMAC.update"],
    "json": ["dumps"],
    "unittest.case": ["TestCase.run", "TestCase.assertEqual", "TestCase._getAssertEqualityFunc", "TestCase.fail"],
    "unittest.result": ["TestResult.addFailure", "TestResult.addError", "TestResult.addSuccess", "TestResult.addSkip",
                        "TestResult.wasSuccessful"],
    "_pytest.runner": ["CallInfo.from_call", "call_and_report", "call_runtest_hook", "runtestprotocol",
                       "pytest_runtest_makereport", "pytest_runtest_call", "pytest_runtest_setup"],
    "_pytest.reports": ["TestReport.from_item_and_call", "TestReport.__init__", "BaseReport.passed", "BaseReport.failed"],
    "_pytest.python": ["Function.runtest", "pytest_pyfunc_call", "Function.setup"],
    "_pytest.skipping": ["evaluate_skip_marks", "evaluate_xfail_marks", "pytest_runtest_makereport", "pytest_runtest_setup"],
    "_pytest.outcomes": ["skip", "fail", "xfail", "exit", "Skipped", "XFailed", "OutcomeException"],
    "_pytest.main": ["Session.perform_collect", "pytest_collection_modifyitems", "pytest_runtestloop"],
    "_pytest.fixtures": ["FixtureDef.execute"],
    "pluggy._callers": ["_multicall"],
    "pluggy._hooks": ["HookCaller.__call__"],
    "_pytest.assertion.rewrite": ["AssertionRewritingHook.exec_module", "rewrite_asserts"],
    "pytest": ["approx", "raises", "warns", "fail", "skip", "xfail"],
    "_pytest.python_api": ["approx", "ApproxScalar.__eq__", "ApproxBase.__eq__"],
    "_pytest.raises": ["raises", "RaisesExc.__exit__"],
    "math": ["isclose", "isfinite", "isnan"],
    "doctest": ["DocTestFinder._get_test", "DocTestFinder.find", "DocTestParser.get_doctest", "DocTestRunner.run",
                "DocTestRunner.report_failure", "DocTestRunner.report_unexpected_exception", "OutputChecker.check_output"],
    "_pytest.doctest": ["DoctestItem.runtest", "DoctestModule.collect", "DoctestTextfile.collect", "_check_all_skipped",
                        "_get_runner", "_get_checker"],
}


class Integrity:
    """Identity (and code) of the functions in WATCH, taken before any code under test is imported.

    `changed` runs after every test, so each watched name is kept as its chain of namespace
    lookups (module dict, class dict, ...) and checked by identity; a name reached by inheritance
    is looked up again the slow way.
    """

    def __init__(self, watch):
        self.reported = set()
        self.snap = {}
        self.hooks = {"sys.settrace": sys.gettrace(), "sys.setprofile": sys.getprofile()}
        for modname, attrs in watch.items():
            mod = sys.modules.get(modname)
            if mod is None:
                continue
            for dotted in attrs:
                try:
                    state = self._state(mod, dotted)
                except AttributeError:
                    continue
                self.snap[f"{modname}.{dotted}"] = (modname, mod, dotted, state, self._links(mod, dotted))
        # Everything checkable by identity, flattened: the common case (nothing changed) is one pass.
        fast = [v for v in self.snap.values() if v[4] is not None]
        self.steps = tuple({(id(ns), n): (ns, n, o) for v in fast for ns, n, o in v[4][0]}.values())
        self.codes = tuple({id(f): (f, c) for v in fast for f, c in v[4][1]}.values())
        self.modules = tuple({v[0]: v[1] for v in self.snap.values()}.items())
        self.slow = len(fast) < len(self.snap)

    @staticmethod
    def _state(mod, dotted):
        owner, _, name = dotted.rpartition(".")
        obj = mod
        for part in owner.split(".") if owner else ():
            obj = obj.__dict__[part] if part in getattr(obj, "__dict__", {}) else getattr(obj, part)
        value = obj.__dict__[name] if name in getattr(obj, "__dict__", {}) else getattr(obj, name)
        parts = [value]
        for attr in ("__func__", "fget", "fset"):
            inner = getattr(value, attr, None)
            if inner is not None:
                parts.append(inner)
        return tuple((id(p), id(getattr(p, "__code__", None)), getattr(p, "__code__", None)) for p in parts)

    @staticmethod
    def _links(mod, dotted):
        """((namespace, name, object) for each step, (object, code) for each function), or None
        when a step is inherited rather than in its owner's own namespace."""
        steps, obj = [], mod
        for part in dotted.split("."):
            ns = getattr(obj, "__dict__", None)
            if ns is None or part not in ns:
                return None
            steps.append((ns, part, ns[part]))
            obj = ns[part]
        parts = [obj] + [i for i in (getattr(obj, a, None) for a in ("__func__", "fget", "fset")) if i is not None]
        return tuple(steps), tuple((p, getattr(p, "__code__", None)) for p in parts)

    def _unchanged(self, missing, modules):
        for ns, n, o in self.steps:
            if ns.get(n, missing) is not o:
                return False
        for f, c in self.codes:
            if getattr(f, "__code__", None) is not c:
                return False
        for name, mod in self.modules:
            if modules.get(name) is not mod:
                return False
        return True

    def changed(self):
        out = []
        # A trace or profile function can jump over a failing line in any test frame.
        hooks = {"sys.settrace": sys.gettrace(), "sys.setprofile": sys.getprofile()}
        for key, now in hooks.items():
            if now is not self.hooks[key] and key not in self.reported:
                self.reported.add(key)
                out.append(key)
        missing = object()
        modules = sys.modules
        if not self.slow and self._unchanged(missing, modules):
            return out
        for key, (modname, mod, dotted, state, links) in self.snap.items():
            if key in self.reported:
                continue
            if links is not None:
                steps, codes = links
                same = (modules.get(modname) is mod and all(ns.get(n, missing) is o for ns, n, o in steps)
                        and all(getattr(f, "__code__", None) is c for f, c in codes))
            else:
                try:
                    same = self._state(mod, dotted) == state and modules.get(modname) is mod
                except Exception:
                    same = False
            if not same:
                self.reported.add(key)
                out.append(key)
        return out


def _short(exc):
    failures = getattr(exc, "failures", None) or [exc]  # pytest's MultipleDoctestFailures, or one
    f = failures[0]
    example = getattr(f, "example", None)
    if example is not None and hasattr(f, "test"):  # doctest.DocTestFailure / UnexpectedException
        try:
            got = (f"raised {_short(f.exc_info[1])}" if hasattr(f, "exc_info") else f"gave {f.got.strip()!r}")
            return (f"doctest {f.test.name}: >>> {example.source.strip()[:200]} expected {example.want.strip()[:200]!r}, "
                    f"{got[:300]}")[:500]
        except Exception:
            pass  # fall through to the exception's own text
    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    except Exception:  # a hostile __str__ must not break reporting
        text = type(exc).__name__
    return text[:500]


def _innermost(tb, internal):
    """The file of the innermost frame on `tb` outside pytest and the standard library."""
    origin = None
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if not fname.startswith(internal):
            origin = fname
        tb = tb.tb_next
    return origin


def _origin(tb, internal, root):
    """The innermost frame on `tb` outside pytest and the standard library, room-relative."""
    origin = _innermost(tb, internal)
    return os.path.relpath(origin, root or os.getcwd()) if origin else None


def _room_module(module, root):
    """`module`'s file relative to the room, or None when it lies outside."""
    f = getattr(module, "__file__", None)
    if not isinstance(f, str):
        return None
    rel = os.path.relpath(os.path.realpath(f), root)
    return None if rel.startswith(os.pardir) else rel


def base_doctests(docmap, trusted):
    """Make doctest's finder read the base revision's docstrings for the code under test.

    `docmap` holds, per room file of the code under test that the base revision has, the base's
    docstrings with examples by qualified name (see specgap.verify.doctests). A module of the code
    under test that the base lacks has no trusted doctest; trusted files (tests, conftests) and
    installed libraries keep their own."""
    import doctest

    get_test = doctest.DocTestFinder._get_test
    root = os.path.realpath(os.getcwd())
    none = {"docs": {}, "loose": [], "test_dict": False}

    def _get_test(self, obj, name, module, globs, source_lines):
        rel = _room_module(module, root)
        if rel is None or rel in trusted:
            return get_test(self, obj, name, module, globs, source_lines)
        entry = docmap.get(rel, none)
        qual = "" if name == module.__name__ else name[len(module.__name__) + 1:]
        if qual in entry["loose"] or (entry["test_dict"] and qual.startswith("__test__.")):
            return get_test(self, obj, name, module, globs, source_lines)
        doc = entry["docs"].get(qual)
        # A string is taken as the docstring itself (doctest's own rule for `__test__` values).
        return None if doc is None else get_test(self, doc, name, module, globs, source_lines)

    doctest.DocTestFinder._get_test = _get_test


def _missing_doctests(collector, result, docmap, root):
    """Items for the base's plain doctests of this module that its collection did not produce
    (the change removed or wrapped the object): they run in the module's namespace, or fail at
    once when the object they document is gone."""
    from _pytest import doctest as pd

    rel = os.path.relpath(os.path.realpath(str(collector.path)), root)
    entry = docmap.get(rel)
    if not entry or not entry["plain"]:
        return []
    module = next((m for m in list(sys.modules.values()) if _room_module(m, root) == rel), None)
    if module is None:
        return []
    found = {i.dtest.name for i in result if isinstance(i, pd.DoctestItem)}
    docs = {q: entry["docs"][q] for q in entry["plain"] if module.__name__ + ("." + q if q else "") not in found}
    return _doctest_items(collector, module, docs, str(collector.path))


def _doctest_items(parent, module, docs, path):
    """The base's doctests `docs` (by qualified name) run in `module`'s namespace; one whose
    object the module no longer has fails, saying so."""
    import doctest

    from _pytest import doctest as pd

    runner = pd._get_runner(checker=pd._get_checker(), verbose=False, optionflags=pd.get_optionflags(parent.config),
                            continue_on_failure=pd._get_continue_on_failure(parent.config))
    parser, out = doctest.DocTestParser(), []
    for qual, text in docs.items():
        name = module.__name__ + ("." + qual if qual else "")
        if not _resolves(module, qual):
            out.append(_lost(parent, name, f"the change removed {name}"))
            continue
        test = parser.get_doctest(text, module.__dict__.copy(), name, path, None)
        out.append(pd.DoctestItem.from_parent(parent, name=name, runner=runner, dtest=test))
    return out


def _resolves(module, qual):
    """Whether `module` still has the object a doctest's qualified name documents."""
    obj = module
    for part in qual.split(".") if qual else ():
        if isinstance(obj, dict):
            found = part in obj
            obj = obj.get(part)
        else:
            found = hasattr(obj, part)
            obj = getattr(obj, part, None)
        if not found:
            return False
    return True


class DoctestLost(AssertionError):
    """A doctest of the base revision that the changed code no longer lets run."""


_LOST_ITEM = []


def _lost(parent, name, why):
    """An item that fails with `why`: the base's doctest `name` cannot run against the change."""
    if not _LOST_ITEM:
        import pytest

        class LostDoctest(pytest.Item):
            def runtest(self):
                raise DoctestLost(f"doctest {self.name}: {self.why}")

            def reportinfo(self):
                return self.path, None, f"[doctest] {self.name}"

        _LOST_ITEM.append(LostDoctest)
    item = _LOST_ITEM[0].from_parent(parent, name=name)
    item.why = why
    return item


def _deleted_doctests(session, lost, root):
    """Items for the doctests of base files the change deleted: run in the module of the same
    name if the change still provides one in the room, else failing with why."""
    import importlib

    from _pytest.doctest import DoctestModule

    out = []
    for rel, entry in lost.items():
        path = os.path.join(root, rel)
        parent = DoctestModule.from_parent(session, path=type(session.path)(path))
        try:
            module = importlib.import_module(entry["module"])
            gone = None if _room_module(module, root) is not None else "it is imported from outside the code under test"
        except (Exception, SystemExit) as exc:
            module, gone = None, _short(exc)
        if gone is None:
            out += _doctest_items(parent, module, entry["docs"], path)
            continue
        for qual in entry["docs"]:
            name = entry["module"] + ("." + qual if qual else "")
            out.append(_lost(parent, name, f"module {entry['module']} ({rel}) was deleted by the change ({gone})"))
    return out


def pytest_reporter(ch, integrity, conftests=None, trusted=None, site=(), docmap=None, lost=None, census=False):
    """The reporter plugin object: collected ids, per-phase outcomes, a final record."""
    import unittest

    import _pytest.outcomes as outcomes
    import _pytest.skipping as skipping
    import pytest

    skipped, xfailed = (outcomes.Skipped, unittest.SkipTest), outcomes.XFailed
    import sysconfig

    import _pytest
    import pluggy

    # Installed libraries, pytest and this harness are trusted; frames there are passed over.
    internal = tuple(os.path.dirname(m.__file__) + os.sep for m in (_pytest, pytest, pluggy)) + tuple(
        p.rstrip(os.sep) + os.sep for p in [sysconfig.get_paths()["stdlib"], *site, os.path.dirname(__file__)])
    trusted = set(trusted or ())
    skip_marks, xfail_marks = skipping.evaluate_skip_marks, skipping.evaluate_xfail_marks
    try:
        from _pytest.unittest import TestCaseFunction
    except ImportError:  # pytest without its unittest plugin module
        TestCaseFunction = ()
    from _pytest.doctest import DoctestItem, DoctestModule

    root = None

    class Reporter:
        known = None  # plugins registered when the session started (pytest's own, trusted conftests)
        running = None  # node id of the test whose call phase is under way
        pending = {}  # node id -> its phase results so far
        protocol = []  # node ids whose run protocol is under way, outermost first
        protocols = 0  # outermost protocol runs so far

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_protocol(self, item, nextitem):
            # A plugin that reruns a failed test (pytest-rerunfailures) runs its phases again inside
            # this one protocol run: each teardown closes an attempt, tagged with the run, so the
            # parent can tell reruns from results reported twice.
            if not self.protocol:
                self.protocols += 1
            self.protocol.append(item.nodeid)
            try:
                return (yield)
            finally:
                self.protocol.pop()

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_call(self, item):
            # Reports made while the call phase runs are its subtests (unittest subTest, the
            # `subtests` fixture of pytest 9 and of pytest-subtests): one record each.
            self.running = item.nodeid
            try:
                return (yield)
            finally:
                self.running = None

        @pytest.hookimpl(trylast=True)
        def pytest_sessionstart(self, session):
            nonlocal root
            root = str(session.config.rootpath)
            os.environ.pop("PYTEST_VERSION", None)
            self.pm = session.config.pluginmanager
            self.known = {id(p) for p in self.pm.get_plugins()}

        def _intruders(self, where):
            """Plugins registered since the session started that are neither conftests nor pytest's."""
            if self.known is None:
                return
            new = []
            for p in self.pm.get_plugins():
                if id(p) in self.known:
                    continue
                self.known.add(id(p))
                mod = getattr(p, "__name__", None) if isinstance(p, type(sys)) else type(p).__module__
                path = (getattr(p, "__file__", None) or "") if isinstance(p, type(sys)) else ""
                # A conftest the base revision has; one written during the run is an intruder.
                if os.path.basename(path) == "conftest.py" and (
                        conftests is None or os.path.relpath(path, os.getcwd() if root is None else root) in conftests):
                    continue
                if (mod or "").split(".")[0] in ("_pytest", "pytest", "pluggy"):
                    continue
                new.append(self.pm.get_name(p) or repr(p)[:80])
            if new:
                ch.send({"t": "integrity", "changed": [f"pytest plugin registered: {n}" for n in new], "where": where})

        # What the trusted configuration left out (collect_ignore, norecursedirs, -m/-k): the
        # parent does not expect results from these. Plugins that could do the same are intruders.
        @pytest.hookimpl(wrapper=True)
        def pytest_ignore_collect(self, collection_path, config):
            res = yield
            if res:
                ch.send({"t": "ignored", "path": os.path.relpath(str(collection_path), str(config.rootpath))})
            return res

        if docmap is not None:
            @pytest.hookimpl(wrapper=True)
            def pytest_make_collect_report(self, collector):
                rep = yield
                if isinstance(collector, DoctestModule) and rep.passed:
                    rep.result += _missing_doctests(collector, rep.result, docmap, os.path.realpath(root))
                elif isinstance(collector, DoctestModule) and rep.skipped:
                    # --doctest-ignore-import-errors skips a module that does not import: the
                    # base's doctests there fail instead of vanishing. Only those the base's own
                    # run had (the census says so: its entries name their module), since a base
                    # that fails to import it too owes none.
                    rel = os.path.relpath(os.path.realpath(str(collector.path)), os.path.realpath(root))
                    entry = docmap.get(rel) or {"plain": []}
                    module = entry.get("module")
                    if entry["plain"] and module:
                        rep.outcome, rep.longrepr = "passed", None
                        rep.result = [_lost(collector, module + ("." + q if q else ""),
                                            f"module {module} ({rel}) no longer imports with the change")
                                      for q in entry["plain"]]
                return rep

        if lost:
            @pytest.hookimpl(tryfirst=True)
            def pytest_collection_modifyitems(self, session, items):
                # Before -k/-m deselect: the base's deselection applies to these as to any test.
                items += _deleted_doctests(session, lost, os.path.realpath(root))

        if census:
            @pytest.hookimpl(tryfirst=True)
            def pytest_ignore_collect(self, collection_path, config):
                # The census wants the base's doctests of the code under test: test files are
                # trusted whatever happens, and importing them would only cost time.
                rel = os.path.relpath(str(collection_path), str(config.rootpath))
                return True if rel in trusted and os.path.basename(rel) != "conftest.py" else None

        def pytest_deselected(self, items):
            ch.send({"t": "deselected", "ids": [i.nodeid for i in items]})

        def pytest_collectreport(self, report):
            if report.failed:
                ch.send({"t": "collect_error", "id": report.nodeid, "msg": str(report.longrepr)[-1500:]})

        def pytest_collection_finish(self, session):
            self._intruders("collection")
            ch.send({"t": "collected", "ids": [i.nodeid for i in session.items]})
            if census:
                ch.send({"t": "doctests", "items": [
                    {"id": i.nodeid, "module": i.dtest.globs.get("__name__", ""), "name": i.dtest.name,
                     "text": i.dtest.docstring or ""}
                    for i in session.items if isinstance(i, DoctestItem) and isinstance(i.parent, DoctestModule)]})

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item, call):
            exc = call.excinfo
            # A unittest.TestCase reports its failures to the item (pytest's unittest plugin moves
            # the first one into `call` in its own makereport, which runs after this): read it there.
            pending = isinstance(item, TestCaseFunction) and item.__dict__.get("_excinfo")
            if pending:
                exc = pending[0]
            when = call.when
            if when == "call" and self.running == item.nodeid:
                when = "subtest"
            rec = {"when": when, "outcome": "passed"}
            if self.protocol != [item.nodeid] or (self.running is not None and when != "subtest"):
                rec["nested"] = True  # run from inside another test, or outside any test's own run
            if exc is not None:
                if isinstance(exc.value, skipped):
                    rec["outcome"] = "skipped"
                    # A skip decided by the trusted test file's own skip/skipif marker is not a result.
                    rec["by_marker"] = call.when == "setup" and skip_marks(item) is not None or (
                        # unittest's own @skip/@skipIf decorators in the trusted test file
                        isinstance(item, TestCaseFunction) and any(
                            getattr(o, "__unittest_skip__", False) is True for o in (item.obj, item.parent.obj)))
                    # pytest.skip()/importorskip() called by the trusted test file or conftest
                    # itself (not by code under test) is the suite's own decision too.
                    if not rec["by_marker"] and trusted and _origin(exc.tb, internal, root) in trusted:
                        rec["by_marker"] = rec["by_test"] = True
                    # A doctest skipped by its own +SKIP directives or a skip in its examples
                    # (its text is the base revision's: see base_doctests).
                    if not rec["by_marker"] and isinstance(item, DoctestItem):
                        origin = _innermost(exc.tb, internal)
                        rec["by_marker"] = origin is None or origin.startswith("<doctest ")
                        rec["by_test"] = origin is not None and rec["by_marker"]
                elif isinstance(exc.value, xfailed):
                    rec["outcome"] = "xfailed"
                    # pytest.xfail() called by the trusted test file or conftest itself (in a
                    # subtest, say) is the suite's own decision, as a skip there is.
                    if trusted and _origin(exc.tb, internal, root) in trusted:
                        rec["by_marker"] = rec["by_test"] = True
                else:
                    rec["outcome"] = "failed"
                    # The trusted test file's own xfail marker expects this failure: not a result.
                    mark = when == "call" and xfail_marks(item)
                    rec["by_marker"] = bool(mark) and (not mark.raises or isinstance(exc.value, mark.raises))
                rec["msg"] = _short(exc.value)
            # A test's phases (and subtests) go out together, in one record, once it is torn down.
            self.pending.setdefault(item.nodeid, []).append(rec)
            if call.when == "teardown":
                ch.send({"t": "test", "id": item.nodeid, "phases": self.pending.pop(item.nodeid),
                         "run": self.protocols if self.protocol else None})
                _check(ch, integrity, item.nodeid)
            return (yield)

        def pytest_sessionfinish(self, session, exitstatus):
            for nodeid, phases in self.pending.items():  # tests never torn down (pytest.exit() in one)
                ch.send({"t": "test", "id": nodeid, "phases": phases})
            self.pending.clear()
            self._intruders("end of session")
            _check(ch, integrity, "end of session")
            _final(ch, int(exitstatus))

    return Reporter()


def _final(ch, exitstatus=0):
    """The end-of-run record: the files imported (the parent caches the interpreter's own) and the
    CPU seconds this process and its children used (cost accounting only, never evidence)."""
    import resource

    files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    ch.send({"t": "final", "exitstatus": exitstatus, "imported": [f for f in files if isinstance(f, str)],
             "cpu": sum(u.ru_utime + u.ru_stime for u in used)})


def _check(ch, integrity, where):
    changed = integrity.changed()
    if changed:
        ch.send({"t": "integrity", "changed": changed, "where": where})


def run_pytest(ch, args, conftests=None, trusted=None, site=(), docmap=None, lost=None, census=False):
    import doctest  # noqa: F401  (imported so Integrity can watch it)

    import _pytest.assertion.rewrite  # noqa: F401
    import _pytest.doctest  # noqa: F401
    import _pytest.main  # noqa: F401
    import _pytest.python  # noqa: F401
    import _pytest.runner  # noqa: F401
    import pytest
    import unittest  # noqa: F401

    # Code that behaves differently under test looks for pytest's environment variables: the run
    # sets neither (honest tests have no need of them; what reveals pytest in sys.modules stays).
    _pytest.runner._update_current_test_var = lambda item, when: None
    if docmap is not None:
        base_doctests(docmap, set(trusted or ()))
    reporter = pytest_reporter(ch, Integrity(WATCH), None if conftests is None else set(conftests), trusted, site,
                               docmap, lost, census)
    sys.stdout.flush()
    sys.stdout = out = LazyStdout(sys.stdout.fileno())
    try:
        pytest.main(args, plugins=[reporter])
    except BaseException as exc:  # an exit raised through pytest: the final record says nothing
        ch.send({"t": "crash", "msg": _short(exc)})
    finally:
        try:
            out.drain()
        except (OSError, ValueError):  # stdout closed by the tests: the output is only for people
            pass


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

        def stopTest(self, test):
            super().stopTest(test)
            _check(ch, integrity, self._id(test))

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

    integrity = Integrity(WATCH)
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
    _check(ch, integrity, "end of run")
    _final(ch)


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
    import unittest  # noqa: F401  (watched: scripts often use unittest.main)

    integrity = Integrity(WATCH)
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
        if os.path.dirname(path) in sys.path:
            sys.path.remove(os.path.dirname(path))
        rec = {"t": "phase", "id": rel, "when": "call", "outcome": outcome}
        if msg:
            rec["msg"] = msg
        ch.send(rec)
        _check(ch, integrity, rel)
    _final(ch)


def run_calls(ch, module, calls, orders):
    """Call the function under test on each case and send back plain JSON, nothing else.

    Expected values never reach this process; the comparison happens in the parent.
    """
    import importlib

    ch.send({"t": "collected", "ids": sorted({c["i"] for c in calls})})
    mods = {}
    for rnd, order in enumerate(orders):
        for i in order:
            c = calls[i]
            rec = {"t": "result", "i": c["i"], "round": rnd}
            try:
                name = c.get("module") or module
                mod = mods.get(name) or mods.setdefault(name, importlib.import_module(name))
                value = getattr(mod, c["function"])(*c.get("args", []), **c.get("kwargs", {}))
                rec["value"] = json.loads(json.dumps(value, allow_nan=True))
            except BaseException as exc:  # SystemExit too: an exit is a wrong answer, not an end
                rec["error"] = _short(exc)
            ch.send(rec)
    _final(ch)


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
    try:
        if mode == "pytest":
            run_pytest(ch, cfg["args"], cfg.get("conftests"), cfg.get("trusted"), cfg["site"], cfg.get("doctests"),
                       cfg.get("lost_doctests"), cfg.get("census", False))
        elif mode == "unittest":
            run_unittest(ch, cfg["files"])
        elif mode == "calls":
            run_calls(ch, cfg["module"], cfg["calls"], cfg["orders"])
        else:
            run_scripts(ch, cfg["files"])
    finally:
        ch.flush()  # a process that ends any other way (os._exit, a kill) loses at most LAG seconds of records
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
