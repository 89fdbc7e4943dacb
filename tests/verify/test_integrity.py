"""The child's integrity watch, checked in-process: every way of replacing a watched function is
seen, by name, once; an untouched harness reports nothing."""

from __future__ import annotations

import sys
import types

import pytest

from specgap.verify import child


@pytest.fixture
def harness(monkeypatch):
    """A stand-in module shaped like what WATCH names: a function, a class method, a property."""
    mod = types.ModuleType("fake_harness")

    def run():
        return 1

    class Report:
        def passed(self):
            return True

        @property
        def outcome(self):
            return "passed"

    class Sub(Report):  # `passed` is inherited: looked up the slow way
        pass

    mod.run, mod.Report, mod.Sub = run, Report, Sub
    monkeypatch.setitem(sys.modules, "fake_harness", mod)
    return mod


WATCH = {"fake_harness": ["run", "Report.passed", "Report.outcome", "Sub.passed"]}


def test_nothing_changed_reports_nothing(harness):
    integrity = child.Integrity(WATCH)
    assert set(integrity.snap) == {f"fake_harness.{a}" for a in WATCH["fake_harness"]}
    assert integrity.changed() == [] and integrity.changed() == []


@pytest.mark.parametrize("tamper, names", [
    (lambda m: setattr(m, "run", lambda: 1), ["run"]),
    (lambda m: setattr(m.run, "__code__", (lambda: 2).__code__), ["run"]),
    (lambda m: setattr(m.Report, "passed", lambda self: True), ["Report.passed", "Sub.passed"]),
    (lambda m: delattr(m.Report, "passed"), ["Report.passed", "Sub.passed"]),
    (lambda m: setattr(m.Report, "outcome", property(lambda self: "passed")), ["Report.outcome"]),
    (lambda m: setattr(m, "Report", type("Report", (), {})), ["Report.passed", "Report.outcome"]),
    (lambda m: sys.modules.__setitem__("fake_harness", types.ModuleType("fake_harness")),
     ["run", "Report.passed", "Report.outcome", "Sub.passed"]),
])
def test_every_replacement_is_seen_once(harness, tamper, names):
    integrity = child.Integrity(WATCH)
    tamper(harness)
    assert sorted(integrity.changed()) == sorted(f"fake_harness.{n}" for n in names)
    assert integrity.changed() == []  # reported once


def test_a_trace_function_is_seen():
    integrity = child.Integrity({})
    old = sys.gettrace()
    sys.settrace(lambda *a: None)
    try:
        assert integrity.changed() == ["sys.settrace"]
    finally:
        sys.settrace(old)
