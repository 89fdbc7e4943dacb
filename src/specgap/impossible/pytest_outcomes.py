"""Run pytest and read back, per node id, whether each test passed, and where it is defined.

A tiny plugin (loaded with -p from a temporary directory) writes one JSON line per test phase from
the controlling process, so it works with xdist and with any reporting plugins the project uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PLUGIN = "specgap_impossible_outcomes"
_ENV = "SPECGAP_IMPOSSIBLE_OUTCOMES"
_PLUGIN_SOURCE = f'''
import json, os

def pytest_runtest_logreport(report):
    with open(os.environ["{_ENV}"], "a", encoding="utf-8") as out:
        out.write(json.dumps({{"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
                              "xfail": hasattr(report, "wasxfail"), "location": list(report.location)}}) + "\\n")
'''


@dataclass(frozen=True)
class TestResult:
    nodeid: str
    passed: bool
    path: str           # file defining the test function, relative to the root
    line: int           # 1-based line of its definition (pytest's location)
    name: str           # function name, without parameters


@dataclass
class SuiteRun:
    results: dict[str, TestResult]
    returncode: int
    output: str
    seconds: float

    @property
    def passed(self) -> set[str]:
        return {n for n, r in self.results.items() if r.passed}

    @property
    def failed(self) -> set[str]:
        return {n for n, r in self.results.items() if not r.passed}


class SuiteError(Exception):
    """pytest could not be run at all (no interpreter, no pytest, timeout)."""


def run_pytest(root: Path, targets: list[str], *, python: str = "", timeout: float = 900.0) -> SuiteRun:
    import time

    python = python or sys.executable
    with tempfile.TemporaryDirectory(prefix="specgap-impossible-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / f"{PLUGIN}.py").write_text(_PLUGIN_SOURCE, encoding="utf-8")
        records = tmpdir / "records.jsonl"
        records.touch()
        env = dict(os.environ)
        env[_ENV] = str(records)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmpdir), env.get("PYTHONPATH", "")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        cmd = [python, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider", "-p", "no:randomly",
               "-q", "--tb=no", "-o", "console_output_style=classic", "--rootdir", str(root), *targets]
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, errors="replace", timeout=timeout)
        except FileNotFoundError as exc:
            raise SuiteError(f"cannot run {python!r}: {exc.strerror or exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise SuiteError(f"pytest did not finish within {timeout:.0f} s") from exc
        seconds = time.monotonic() - start
        output = (proc.stdout + proc.stderr)[-4000:]
        if proc.returncode in (3, 4) or "No module named pytest" in proc.stderr:
            raise SuiteError(f"pytest could not run (exit status {proc.returncode}): {output.strip()[-800:]}")
        return SuiteRun(_read(records), proc.returncode, output, seconds)


def _read(records: Path) -> dict[str, TestResult]:
    phases: dict[str, list[dict]] = {}
    for line in records.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        phases.setdefault(rec["nodeid"], []).append(rec)
    results = {}
    for nodeid, recs in phases.items():
        # passed means: a call phase that passed, and no phase that failed, skipped or xfailed
        ok = any(r["when"] == "call" for r in recs) and all(r["outcome"] == "passed" and not r["xfail"] for r in recs)
        path, line, domain = recs[0]["location"]
        name = str(domain).split(".")[-1].split("[")[0]
        results[nodeid] = TestResult(nodeid, ok, str(path).replace(os.sep, "/"), int(line or 0) + 1, name)
    return results
