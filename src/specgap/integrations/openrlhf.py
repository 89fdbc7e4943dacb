"""OpenRLHF: a `reward_func` (for `--remote_rm_url reward_func.py`) that also scans for gaming.

OpenRLHF calls `reward_func(queries, prompts, labels, **kwargs)`, where each query is the prompt
followed by the response, and reads `rewards`, `scores` and `extra_logs` from the returned dict.

    # reward_func.py
    from specgap.integrations.openrlhf import with_specgap
    reward_func = with_specgap(my_reward_func)                  # monitor only
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from specgap.integrations.rewards import GamingCheck, Mode

__all__ = ["with_specgap"]


def _floats(value: Any) -> list[float]:
    return [float(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]


def _tensor(values: list[float]) -> Any:
    try:  # OpenRLHF expects tensors; torch is always there where OpenRLHF runs
        import torch
    except ImportError:
        return values
    return torch.tensor(values, dtype=torch.float32)


def with_specgap(base: Callable[..., Any], *, mode: Mode = "monitor", penalty: float = 1.0,
                 threshold: str = "high") -> Callable[..., dict[str, Any]]:
    """Wrap `base` (which returns a dict like OpenRLHF's, or a list/tensor of rewards).

    `extra_logs` gains `specgap_gaming`, `specgap_findings`, `specgap_max_severity` (one value per
    sample); `rewards` and `scores` change only in `penalty` or `zero` mode.
    """
    check = GamingCheck(mode, penalty, threshold)

    def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
        raw = base(queries, prompts, labels, **kwargs)
        out = dict(raw) if isinstance(raw, dict) else {"rewards": raw}
        rewards = _floats(out["rewards"])
        scores = _floats(out.get("scores", rewards))
        logs: dict[str, list[float]] = {}
        for i, (query, prompt) in enumerate(zip(queries, prompts)):
            response = query[len(prompt):] if query.startswith(prompt) else query
            judgement = check.judge(response, prompt)
            rewards[i] = check.adjust(rewards[i], judgement)
            scores[i] = check.adjust(scores[i], judgement)
            for key, value in judgement.metrics().items():
                logs.setdefault(key, []).append(value)
        extra = dict(out.get("extra_logs") or {})
        extra.update({k: _tensor(v) for k, v in logs.items()})
        return {**out, "rewards": _tensor(rewards), "scores": _tensor(scores), "extra_logs": extra}

    return reward_func
