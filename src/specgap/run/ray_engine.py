"""`--engine ray`: the same tasks as the local pool, as Ray tasks (extra `specgap[ray]`).

Attaches to a running cluster (`address="auto"`, or `RAY_ADDRESS`) when there is one, else starts
a local Ray with `jobs` CPUs. Rules are loaded once per Ray worker process. At most two tasks per
CPU are in flight, so the driver's memory stays flat however large the input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from specgap.rollout import RolloutError
from specgap.run import local
from specgap.run.evaluate import RolloutOutcome
from specgap.run.frozen import tune_for_stream

_LOADED: dict[local.Rules, Any] = {}


def _work(task: local.Task, rules: local.Rules) -> list[RolloutOutcome]:
    if rules not in _LOADED:  # once per worker process: Ray reuses its workers
        _LOADED[rules] = rules.load()
        tune_for_stream()
    return local.run_task(task, *_LOADED[rules])


def start(jobs: int | None) -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("--engine ray needs Ray: pip install 'specgap[ray]'") from exc
    if not ray.is_initialized():
        try:
            ray.init(address="auto", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError):  # no cluster running: a local one
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    return ray


def run(paths: Sequence[str | Path], rules: local.Rules, *, fmt: str = "auto", jobs: int | None = None,
        done: set[str] | None = None, on_outcome: Callable[[RolloutOutcome], None]) -> None:
    ray = start(jobs)
    done = done or set()
    emit = local.emitter(done, on_outcome)
    remote = ray.remote(_work)
    window = 2 * max(1, int(ray.cluster_resources().get("CPU", jobs or 1)))
    pending: list[Any] = []
    for t in local.tasks(paths, fmt, done):
        if isinstance(t, RolloutError):
            emit([local.unreadable(t)])
            continue
        pending.append(remote.remote(t, rules))
        if len(pending) >= window:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                emit(ray.get(ref))
    for ref in pending:
        emit(ray.get(ref))
