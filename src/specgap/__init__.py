"""specgap: catch AI agents gaming the measure instead of doing the work.

    >>> import specgap
    >>> result = specgap.scan_repo(".", base="main")
    >>> [f.rule_id for f in result.findings], result.errors, result.summary["by_severity"]

Everything else is private and may change.
"""

__version__ = "0.1.0"

from specgap.engine import ScanResult, scan_diff, scan_files, scan_repo  # noqa: E402
from specgap.model import Finding  # noqa: E402

__all__ = ["Finding", "ScanResult", "scan_diff", "scan_files", "scan_repo", "__version__"]
