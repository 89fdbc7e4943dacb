"""Where units are evaluated: in this process, or in a local pool of worker processes.

A backend takes a function and picklable items and hands back the results in the order of the
items. `submit` returns at once, so the caller can work while the workers do; a distributed
backend (Ray) fits the same two calls.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Generic, Protocol, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform says)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class Pending(Protocol[R]):
    def results(self) -> list[R]:
        """Every result, in the order of the submitted items (waits for them)."""


class Backend(Protocol):
    def submit(self, fn: Callable[[T], R], items: Sequence[T], on_done: Callable[[int], None] = ...) -> Pending[R]:
        """Start `fn` on every item (or schedule it); `on_done(1)` as each one finishes."""

    def close(self) -> None: ...


def _nothing(n: int) -> None:
    pass


class _Deferred(Generic[R]):
    def __init__(self, fn: Callable[[T], R], items: Sequence[T], on_done: Callable[[int], None]) -> None:
        self.fn, self.items, self.on_done = fn, items, on_done

    def results(self) -> list[R]:
        out = []
        for item in self.items:
            out.append(self.fn(item))
            self.on_done(1)
        return out


class InProcess:
    """Runs each item when the results are asked for, in this process."""

    def submit(self, fn: Callable[[T], R], items: Sequence[T], on_done: Callable[[int], None] = _nothing) -> _Deferred[R]:
        return _Deferred(fn, items, on_done)

    def close(self) -> None:
        pass


class _Futures(Generic[R]):
    def __init__(self, futures: list[Future[R]], fn: Callable[[T], R], items: Sequence[T],
                 on_done: Callable[[int], None]) -> None:
        self.futures, self.fn, self.items, self.on_done = futures, fn, items, on_done

    def results(self) -> list[R]:
        """Every result; items no worker has started yet are run here, last first, while the
        workers take them from the front: the caller would otherwise sit idle on a core."""
        here: dict[int, R] = {}
        for i in reversed(range(len(self.futures))):
            if self.futures[i].cancel():
                here[i] = self.fn(self.items[i])
                self.on_done(1)
        return [here[i] if i in here else f.result() for i, f in enumerate(self.futures)]


def worker_count(jobs: int | None) -> int:
    """`jobs` checked, or every available core for None."""
    n = available_cores() if jobs is None else jobs
    if n < 1:
        raise ValueError(f"jobs must be at least 1, not {n}")
    return n


class LocalPool:
    """A pool of `jobs` worker processes on this machine.

    Workers are started fresh ("spawn", never fork): a forked copy of a process with a progress
    bar's thread running can deadlock, fresh workers behave the same on every OS, and they are this
    process's own children, so their CPU time is accounted to it. As with any such pool, a script
    that uses it must guard its entry point with `if __name__ == "__main__":`.
    """

    def __init__(self, jobs: int) -> None:
        self._executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn: Callable[[T], R], items: Sequence[T], on_done: Callable[[int], None] = _nothing) -> _Futures[R]:
        futures = [self._executor.submit(fn, item) for item in items]
        for f in futures:
            f.add_done_callback(lambda f: None if f.cancelled() else on_done(1))
        return _Futures(futures, fn, items, on_done)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
