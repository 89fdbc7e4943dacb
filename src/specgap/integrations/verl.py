"""verl: a `compute_score` that also scans the response for gaming.

verl calls `compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)`
(`custom_reward_function.path` / `.name`) and logs every extra key of a returned dict.

    # my_reward.py, given to verl as custom_reward_function.path=my_reward.py
    from specgap.integrations.verl import with_specgap
    compute_score = with_specgap(my_compute_score)           # monitor only
    # compute_score = with_specgap(my_compute_score, mode="zero")
"""

from __future__ import annotations

from typing import Any, Callable

from specgap.integrations.rewards import GamingCheck, Mode

__all__ = ["with_specgap"]


def with_specgap(base: Callable[..., Any] | None = None, *, mode: Mode = "monitor", penalty: float = 1.0,
                 threshold: str = "high") -> Callable[..., dict[str, Any]]:
    """Wrap `base` (verl's own `default_compute_score` when None) in verl's signature.

    Returns `{"score": reward, "specgap_gaming": 0|1, "specgap_findings": n, "specgap_max_severity": 0-4,
    **base's extra keys}`; `score` is base's unless `mode` is `penalty` or `zero`.
    """
    check = GamingCheck(mode, penalty, threshold)
    if base is None:
        try:
            from verl.utils.reward_score import default_compute_score as base
        except ImportError as exc:
            raise ImportError("with_specgap() without a base score needs verl installed; "
                              "pass your own compute_score") from exc

    def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict[str, Any] | None = None,
                      **kwargs: Any) -> dict[str, Any]:
        raw = base(data_source, solution_str, ground_truth, extra_info, **kwargs)
        extra = dict(raw) if isinstance(raw, dict) else {}
        reward = float(extra.pop("score")) if isinstance(raw, dict) else float(raw)
        prompt = (extra_info or {}).get("prompt") if isinstance(extra_info, dict) else None
        judgement = check.judge(solution_str, prompt if isinstance(prompt, (str, list)) else None)
        return {"score": check.adjust(reward, judgement), **extra, **judgement.metrics()}

    return compute_score
