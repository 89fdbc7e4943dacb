"""specgap: catch AI agents gaming the measure instead of doing the work.

    >>> import specgap
    >>> result = specgap.scan_repo(".", base="main")
    >>> [f.rule_id for f in result.findings], result.errors, result.summary["by_severity"]

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
}
__all__ = [
    "BaselineError", "Confidence", "Config", "ConfigError", "Finding", "InputError", "InputFailure", "Kind",
    "ScanResult", "Severity", "__version__", "baseline_document", "read_baseline", "scan_diff", "scan_files",
    "scan_repo", "scan_trees",
]

if TYPE_CHECKING:
    from specgap.config import Config, ConfigError
    from specgap.inputs.errors import InputFailure
    from specgap.model import Confidence, Finding, InputError, Kind, Severity
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


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'specgap' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
