"""specgap: catch AI agents gaming the measure instead of doing the work.

    >>> import specgap
    >>> result = specgap.scan_repo(".", base="main")
    >>> [f.rule_id for f in result.findings], result.errors, result.summary["by_severity"]

Everything else is private and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Finding", "ScanResult", "scan_code", "scan_diff", "scan_files", "scan_repo", "scan_rollout", "__version__"]
_API = ("scan_code", "scan_rollout")

if TYPE_CHECKING:
    from specgap.engine import ScanResult, scan_diff, scan_files, scan_repo
    from specgap.integrations.api import scan_code, scan_rollout
    from specgap.model import Finding


def __getattr__(name: str) -> Any:
    # Loaded on first use: `import specgap.model` (every rule does) must not pull in the engine,
    # the inputs and the whole catalog.
    if name == "Finding":
        from specgap.model import Finding

        return Finding
    if name in _API:  # per-sample calls for RL reward functions
        from specgap.integrations import api

        return getattr(api, name)
    if name in __all__:
        from specgap import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'specgap' has no attribute {name!r}")
