"""Orchestration: load an input, read its config, apply a baseline, evaluate, summarize.

`engine.evaluate` judges one unit; this package decides where (this process, or a local pool
of workers for whole trees) and with which rules and settings. The public API in `specgap`
re-exports the entry points.

Transcripts at scale: a pure evaluation per rollout (evaluate.py), result sinks that survive a
killed run (sinks.py), a local process pool with resume (local.py), and the summary.
"""

from specgap.run.baseline import BaselineError, baseline_document, read_baseline
from specgap.run.scanning import (
    ScanResult,
    diff_writes,
    files_writes,
    scan,
    scan_diff,
    scan_files,
    scan_repo,
    scan_trees,
    summarize,
)

__all__ = [
    "BaselineError", "ScanResult", "baseline_document", "diff_writes", "files_writes", "read_baseline", "scan",
    "scan_diff", "scan_files", "scan_repo", "scan_trees", "summarize",
]
