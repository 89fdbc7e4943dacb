"""A tree scan hides its input from the collector while it loads and runs, and only then."""

from __future__ import annotations

import gc
import weakref

import pytest

from specgap.run.frozen import frozen


def test_frozen_while_inside_and_restored_after() -> None:
    assert gc.get_freeze_count() == 0
    seen = {}

    def load() -> list[object]:
        seen["collecting"] = gc.isenabled()
        return [[] for _ in range(1000)]

    with frozen(load) as unit:
        inside = gc.get_freeze_count()
        assert gc.isenabled() and not seen["collecting"]  # paused only while loading
        assert gc.is_tracked(unit[0]) and not any(o is unit[0] for o in gc.get_objects())  # frozen: in no generation
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made inside is still collectable
        del garbage
        assert gc.collect() >= 1
    assert inside > 0 and gc.get_freeze_count() == 0


def test_a_load_that_fails_leaves_nothing_frozen_or_paused() -> None:
    def load() -> None:
        raise OSError("unreadable")

    with pytest.raises(OSError):
        with frozen(load):
            pass
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_paused_collector_stays_paused() -> None:
    gc.disable()
    try:
        with frozen(list):
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_callers_own_freeze_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with frozen(list):
            pass
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_an_evaluated_unit_is_freed_without_the_collector() -> None:
    """Each file's tree and analysis refer to each other; evaluation breaks that once it is done, so
    dropping a scanned change frees it at once (a pool worker's parts are dropped one after another)."""
    import weakref

    from specgap.engine import evaluate
    from specgap.inputs.changeset import RawFile, build
    from specgap.rules import scan_rules

    src = b"import sys\n\ndef solve(n):\n    if n == 37:\n        sys.exit(0)\n    return n * 2\n"
    unit = build([RawFile("src/solve.py", None, src), RawFile("tests/test_solve.py", None, b"def test_x():\n    assert 1\n")])
    first = evaluate(unit, scan_rules()).findings
    again = evaluate(unit, scan_rules()).findings  # the analyses are built again when asked
    assert [f.fingerprint for f in first] == [f.fingerprint for f in again]
    tree = weakref.ref(unit.files[0].after.tree)
    gc.disable()
    try:
        del unit
        assert tree() is None
    finally:
        gc.enable()


def test_a_stream_of_rollouts_tunes_the_collector_only_while_it_runs() -> None:
    from specgap.run.frozen import STREAM_GEN0, streaming

    threshold = gc.get_threshold()
    with streaming():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= STREAM_GEN0
        garbage = [[]]
        garbage[0].append(garbage)  # still collected, only less often
        del garbage
        assert gc.collect() >= 1
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


def test_a_paused_unit_keeps_the_collector_off_until_its_block_ends() -> None:
    class Node:
        pass

    with frozen(list, pause=True):
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        cycle = Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        ref = weakref.ref(cycle)
        del cycle
        assert ref() is not None  # waits for the collector
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_a_paused_unit_whose_load_fails_leaves_the_collector_on() -> None:
    def load() -> None:
        raise OSError("unreadable")

    with pytest.raises(OSError):
        with frozen(load, pause=True):
            pass
    assert gc.get_freeze_count() == 0 and gc.isenabled()
