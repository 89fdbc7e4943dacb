"""Keep a large loaded input out of the garbage collector's full passes while it is evaluated."""

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
