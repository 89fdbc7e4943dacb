"""The GitHub Action's step (action.yml runs `python -m specgap.integrations.github_action`).

Inputs arrive as SPECGAP_* environment variables (action.yml maps each `inputs.x` to one). It
runs `specgap scan` (and `specgap verify` when asked), writes the SARIF file for code scanning,
annotations on the diff, a Markdown job summary to $GITHUB_STEP_SUMMARY and outputs to
$GITHUB_OUTPUT, and exits with the scan's (and verify's) exit code.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

_ZERO_SHA = "0" * 40


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SPECGAP_{name}", "").strip() or default


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def event_base() -> str:
    """The revision a change is judged against when `base` is not given: a pull request's base
    commit, or the commit before a push."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return ""
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if isinstance(pr, dict) and isinstance(pr.get("base"), dict):
        return str(pr["base"].get("sha") or "")
    before = event.get("before") if isinstance(event, dict) else None
    return before if isinstance(before, str) and before != _ZERO_SHA else ""


def scan_args(base: str) -> list[str]:
    """`specgap scan` options from the action's inputs (the same names as the CLI's)."""
    args = ["--repo", "."]
    if base:
        args += ["--base", base]
    for name, opt in (("FAIL_ON", "--fail-on"), ("SELECT", "--select"), ("IGNORE", "--ignore"),
                      ("CONFIG", "--config"), ("BASELINE", "--baseline")):
        if _env(name):
            args += [opt, _env(name)]
    return args


def _specgap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specgap", *args], capture_output=True, text=True)


def _append(var: str, text: str) -> None:
    target = os.environ.get(var)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def summary_markdown(report: dict[str, Any], verify: dict[str, Any] | None, exit_code: int) -> str:
    """The job summary: a verdict line, counts by severity, and a table of findings."""
    findings = report.get("findings", [])
    summary = report.get("summary", {})
    counts = ", ".join(f"{n} {sev}" for sev, n in summary.get("by_severity", {}).items() if n)
    head = "passed" if exit_code == 0 else "failed"
    lines = [f"## specgap: {head}", "",
             f"{len(findings)} finding(s){f' ({counts})' if counts else ''} in {summary.get('files_scanned', 0)} "
             f"changed file(s), {_cell(str(summary.get('source', '')))}; fail-on: {summary.get('fail_on', '')}.", ""]
    if findings:
        lines += ["| rule | severity | where | what |", "| --- | --- | --- | --- |"]
        for f in findings[:200]:
            lines.append(f"| {f['rule_id']} {f['name']} | {f['severity']} ({f['confidence']} confidence) | "
                         f"`{_cell(f['path'])}:{f['line']}` | {_cell(f['message'])} |")
        if len(findings) > 200:
            lines.append(f"\n... and {len(findings) - 200} more in the SARIF file.")
        lines.append("")
    for e in report.get("errors", [])[:50]:
        lines.append(f"- could not read `{_cell(e.get('path', ''))}`: {_cell(e.get('message', ''))}")
    if verify is not None:
        counts = verify.get("counts") or {}
        lines += ["", f"### verify: {_cell(str(verify.get('verdict', 'see the log')))}", ""]
        if verify.get("message"):
            lines.append(_cell(str(verify["message"])))
        if counts:
            lines.append(f"Trusted tests passed: {counts.get('passed')}/{counts.get('total')}.")
        lines.append("")
    lines.append("Each rule's page: `specgap rule SGnnn`.\n")
    return "\n".join(lines)


def main() -> int:
    workdir = _env("WORKING_DIRECTORY", ".")
    os.chdir(workdir)
    base = _env("BASE") or event_base()
    sarif_file = _env("SARIF_FILE", "specgap.sarif")
    args = scan_args(base)
    # the SARIF file is written last: in the working tree, it would otherwise be part of the change
    first = _specgap("scan", *args, "--format", "json", "--exit-zero")
    if first.returncode == 2:
        sys.stderr.write(first.stderr)
        return 2
    report = json.loads(first.stdout)
    gh = _specgap("scan", *args, "--format", "github")
    sys.stdout.write(gh.stdout)  # annotations on the pull request's diff
    sys.stderr.write(gh.stderr)
    Path(sarif_file).parent.mkdir(parents=True, exist_ok=True)
    sarif = _specgap("scan", *args, "--format", "sarif", "-o", sarif_file, "--exit-zero")
    if sarif.returncode == 2:
        sys.stderr.write(sarif.stderr)
        return 2
    code = gh.returncode
    verify_report: dict[str, Any] | None = None
    if _truthy(_env("VERIFY", "false")):
        vargs = ["verify", "--repo", "."] + (["--base", base] if base else []) + shlex.split(_env("VERIFY_ARGS"))
        ver = _specgap(*vargs, "--format", "json")
        sys.stderr.write(ver.stderr)
        try:
            verify_report = json.loads(ver.stdout or "{}")
        except ValueError:
            verify_report = {"verdict": f"exit {ver.returncode}"}
        code = max(code, ver.returncode)
    _append("GITHUB_STEP_SUMMARY", summary_markdown(report, verify_report, code))
    _append("GITHUB_OUTPUT", f"findings={len(report.get('findings', []))}\nsarif-file={Path(sarif_file).resolve()}\n"
                             f"exit-code={code}\n")
    return 0 if _truthy(_env("EXIT_ZERO", "false")) and code == 1 else code


if __name__ == "__main__":
    sys.exit(main())
