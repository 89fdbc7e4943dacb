"""The `specgap` command: argument parsing and exit codes only; the work lives in the packages.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import IO, Any

import click

from specgap import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_SEVERITIES = ("low", "medium", "high", "critical")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specgap")
def main() -> None:
    """Catch AI agents gaming the measure instead of doing the work."""


def _fail(message: str) -> None:
    """Report an unusable input or config on stderr and exit 2, without a traceback."""
    click.echo(f"specgap: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v for value in values for v in value.split(",") if v.strip())


def _color(out: IO[str] | None) -> bool:
    stream = out or sys.stdout
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


@main.command()
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The git repository to scan (default: the current directory); with --diff, the tree after the change, so rules see whole files.")
@click.option("--base", metavar="REV", help="Scan everything changed since REV (committed or not), not just the uncommitted change.")
@click.option("--staged", is_flag=True, help="Scan only the staged change (HEAD vs the index), as a pre-commit hook sees it.")
@click.option("--diff", "diff_file", type=click.File("rb"), metavar="FILE", help="Scan a unified diff ('-' for stdin).")
@click.option("--files", "files_mode", is_flag=True, help="Scan PATHS (files, directories, transcripts) as written by the agent.")
@click.option("--trees", nargs=2, type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="BEFORE AFTER",
              help="Scan the difference between two directory trees.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "sarif", "github"]), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write the report to a file.")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), help="Lowest severity that makes the exit code 1 [default: medium].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (unusable input still exits 2).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read config from this file instead of discovering it.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--select", multiple=True, metavar="IDS", help="Run only these rules (ids or prefixes, comma-separated).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Do not run these rules (ids or prefixes, comma-separated).")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Leave out findings whose fingerprint is in this file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current findings' fingerprints in this file (and exit 0).")
def scan(repo: Path | None, base: str | None, staged: bool, diff_file: IO[bytes] | None, files_mode: bool,
         trees: tuple[Path, Path] | None, paths: tuple[Path, ...], fmt: str, output: Path | None,
         fail_on: str | None, exit_zero: bool, config_file: Path | None, isolated: bool,
         select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
         write_baseline: Path | None) -> None:
    """Scan a change for signs that the measure was gamed.

    \b
    specgap scan                          uncommitted and untracked changes vs HEAD
    specgap scan --base main              everything since main
    specgap scan --staged                 what `git commit` would record now
    specgap scan --diff change.patch      a unified diff (add --repo DIR for whole files)
    specgap scan --files out/ log.jsonl   files or transcripts, every line as written by the agent
    specgap scan --trees before/ after/   two directory trees
    """
    from specgap import config as config_mod
    from specgap import engine, report
    from specgap.inputs import InputFailure
    from specgap.model import Severity

    modes = [name for name, on in (("--staged", staged), ("--diff", diff_file), ("--files", files_mode), ("--trees", trees)) if on]
    if len(modes) > 1:
        raise click.UsageError(f"choose one input: {' or '.join(modes)}")
    mode = modes[0] if modes else "git"
    if paths and mode != "--files":
        raise click.UsageError("paths are scanned only with --files (e.g. `specgap scan --files src/`)")
    if mode == "--files" and not paths:
        raise click.UsageError("--files needs at least one path")
    if base and mode != "git":  # --staged is always against HEAD
        raise click.UsageError("--base applies to a git scan, not to " + mode)
    if repo and mode not in ("git", "--staged", "--diff"):
        raise click.UsageError("--repo applies to a git scan, --staged or --diff, not to " + mode)

    try:
        # bytes: the diff reader reports undecodable text per file instead of failing the whole diff
        text = diff_file.read() if diff_file is not None else b""
        writes = (engine.diff_writes(text, repo) if mode == "--diff"
                  else engine.files_writes(paths) if mode == "--files" else {})
        cfg = config_mod.resolve(
            config_file=config_file, isolated=isolated,
            git=(repo or Path.cwd(), base) if mode in ("git", "--staged") else None,
            start=repo if mode == "--diff" else trees[0] if trees else None,
            **writes,
        )
        cfg = cfg.merged(
            select=config_mod.check_selectors(_split(select), "--select"),
            ignore=config_mod.check_selectors(_split(ignore), "--ignore"),
            fail_on=Severity(fail_on) if fail_on else None,
        )
        known = frozenset() if write_baseline or baseline is None else engine.read_baseline(baseline)
        if mode == "git":
            result = engine.scan_repo(repo or Path.cwd(), base, config=cfg, baseline=known)
        elif mode == "--staged":
            from specgap.inputs import load_staged

            result = engine.scan(load_staged(repo or Path.cwd(), roles=cfg.roles()), cfg, baseline=known)
        elif mode == "--diff":
            result = engine.scan_diff(text, repo=repo, config=cfg, baseline=known)
        elif mode == "--files":
            result = engine.scan_files(paths, config=cfg, baseline=known)
        else:
            assert trees is not None
            result = engine.scan_trees(trees[0], trees[1], config=cfg, baseline=known)
    except (config_mod.ConfigError, engine.BaselineError, InputFailure) as exc:
        _fail(str(exc))
        return
    except (RecursionError, MemoryError, UnicodeError, OSError, ValueError) as exc:
        # input the readers did not anticipate: still one clear line, never a traceback
        where = traceback.extract_tb(exc.__traceback__)[-1]
        _fail(f"could not read the input ({type(exc).__name__}: {exc}; at {Path(where.filename).name}:{where.lineno})")
        return

    if write_baseline is not None:
        _write(write_baseline, json.dumps(engine.baseline_document(result.findings), indent=2) + "\n")
        click.echo(f"specgap: wrote {len(result.findings)} fingerprint(s) to {write_baseline}", err=True)

    color = fmt == "text" and output is None and _color(None)
    body = report.render(fmt, result.findings, result.errors, result.summary, color=color)
    if output is not None:
        _write(output, body)
    else:
        click.echo(body, nl=False)
    if fmt in report.ERRORS_ON_STDERR and result.errors:
        click.echo(report.render_errors(result.errors, color=_color(sys.stderr)), err=True, nl=False)

    if not result.summary["files_scanned"] and result.errors:
        sys.exit(EXIT_ERROR)  # nothing could be read at all: a clean report would be a lie
    if write_baseline is None and not exit_zero and result.fails(cfg.fail_on):
        sys.exit(EXIT_FINDINGS)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List every rule: id, name, kind, severity and summary."""
    from specgap.report import catalog
    from specgap.rules import all_rules

    rules = all_rules()
    if fmt == "markdown":
        click.echo(catalog.markdown(rules), nl=False)
    elif fmt == "json":
        rows: list[dict[str, Any]] = [
            {"id": r.id, "name": r.name, "kind": r.kind.value, "severity": r.severity.value,
             "confidence": r.confidence.value, "summary": r.summary()}
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(catalog.table(rules), nl=False)


@main.command("rule")
@click.argument("key")
def rule_cmd(key: str) -> None:
    """Print one rule's page, by id (SG401) or name (always-equal)."""
    from specgap.report import catalog
    from specgap.rules import get_rule

    rule = get_rule(key)
    if rule is None:
        _fail(f"no rule {key!r}; `specgap rules` lists them")
        return
    click.echo(catalog.page(rule), nl=False)


def _unavailable(name: str, reason: str) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"(unavailable in this installation: {reason})")
    def command() -> None:
        _fail(f"`specgap {name}` is not available in this installation: {reason}")

    return command


def _add_optional_commands() -> None:
    # verify and monitor live in their own packages; each exposes one click command. A part that
    # is missing (or fails to import) must not take the rest of the CLI down with it.
    import importlib

    for name in ("verify", "monitor", "impossible", "probe"):
        try:
            module = importlib.import_module(f"specgap.{name}.command")
            main.add_command(getattr(module, name))
        except (ImportError, AttributeError) as exc:
            main.add_command(_unavailable(name, str(exc)))
    from specgap.integrations import command as integrations  # install, hook: agent integrations

    main.add_command(integrations.install)
    main.add_command(integrations.hook)


_add_optional_commands()
