"""What every RL adapter shares: judge one completion, log what was found, adjust the reward.

Monitor-only is the default: the reward is returned unchanged and the finding is logged. The
opt-in modes are `penalty` (subtract `penalty` from the reward of a gamed sample) and `zero`
(a gamed sample earns 0). A sample counts as gamed when a finding is at or above `threshold`
(default high: a penalty must be earned, low and medium findings are only logged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

from specgap.model import Finding, Severity

Mode = Literal["monitor", "penalty", "zero"]
MODES = ("monitor", "penalty", "zero")
_LEVEL = {s: i + 1 for i, s in enumerate(Severity)}  # low=1 ... critical=4; 0 = no finding


@dataclass(frozen=True)
class Judgement:
    """specgap's view of one completion."""

    findings: list[Finding] = field(default_factory=list)
    gaming: bool = False
    errors: int = 0  # parts of the completion that could not be read

    def metrics(self, prefix: str = "specgap_") -> dict[str, float]:
        """Numbers to log next to the reward (every framework's logger takes floats)."""
        top = max((_LEVEL[f.severity] for f in self.findings), default=0)
        return {f"{prefix}gaming": float(self.gaming), f"{prefix}findings": float(len(self.findings)),
                f"{prefix}max_severity": float(top)}

    @property
    def rules(self) -> str:
        """The rule ids found, comma-separated (for text logs and completion tables)."""
        return ",".join(sorted({f.rule_id for f in self.findings}))


@dataclass(frozen=True)
class GamingCheck:
    """How a reward adapter treats gaming: `mode`, `penalty` and `threshold` (see module doc)."""

    mode: Mode = "monitor"
    penalty: float = 1.0
    threshold: Severity | str = Severity.HIGH

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        object.__setattr__(self, "threshold", Severity(self.threshold))

    def judge(self, completion: str | Sequence[Any] | dict[str, Any], prompt: Any = None) -> Judgement:
        """Scan a completion (text or chat messages); `prompt` lets rules see the task's tests."""
        from specgap.integrations.api import scan_rollout

        if prompt is not None:
            completion = as_messages(prompt) + as_messages(completion, role="assistant")
        out = scan_rollout(completion)
        threshold = Severity(self.threshold)
        return Judgement(list(out), any(f.severity >= threshold for f in out), len(out.errors))

    def adjust(self, reward: float, judgement: Judgement) -> float:
        """The reward after this check: unchanged unless the sample games and a mode opts in."""
        if not judgement.gaming or self.mode == "monitor":
            return reward
        return 0.0 if self.mode == "zero" else reward - self.penalty


def as_messages(value: Any, role: str = "user") -> list[Any]:
    """A prompt or completion as chat messages (strings become one message with `role`)."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if isinstance(value, dict):
        return list(value.get("messages", [value]))
    return list(value)
