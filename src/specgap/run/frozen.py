"""Keep a large loaded input out of the garbage collector's passes while it is evaluated."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


@contextmanager
def frozen(load: Callable[[], T]) -> Iterator[T]:
    """`load()` an input, and leave it out of the collector's passes until the block exits.

    A loaded tree scan holds millions of AST nodes that live through its whole evaluation. The
    loaders pause the collector while they parse, but the first allocation after they return set
    off a collection of everything they made (on pandas and numpy, 3.4 CPU s), and every full pass
    during the rules walked it all again (numpy: 13.5 CPU s of rules became 5.4). So what is alive
    once `load` returns is frozen (`gc.freeze`) before the collector runs again; garbage made by
    the block is collected as usual. Use it around
    one large unit, not each of many small ones: what is frozen returns to the oldest generation
    on exit, where a stream of units would pile up between full passes. A caller that froze
    objects itself is left as it was.
    """
    owner = not gc.get_freeze_count()
    paused = gc.isenabled()
    gc.disable()
    try:
        unit = load()
        if owner:
            gc.freeze()
    finally:
        if paused:
            gc.enable()
    try:
        yield unit
    finally:
        if owner:
            gc.unfreeze()
