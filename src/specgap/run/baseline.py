"""Baselines: the fingerprints of findings a team has accepted, read and written as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from specgap.model import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used."""


def read_baseline(path: str | Path) -> frozenset[str]:
    """The fingerprints recorded in a file written by `--write-baseline`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
    entries = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"baseline {path}: expected {{\"findings\": [{{\"fingerprint\": ...}}, ...]}}, "
                            "as written by --write-baseline")
    return frozenset(e["fingerprint"] for e in entries)


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """What --write-baseline stores: fingerprints, with enough beside them for a person to read."""
    return {
        "version": BASELINE_VERSION,
        "findings": [
            {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.path, "message": f.message}
            for f in findings
        ],
    }
