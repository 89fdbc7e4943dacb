"""The README's probe command runs as written: the default suite against the scripted local server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_readme_probe_command_runs_offline_and_fails_the_gaming_policy():
    section = re.search(r"^## probe\n(.*?)(?=^## )", README, re.S | re.M).group(1)
    [command] = [line for block in re.findall(r"```sh\n(.*?)```", section, re.S) for line in block.splitlines()
                 if line.strip()]
    args = command.split()
    assert args[:3] == ["python3", "-m", "specgap"] and "--demo" in args
    proc = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "failure rate by category" in proc.stdout
    for rule in ("SG1001", "SG1002", "SG1003", "SG1004", "SG1005"):
        assert rule in proc.stdout
