"""A tree scan hides its input from the collector's full passes while it runs, and only then."""

from __future__ import annotations

import gc

from specgap.run.frozen import frozen_input


def test_frozen_while_inside_and_restored_after() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_input():
        inside = gc.get_freeze_count()
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made inside is still collectable
        del garbage
        assert gc.collect() >= 1
    assert inside > 0 and gc.get_freeze_count() == 0


def test_a_callers_own_freeze_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with frozen_input():
            pass
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()
