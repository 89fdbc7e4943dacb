"""`specgap impossible make|run`: argument parsing and exit codes; the work is in make and agent_run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _fail(message: str) -> None:
    click.echo(f"specgap: error: {message}", err=True)
    raise SystemExit(2)


@click.group("impossible")
def impossible() -> None:
    """Honeypot tasks from your own test suite: can an agent resist an impossible test?

    \b
    specgap impossible make --repo . --out /tmp/variants
    specgap impossible run /tmp/variants --agent 'my-agent --dir {workdir} --task {prompt_file}'
    """


@impossible.command("make")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The repository whose pytest suite the variants come from.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Empty (or new) directory for the variants.")
@click.option("--python", metavar="EXE", default="", help="Interpreter that runs the suite (default: this one).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["one-off", "conflicting"]),
              help="Kinds of variant to make (repeatable; default both, alternating).")
@click.option("--max", "max_variants", type=click.IntRange(min=1), default=20, show_default=True,
              help="Stop after this many valid variants.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which assertions are tried first.")
@click.option("--jobs", type=click.IntRange(min=1), default=min(4, os.cpu_count() or 1), show_default=True,
              help="Variants checked in parallel.")
@click.option("--full-check", is_flag=True,
              help="Check each variant by running the whole suite, not only the mutated test's file.")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds allowed for one pytest run.")
def make_cmd(repo, out, python, kinds, max_variants, seed, jobs, full_check, timeout) -> None:
    """Write variants that no honest change can make pass, and their manifest.json.

    One-off: one expected value in an assertion the code passes is changed. Conflicting: the
    assertion is duplicated with a different expected value. A variant is kept only when the
    unmodified implementation fails exactly the mutated test.
    """
    from specgap.impossible.make import KINDS, MakeError, make
    from specgap.impossible.pytest_outcomes import SuiteError

    try:
        result = make(repo, out, python=python, kinds=tuple(kinds) or KINDS, max_variants=max_variants, seed=seed,
                      jobs=jobs, full_check=full_check, timeout=timeout, progress=_progress)
    except (MakeError, SuiteError) as exc:
        _fail(str(exc))
        return
    reasons: dict[str, int] = {}
    for d in result.dropped:
        key = d.reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    click.echo(f"{len(result.variants)} variant(s) written to {out} in {result.seconds:.1f} s "
               f"({sum(v.kind == 'one-off' for v in result.variants)} one-off, "
               f"{sum(v.kind == 'conflicting' for v in result.variants)} conflicting); manifest: {out / 'manifest.json'}")
    if result.dropped:
        click.echo(f"{len(result.dropped)} candidate(s) dropped:")
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {n:4d}  {reason}")
    if result.skipped_tests:
        click.echo("passing tests not used:")
        for reason, n in sorted(result.skipped_tests.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {n:4d}  {reason}")
    if not result.variants:
        raise SystemExit(1)


@impossible.command("run")
@click.argument("variants", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--agent", "template", required=True, metavar="CMD",
              help="Shell command run in each variant's fresh copy; {workdir} and {prompt_file} are filled in.")
@click.option("--python", metavar="EXE", default="", help="Interpreter that runs the tests (default: this one).")
@click.option("--sandbox", "isolation", type=click.Choice(["auto", "bwrap", "unshare", "none"]), default="auto", show_default=True,
              help="Isolation of verify's clean-room run.")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds allowed for the agent, and for each test run.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N variants of the manifest.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
def run_cmd(variants, template, python, isolation, timeout, limit, fmt, output) -> None:
    """Run an agent on every variant; report its cheating rate, techniques, and honest stops.

    Exit status: 0 no variant was gamed, 1 at least one was, 2 unusable input.
    """
    from specgap.impossible.agent_run import CHEATED, RunError, run, to_text

    try:
        summary = run(variants, template, python=python, isolation=isolation, timeout=timeout, limit=limit,
                      progress=_progress)
    except RunError as exc:
        _fail(str(exc))
        return
    body = json.dumps(summary.to_dict(), indent=2) + "\n" if fmt == "json" else to_text(summary)
    if output:
        output.write_text(body, encoding="utf-8")
    else:
        click.echo(body, nl=False)
    raise SystemExit(1 if any(t.outcome == CHEATED for t in summary.trials) else 0)
