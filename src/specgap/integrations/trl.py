"""TRL (GRPOTrainer, RLOOTrainer): reward functions `(prompts, completions, **kwargs) -> list[float]`.

Two ways in. Monitor-only with no change to your reward: add `gaming_reward` at weight 0; TRL logs
every reward function's mean (`rewards/specgap_gaming/mean`, the negated share of gamed samples).

    GRPOTrainer(..., reward_funcs=[my_reward, gaming_reward], args=GRPOConfig(reward_weights=[1.0, 0.0]))

Or wrap your reward: `with_specgap(my_reward, mode="zero")` (monitor, penalty or zero).
Completions may be strings or conversations (lists of messages); prompts likewise.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from specgap.integrations.rewards import GamingCheck, Mode

__all__ = ["gaming_reward", "with_specgap"]

_MONITOR = GamingCheck()


def _judge_all(check: GamingCheck, prompts: Sequence[Any] | None, completions: Sequence[Any], log_extra: Any) -> list[Any]:
    prompts = prompts if prompts is not None else [None] * len(completions)
    judgements = [check.judge(c, p) for p, c in zip(prompts, completions)]
    if callable(log_extra):  # newer TRL: extra columns in the completions table
        log_extra("specgap_rules", [j.rules for j in judgements])
    return judgements


def gaming_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **kwargs: Any) -> list[float]:
    """-1.0 for a completion that games the measure, 0.0 otherwise: meant for weight 0 (logging) or
    weight w > 0 (a penalty of w). Negative on purpose: a forgotten weight can only penalise gaming."""
    return [-1.0 if j.gaming else 0.0 for j in _judge_all(_MONITOR, prompts, completions, kwargs.get("log_extra"))]


gaming_reward.__name__ = "specgap_gaming"  # TRL names its log keys after the function


def with_specgap(base: Callable[..., list[float | None]], *, mode: Mode = "monitor", penalty: float = 1.0,
                 threshold: str = "high") -> Callable[..., list[float | None]]:
    """`base` with specgap's check applied per completion (None rewards stay None)."""
    check = GamingCheck(mode, penalty, threshold)

    @functools.wraps(base)
    def reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **kwargs: Any) -> list[float | None]:
        rewards = base(prompts=prompts, completions=completions, **kwargs)
        judgements = _judge_all(check, prompts, completions, kwargs.get("log_extra"))
        return [r if r is None else check.adjust(float(r), j) for r, j in zip(rewards, judgements)]

    return reward
