"""Keep the garbage collector's passes off what does not change: a large loaded input while it is
evaluated, or the loaded rules while a stream of small units (rollouts) goes through."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def frozen_input() -> Iterator[None]:
    """Objects alive on entry are left out of the collector's passes until exit (`gc.freeze`).

    A loaded tree scan holds millions of AST nodes that live through its whole evaluation; each
    full pass of the collector walked them all again, which cost more than the rules (numpy: 13.5
    CPU s of rules became 5.4). Garbage made inside is collected as usual. Use it around one large
    unit, not around each of many small ones: what is frozen is returned to the oldest generation
    on exit, where a stream of units would pile up between full passes. A caller that froze
    objects itself is left as it was.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# At the default threshold (700 allocations) the collector ran about once per generated 60-line
# rollout, and its full passes walked every loaded module: about 200 us of a 2.6 ms rollout.
STREAM_GEN0 = 10_000


def tune_for_stream() -> None:
    """In a worker process that evaluates many small units: leave what is loaded (rules, modules)
    out of the collector's passes, and collect the young generation less often. Memory stays flat:
    garbage waits for at most STREAM_GEN0 allocations."""
    gc.freeze()
    low, *older = gc.get_threshold()
    gc.set_threshold(max(low, STREAM_GEN0), *older)


@contextmanager
def streaming() -> Iterator[None]:
    """`tune_for_stream` for a while, in a process that is not ours alone: as it was on exit."""
    threshold = gc.get_threshold()
    with frozen_input():
        gc.set_threshold(max(threshold[0], STREAM_GEN0), *threshold[1:])
        try:
            yield
        finally:
            gc.set_threshold(*threshold)
