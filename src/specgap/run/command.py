"""`specgap transcripts`: find gaming in agent sessions and RL rollouts, from one file to millions.

Parsing options and exit codes only; reading, evaluation and output live in inputs/transcripts,
run/evaluate, run/local, run/sinks and run/summary.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_SEVERITIES = ("low", "medium", "high", "critical")


def _fail(message: str) -> None:
    click.echo(f"specgap: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@click.command("transcripts")
@click.argument("paths", nargs=-1, required=True)
@click.option("--input-format", "fmt", type=click.Choice(["auto", "chat", "anthropic", "claude-code", "codex", "inspect",
              "swe-agent", "mini-swe-agent", "openhands", "markdown", "jsonl", "parquet"]), default="auto", show_default=True,
              help="Read every input as this format instead of recognising it by content.")
@click.option("--format", "report_fmt", type=click.Choice(["text", "json", "jsonl", "html"]), default="text", show_default=True,
              help="What goes to stdout: the summary (text, json, html) or a row per finding and per rollout (jsonl).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Stream a row per finding and per rollout to this file (.jsonl) or directory (.parquet).")
@click.option("--resume", is_flag=True, help="Skip the rollouts --output already holds, and append to it.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [default: all cores].")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: a process pool on this machine; ray: a running Ray cluster, or a local Ray (specgap[ray]).")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), help="Lowest severity that makes the exit code 1 [default: medium].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (nothing readable still exits 2).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read config from this file instead of discovering it.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--select", multiple=True, metavar="IDS", help="Run only these rules (ids or prefixes, comma-separated).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Do not run these rules (ids or prefixes, comma-separated).")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr [default: when stderr is a terminal].")
@click.option("--judge", "judge_model", metavar="MODEL", help="Also ask this LLM for a verdict per rollout (SG1190; off by default).")
@click.option("--judge-url", default="https://api.openai.com/v1", show_default=True, metavar="URL",
              help="OpenAI-compatible endpoint of the judge (its /chat/completions is called).")
@click.option("--judge-key-env", default="OPENAI_API_KEY", show_default=True, metavar="NAME",
              help="Environment variable holding the judge's API key.")
@click.option("--judge-price", metavar="IN,OUT", help="USD per million prompt and completion tokens, for the cost in the summary.")
def transcripts(paths: tuple[str, ...], fmt: str, report_fmt: str, output: Path | None, resume: bool, jobs: int | None,
                engine: str, fail_on: str | None, exit_zero: bool, config_file: Path | None, isolated: bool,
                select: tuple[str, ...], ignore: tuple[str, ...], progress: bool | None, judge_model: str | None,
                judge_url: str, judge_key_env: str, judge_price: str | None) -> None:
    """Find gaming in agent sessions and RL rollouts (files, directories, globs, shards).

    \b
    specgap transcripts session.jsonl                 one Claude Code / Codex session
    specgap transcripts logs/*.eval                   Inspect logs
    specgap transcripts shards/ -o results.jsonl      many rollouts, results streamed
    specgap transcripts shards/ -o results.jsonl --resume
    """
    from specgap import config as config_mod
    from specgap.engine import select_rules
    from specgap.model import Severity
    from specgap.rules import rollout_rules, scan_rules
    from specgap.run import local, sinks
    from specgap.run.judge import RULE_ID as JUDGE
    from specgap.run.judge import Judge
    from specgap.run.summary import Summary

    if resume and output is None:
        raise click.UsageError("--resume needs --output (the results to resume)")
    try:
        cfg = config_mod.resolve(config_file=config_file, isolated=isolated)
        cfg = cfg.merged(select=config_mod.check_selectors(_split(select), "--select"),
                         ignore=config_mod.check_selectors(_split(ignore), "--ignore"),
                         fail_on=Severity(fail_on) if fail_on else None)
    except config_mod.ConfigError as exc:
        _fail(str(exc))
        return
    judge = None
    if judge_model:
        try:
            price_in, price_out = (float(p) for p in (judge_price or "0,0").split(","))
        except ValueError:
            raise click.BadParameter("give two numbers, e.g. 2.5,10", param_hint="--judge-price") from None
        judge = Judge(judge_model, judge_url, judge_key_env, price_in, price_out)
    rules = local.Rules(tuple(r.id for r in select_rules(rollout_rules(), cfg.select, cfg.ignore)),
                        tuple(r.id for r in select_rules(scan_rules(), cfg.select, cfg.ignore)), judge)
    summary = Summary(cfg.fail_on)
    try:
        done = sinks.done_keys(output) if resume and output is not None else set()
        sink = sinks.open_sink(output, append=resume) if output is not None else None
    except (OSError, ValueError) as exc:
        _fail(f"cannot use {output}: {exc}")
        return
    show = progress if progress is not None else sys.stderr.isatty()
    bar = _Progress(show)
    failed = False

    def on_outcome(o: Any) -> None:
        nonlocal failed
        summary.add(o)
        if sink is not None:
            sink.write(o)
        if report_fmt == "jsonl":
            for row in sinks.finding_rows(o) + [o.row()]:
                click.echo(json.dumps(row, ensure_ascii=False, default=str))
        if any(f.severity >= cfg.fail_on and f.rule_id != JUDGE for f in o.findings):  # the judge is a second opinion
            failed = True
        bar.advance(o)

    try:
        with bar:
            if engine == "ray":
                from specgap.run import ray_engine

                ray_engine.run(list(paths), rules, fmt=fmt, jobs=jobs, done=done, on_outcome=on_outcome)
            else:
                local.run(list(paths), rules, fmt=fmt, jobs=jobs, done=done, on_outcome=on_outcome)
    except KeyboardInterrupt:
        click.echo("specgap: interrupted; results written so far are kept (use --resume)", err=True)
        sys.exit(130)
    except RuntimeError as exc:
        if engine != "ray":
            raise
        _fail(str(exc))
    except BrokenProcessPool as exc:  # a worker killed (out of memory, a crash in a library)
        _fail(f"a worker process died ({exc}); results written so far are kept (use --resume)")
    finally:
        if sink is not None:
            sink.close()
    report = summary.to_dict()
    report["skipped_as_done"] = len(done)
    if report_fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    elif report_fmt == "text":
        click.echo(summary.text(), nl=False)
    elif report_fmt == "html":
        from specgap.run import html

        click.echo(html.render(summary), nl=False)
    else:
        click.echo(summary.text(), err=True, nl=False)
    if summary.rollouts == 0 and summary.unreadable and not done:
        sys.exit(EXIT_ERROR)  # nothing could be read: a clean report would be a lie
    if failed and not exit_zero:
        sys.exit(EXIT_FINDINGS)


class _Progress:
    """Rollouts done and their rate on stderr (the total is unknown while shards stream)."""

    def __init__(self, show: bool) -> None:
        self.progress = None
        if show:
            from rich.console import Console
            from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("rollouts"), MofNCompleteColumn(), TextColumn("{task.fields[gamed]} gamed"),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.task = self.progress.add_task("rollouts", total=None, gamed=0)
        self.gamed = 0

    def __enter__(self) -> "_Progress":
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def advance(self, outcome: Any) -> None:
        if self.progress is not None:
            self.gamed += bool(outcome.findings)
            self.progress.update(self.task, advance=1, gamed=self.gamed)  # type: ignore[arg-type]
