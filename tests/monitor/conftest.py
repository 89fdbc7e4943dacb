"""Helpers for the monitor tests: run the command on a polars frame written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from specgap.cli import _add_optional_commands, main


@pytest.fixture
def invoke(tmp_path: Path):
    """invoke(frame_or_path, *args) -> (exit_code, parsed JSON or None, output)."""
    try:
        _add_optional_commands()
    except ImportError:  # another part (verify) not built or broken right now: register monitor alone
        from specgap.monitor.command import monitor

        main.add_command(monitor)

    def run(data, *args: str, fmt: str = "json", suffix: str = ".csv"):
        if isinstance(data, (str, Path)):
            path = str(data)
        else:
            path = str(tmp_path / f"log{suffix}")
            if suffix == ".csv":
                data.write_csv(path)
            elif suffix == ".parquet":
                data.write_parquet(path)
            else:
                data.write_ndjson(path)
        res = CliRunner().invoke(main, ["monitor", path, "--format", fmt, *args], catch_exceptions=False)
        parsed = None
        if fmt == "json" and res.exit_code in (0, 1):
            parsed = json.loads(res.stdout)
            internal = [n for n in parsed["summary"]["notes"] if "internal error" in n["message"]]
            assert not internal, internal
        return res.exit_code, parsed, res.output

    return run


def fired(report: dict, rule_id: str, group: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == rule_id and f.get("group") == group]
