"""specgap: catch AI agents gaming the measure instead of doing the work.

    >>> import specgap
    >>> result = specgap.scan_repo(".", base="main")
    >>> [f.rule_id for f in result.findings], result.errors, result.summary["by_severity"]
    >>> for rollout in specgap.read_rollouts("session.jsonl"):   # or a RolloutError, said why
    ...     outcome = specgap.evaluate_rollout(rollout)

Everything else is private and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it; imported on first use: `import specgap.model` (every rule
# does) must not pull in the engine, the inputs and the whole catalog.
_PUBLIC = {
    "Finding": "specgap.model",
    "Severity": "specgap.model",
    "Confidence": "specgap.model",
    "Kind": "specgap.model",
    "InputError": "specgap.model",
    "Config": "specgap.config",
    "ConfigError": "specgap.config",
    "InputFailure": "specgap.inputs.errors",
    "ScanResult": "specgap.run",
    "scan_diff": "specgap.run",
    "scan_files": "specgap.run",
    "scan_repo": "specgap.run",
    "scan_trees": "specgap.run",
    "BaselineError": "specgap.run",
    "read_baseline": "specgap.run",
    "baseline_document": "specgap.run",
    # per-sample calls for RL reward functions
    "scan_code": "specgap.integrations.api",
    "scan_rollout": "specgap.integrations.api",
    # transcripts: every rollout in a file, in any format specgap reads; every rule on one rollout
    "Rollout": "specgap.rollout",
    "read_rollouts": "specgap.inputs.transcripts:read",
    "evaluate_rollout": "specgap.run.evaluate",
}
__all__ = [
    "BaselineError", "Confidence", "Config", "ConfigError", "Finding", "InputError", "InputFailure", "Kind",
    "Rollout", "ScanResult", "Severity", "__version__", "baseline_document", "evaluate_rollout", "read_baseline",
    "read_rollouts", "scan_code", "scan_diff", "scan_files", "scan_repo", "scan_rollout", "scan_trees",
]

if TYPE_CHECKING:
    from specgap.config import Config, ConfigError
    from specgap.inputs.errors import InputFailure
    from specgap.integrations.api import scan_code, scan_rollout
    from specgap.inputs.transcripts import read as read_rollouts
    from specgap.model import Confidence, Finding, InputError, Kind, Severity
    from specgap.rollout import Rollout
    from specgap.run import (
        BaselineError,
        ScanResult,
        baseline_document,
        read_baseline,
        scan_diff,
        scan_files,
        scan_repo,
        scan_trees,
    )
    from specgap.run.evaluate import evaluate_rollout


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'specgap' has no attribute {name!r}")
    import importlib

    module, _, attr = module.partition(":")
    return getattr(importlib.import_module(module), attr or name)
