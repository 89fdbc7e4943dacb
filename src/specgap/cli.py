"""The `specgap` command: argument parsing and exit codes only; the work lives in the packages."""

from __future__ import annotations

import click

from specgap import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specgap")
def main() -> None:
    """Catch AI agents gaming the measure instead of doing the work."""


def _add_optional_commands() -> None:
    # verify and monitor live in their own packages; each exposes one click command
    from specgap.monitor.command import monitor
    from specgap.verify.command import verify

    main.add_command(verify)
    main.add_command(monitor)
