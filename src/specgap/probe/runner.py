"""Run a probe suite: each probe by its category's module, a failure to ask becomes that probe's error."""

from __future__ import annotations

import time
from typing import Callable

from specgap.probe import language, rater, reward, secret, selfeval
from specgap.probe.clients import Chat
from specgap.probe.result import ProbeResult
from specgap.probe.suite import Probe

_RUNNERS = {"language": language.run, "secret": secret.run, "rater": rater.run,
            "self-evaluation": selfeval.run, "reward": reward.run}


def run(probes: list[Probe], model: Chat, judge: Chat | None = None,
        progress: Callable[[str], None] = lambda _m: None) -> list[ProbeResult]:
    """Every probe's result, in suite order. The judge (rater probes) defaults to the model itself."""
    results = []
    for i, probe in enumerate(probes, 1):
        start = time.monotonic()
        try:
            r = _RUNNERS[probe.category](probe, model, judge or model)
        except Exception as exc:  # a model or callable that fails is this probe's error, not the run's end
            r = ProbeResult(probe.id, probe.category, passed=False, reason=f"could not be run: {exc}",
                            error=f"{type(exc).__name__}: {exc}")
        r.details["seconds"] = round(time.monotonic() - start, 3)
        results.append(r)
        progress(f"[{i}/{len(probes)}] {'pass' if r.passed else 'ERROR' if r.error else 'FAIL'} "
                 f"{probe.category}/{probe.id}: {r.reason}")
    return results
