"""SG601 clock-tampering: Clock or timer replaced, so measured durations are whatever the code says."""

from __future__ import annotations

import ast
import re

from specgap.model import Confidence, Severity
from specgap.rules import register
from specgap.rules.measurement._shared import _PatchRule

_CLOCKS = frozenset({"time.time", "time.perf_counter", "time.monotonic", "time.process_time", "time.thread_time",
                     "time.time_ns", "time.perf_counter_ns", "time.monotonic_ns", "time.process_time_ns",
                     "time.thread_time_ns", "time.clock", "datetime.datetime", "datetime.date",
                     "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
                     "datetime.date.today", "timeit.default_timer", "timeit.timeit", "timeit.repeat", "timeit.Timer",
                     "torch.cuda.synchronize", "torch.cuda.Event", "torch.cuda.Event.elapsed_time",
                     "torch.cuda.Event.record", "torch.cuda.Event.synchronize", "torch.cuda.current_stream",
                     "torch.utils.benchmark.Timer", "cupy.cuda.Event", "cupy.cuda.get_elapsed_time",
                     "triton.testing.do_bench"})


@register
class ClockTampering(_PatchRule):
    """Clock or timer replaced, so measured durations are whatever the code says.

    What it does: finds assignments (and `setattr`, `mock.patch`, `monkeypatch.setattr` outside
    tests) that replace `time.time`/`perf_counter`/`monotonic`/`process_time` (and `_ns`),
    `datetime.datetime`/`now`, `timeit.default_timer`, `torch.cuda.synchronize`,
    `torch.cuda.Event.elapsed_time`, `triton.testing.do_bench`. Binding a local name
    (`perf_counter = time.clock`) is not a replacement; filling in a missing attribute under
    `hasattr`/`except` stays low.

    Why is this bad: a benchmark or timeout check that reads a patched clock measures the patch:
    `time.perf_counter` advancing 1 µs per call makes any code "fast", a no-op
    `torch.cuda.synchronize` times only the kernel launch.

    Example:
        _t = iter(range(10**9))
        time.perf_counter = lambda: next(_t) * 1e-6

    Use instead: make the code faster; in tests, fake time with `freezegun` or `monkeypatch`.
    """

    id = "SG601"
    name = "clock-tampering"
    family = "measurement"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    mentions = re.compile(r"time|datetime|timer|cuda|synchronize|elapsed|bench")

    def grade(self, target: str, value: ast.expr | None) -> tuple[Severity, str] | None:
        if target in _CLOCKS:
            return Severity.HIGH, f"replaces {target}: timings read from it are made up"
        if target == "time.sleep":
            return Severity.MEDIUM, "replaces time.sleep: waits and timeouts no longer take time"
        return None
