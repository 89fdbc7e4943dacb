"""Keep the garbage collector's passes off what does not change: a large loaded input while it is
evaluated, or the loaded rules while a stream of small units (rollouts) goes through."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


@contextmanager
def frozen(load: Callable[[], T], *, pause: bool = False) -> Iterator[T]:
    """`load()` an input, and leave it out of the collector's passes until the block exits.

    A loaded change read whole (a diff, two trees) holds millions of AST nodes that live through
    its whole evaluation (a `--files` scan parses each file in the block instead, and lets it go). The
    loaders pause the collector while they parse, but the first allocation after they return set
    off a collection of everything they made (on pandas and numpy, 3.4 CPU s), and every full pass
    during the rules walked it all again (numpy: 13.5 CPU s of rules became 5.4). So what is alive
    once `load` returns is frozen (`gc.freeze`) before the collector runs again; garbage made by
    the block is collected as usual. Use it around one large unit, not each of many small ones
    (see `streaming`): what is frozen returns to the oldest generation on exit, where a stream of
    units would pile up between full passes. A caller that froze objects itself is left as it was.

    `pause`: keep the collector paused for the block too, for one large unit being evaluated. Its
    rules build each file's analysis (a parent map of every node, ...), kept until the end for the
    cross-file rules, and the collector's full passes walked those again and again (pandas and
    numpy: 4 full passes, 0.6 of 13.9 CPU s, and 0.3 more in the young ones) to find about 50,000
    objects in cycles, which now wait until the block ends; everything else is freed by reference
    counting as it goes.
    """
    owner = not gc.get_freeze_count()
    paused = gc.isenabled()
    gc.disable()
    try:
        unit = load()
        if owner:
            gc.freeze()
    except BaseException:
        if paused:
            gc.enable()
        raise
    if paused and not pause:
        gc.enable()
    try:
        yield unit
    finally:
        if owner:
            gc.unfreeze()
        if paused and pause:
            gc.enable()


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
    with frozen(lambda: None):
        gc.set_threshold(max(threshold[0], STREAM_GEN0), *threshold[1:])
        try:
            yield
        finally:
            gc.set_threshold(*threshold)
