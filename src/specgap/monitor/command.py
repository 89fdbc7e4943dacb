"""`specgap monitor`: parsing and exit codes only. Heavy imports (polars, scipy, matplotlib) happen
inside the command, since `specgap scan` loads this module too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from specgap.monitor.load import LogError
from specgap.monitor.spec import Spec, SpecError, find_config, load_config

_SEVERITIES = ["low", "medium", "high", "critical"]


@click.command("monitor")
@click.argument("logs", nargs=-1, required=True)
@click.option("--step", help="Time, step or version column.")
@click.option("--group", help="Group column (model, prompt category): checks run per group and overall.")
@click.option("--proxy", multiple=True, help="Proxy metric column (repeatable); for pairs, the judge's choice.")
@click.option("--truth", multiple=True, help="Ground-truth metric column (repeatable).")
@click.option("--length", help="Output length column.")
@click.option("--text", help="Output text column (length, style and degenerate-text checks).")
@click.option("--reference", help="Reference text column (shown in the audit queue).")
@click.option("--self", "self_rating", help="The model's rating of its own output.")
@click.option("--independent", help="An independent rating of the same output.")
@click.option("--pred", help="Classifier flag column (1 = flagged).")
@click.option("--label", help="True label column (1 = should be flagged).")
@click.option("--session", help="Session or episode id: divergence inside each session.")
@click.option("--model", help="Model column: length bias measured within each model (length-controlled means).")
@click.option("--prompt", help="Prompt or instruction column: length bias measured within each prompt.")
@click.option("--pair-model-a", help="Pairwise: model that wrote output A (length-controlled win rates).")
@click.option("--pair-model-b", help="Pairwise: model that wrote output B.")
@click.option("--pair-length-a", help="Pairwise: length of output A.")
@click.option("--pair-length-b", help="Pairwise: length of output B.")
@click.option("--pair-text-a", help="Pairwise: text of output A.")
@click.option("--pair-text-b", help="Pairwise: text of output B.")
@click.option("--truth-reliability", type=float,
              help="Share of the truth's variance that is quality (1 for an exact verifier; from inter-annotator "
                   "agreement for human labels). Default: not assumed, and the length check then also requires "
                   "the proxy to go with length more than the truth does.")
@click.option("--alpha", type=float, help="Family-wise false-alarm rate per run (Holm). Default 0.01.")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), help="Exit 1 at or above this severity. Default medium.")
@click.option("--audit", type=click.Path(dir_okay=False), help="Write the audit queue here (.csv, else JSONL).")
@click.option("--audit-size", type=int, help="Rows in the audit queue. Default 50.")
@click.option("--config", type=click.Path(dir_okay=False), help="TOML file with [tool.specgap.monitor].")
@click.option("--engine", type=click.Choice(["polars", "ray"]), default="polars", show_default=True,
              help="Where the aggregates every check runs on are computed for logs over 2M rows: polars on "
                   "this machine (streaming), or Ray Data, one shard per file (pip install 'specgap[ray]'; "
                   "then for any size).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "sarif", "github", "html"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
def monitor(logs: tuple[str, ...], config: str | None, fmt: str, output: str | None, engine: str,
            **opts: object) -> None:
    """Does a proxy metric still track its goal? Reads CSV, JSONL or Parquet logs (files or globs).

    Exit 1 when a check fires at or above --fail-on, 0 otherwise, 2 on usage or input errors.
    """
    try:
        base = load_config(Path(config)) if config else _discovered()
        spec = base.merged(opts)
        from specgap.monitor.run import run

        report = run(list(logs), spec, engine)
    except (SpecError, LogError) as exc:
        _fail(str(exc))
    from specgap.model import Severity

    if report.audit is not None and spec.audit:
        from specgap.monitor.audit import write

        try:
            write(report.audit, spec.audit)
        except OSError as exc:
            _fail(f"{spec.audit}: cannot write the audit queue: {exc}")
    from specgap import report as shared

    if fmt == "html":
        from specgap.monitor.html import render

        text = render(report)
    else:
        from specgap.monitor.output import render as render_as

        text = render_as(report, fmt, color=fmt == "text" and output is None and _color(sys.stdout))
    if fmt in shared.ERRORS_ON_STDERR and report.errors:
        click.echo(shared.render_errors(report.errors, color=_color(sys.stderr)), err=True, nl=False)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc}")
    else:
        click.echo(text, nl=False)
    sys.exit(1 if report.failing(Severity(spec.fail_on)) else 0)


def _color(stream: object) -> bool:
    return not os.environ.get("NO_COLOR") and bool(getattr(stream, "isatty", lambda: False)())


def _discovered() -> Spec:
    path = find_config(Path.cwd())
    return load_config(path) if path else Spec()


def _fail(msg: str) -> None:
    from specgap.report.text import visible

    # messages quote the log (column names, cells): never let its bytes drive the terminal
    click.echo(f"specgap monitor: {visible(msg)}", err=True)
    sys.exit(2)
