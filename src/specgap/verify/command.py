"""`specgap verify`: argument parsing and exit codes; the work lives in session and callmode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from specgap.model import Severity
from specgap.report import visible

from specgap.verify import render, sandbox, verdict
from specgap.verify.junit import to_junit
from specgap.verify.session import RUNNERS, Options, Outcome, scan_findings
from specgap.verify.session import verify as run_verify


@click.command("verify")
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The repository holding the agent's change (working tree).")
@click.option("--base", "base", metavar="REV", help="Trusted base revision: tests, conftests and runner config come from here.")
@click.option("--tests", "tests", multiple=True, type=click.Path(path_type=Path),
              help="Test file or directory: inside the repo, taken from --base; outside, copied as is. Repeatable.")
@click.option("--holdout", type=click.Path(path_type=Path), help="Held-out tests (outside the repo) run in the same clean room.")
@click.option("--call-tests", "call_tests", type=click.Path(path_type=Path),
              help="Function-level tests as data (JSON); the function runs in a worker, comparison in the parent.")
@click.option("--runner", type=click.Choice(RUNNERS), default="pytest", show_default=True,
              help="How the trusted tests run: pytest, unittest, or grader scripts (python test.py).")
@click.option("--python", "python", metavar="EXE", help="Interpreter for the tests (default: the one running specgap).")
@click.option("--sandbox", "sandbox_level", type=click.Choice(["auto", *sandbox.LEVELS]), default="auto", show_default=True)
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Wall-time limit in seconds.")
@click.option("--memory", type=int, default=4096, show_default=True, help="Address-space limit in MiB.")
@click.option("--plugin", "plugins", multiple=True, metavar="NAME",
              help="A trusted pytest plugin from the interpreter's site-packages to load (-p NAME). Repeatable.")
@click.option("--autoload/--no-autoload", default=True, show_default=True,
              help="Load the pytest plugins installed in the interpreter's site-packages (pytest11 entry points), "
                   "as plain pytest does, except any whose code lies in the repository or that the base config "
                   "turns off with -p no:NAME.")
@click.option("--nop-check/--no-nop-check", default=True, show_default=True,
              help="After a pass, run the tests on the base code too (a pass there proves nothing).")
@click.option("--inflation/--no-inflation", default=True, show_default=True,
              help="When the change touched tests or harness, compare the agent's own setup's pass count.")
@click.option("--no-scan", is_flag=True, help="Skip the static scan of the same change.")
@click.option("--fail-on", "fail_on", type=click.Choice([s.value for s in Severity]), default="high", show_default=True,
              help="A passing run still fails when the static scan finds gaming at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "jsonl", "sarif", "github"]), default="text",
              show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only those that did not pass.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
def verify(repo, base, tests, holdout, call_tests, runner, python, sandbox_level, timeout, memory, plugins, autoload,
           nop_check, inflation, no_scan, fail_on, fmt, verbose, output) -> None:
    """Re-run the tests so that a wrong implementation cannot be reported as passing.

    Exit status: 0 pass, 1 fail or tampered, 2 error (one line on stderr).
    """
    limits = sandbox.Limits(wall=timeout, cpu=int(timeout) + 1, memory=memory << 20)
    if call_tests is not None:
        from specgap.verify.callmode import verify_calls

        outcome = verify_calls(repo, call_tests, base=base, python=python or "", sandbox_level=sandbox_level, limits=limits)
    elif not base:
        _die("--base REV is required (or --call-tests FILE)")
    else:
        opts = Options(repo=repo, base=base, tests=tests, holdout=holdout, python=python or "", runner=runner,
                       isolation=sandbox_level, plugins=plugins, autoload=autoload, limits=limits, nop_check=nop_check, inflation=inflation)
        outcome = run_verify(opts)
    v = outcome.verdict
    if v.status == verdict.ERROR and not v.tests and fmt == "text":
        _die(v.message or "the run could not reach a verdict")  # nothing ran: no report to read
    skip_scan = no_scan or not base or (v.status == verdict.ERROR and not outcome.base)
    scan, note = (None, "") if skip_scan else scan_findings(repo, base)
    verdict.account_scan(v, scan, Severity(fail_on))
    color = fmt == "text" and output is None and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    text = _render(outcome, scan, note, fmt, verbose, color)
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)
    if v.status == verdict.ERROR:
        click.echo(f"specgap verify: error: {visible(v.message.splitlines()[0] if v.message else 'no verdict')}", err=True)
    raise SystemExit(verdict.EXIT[v.status])


def _die(message: str) -> None:
    click.echo(f"specgap verify: error: {visible(' '.join(message.split()))}", err=True)
    raise SystemExit(2)


def _render(o: Outcome, scan, note: str, fmt: str, verbose: bool, color: bool) -> str:
    if fmt == "json":
        return render.to_json(o, scan, note)
    if fmt == "junit":
        return to_junit(o)
    if fmt in ("jsonl", "sarif", "github"):
        return render.to_shared(fmt, o, scan, note)
    return render.to_text(o, scan, note, verbose=verbose, color=color)
