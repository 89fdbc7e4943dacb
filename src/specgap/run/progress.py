"""A progress bar on stderr for long whole-tree scans, only when stderr is a terminal."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def bar(total: int, what: str) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; draws nothing when stderr is not a terminal (CI logs, pipes, tests)."""
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()) or os.environ.get("TERM") == "dumb":
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(what, total=total)
        yield lambda n: progress.advance(task, n)
