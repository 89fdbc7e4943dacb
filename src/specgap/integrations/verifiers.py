"""verifiers / prime-rl: a rubric function that scores gaming, for a `Rubric` at weight 0.

verifiers passes a reward function the arguments it names (`completion`, `prompt`, `state`,
`info`, ...) and logs each function's score next to the weighted reward; at weight 0 the reward is
unchanged (monitor only). At a positive weight w it is a penalty of w per gamed rollout.

    import verifiers as vf
    from specgap.integrations.verifiers import specgap_gaming
    rubric = vf.Rubric(funcs=[my_reward, specgap_gaming], weights=[1.0, 0.0])
"""

from __future__ import annotations

from typing import Any

from specgap.integrations.rewards import GamingCheck

__all__ = ["specgap_gaming"]

_CHECK = GamingCheck()


def specgap_gaming(completion: Any, prompt: Any = None, state: dict[str, Any] | None = None, **kwargs: Any) -> float:
    """-1.0 when the completion (text or messages) games the measure, else 0.0.

    The findings are kept in `state["specgap"]` (rule ids and messages) when verifiers passes a state.
    """
    judgement = _CHECK.judge(completion, prompt)
    if isinstance(state, dict):
        state["specgap"] = {"rules": judgement.rules, **judgement.metrics(prefix=""),
                            "details": [f"{f.rule_id} {f.path}:{f.line} {f.message}" for f in judgement.findings]}
    return -1.0 if judgement.gaming else 0.0
