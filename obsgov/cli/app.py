"""The root ``obsgov`` command: global options and the command groups.

A new command group is one module in this package with a ``typer.Typer`` named ``app``, added
with one line below.
"""

from __future__ import annotations

import typer

from obsgov import __version__

from . import (
    accounts,
    drift,
    environment,
    gate,
    model_registry,
    models,
    opensearch,
    org,
    policy,
    report,
    workloads,
)
from .common import EXIT_CODES_HELP, Settings, WrappingGroup, out

app = typer.Typer(
    name="obsgov",
    help=(
        "Govern ML and data observability across AWS accounts: validate and synthesize an "
        "environment's Pulumi stack offline, and judge it with the CrossGuard policy packs.\n\n"
        + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    cls=WrappingGroup,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"max_content_width": 80, "help_option_names": ["--help", "-h"]},
)


def _show_version(value: bool) -> None:
    if value:
        out.print(f"obsgov {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of an internal error (exit 3)."
    ),
    version: bool | None = typer.Option(
        None, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    Settings.debug = debug


app.command("validate")(environment.validate)
app.command("synth")(environment.synth)
app.command("preview")(gate.preview)
app.command("report")(report.report)
app.add_typer(policy.app, name="policy")
app.add_typer(model_registry.app, name="registry")
app.add_typer(accounts.app, name="accounts")
app.add_typer(workloads.app, name="workloads")
app.add_typer(models.app, name="models")
app.add_typer(drift.app, name="drift")
app.add_typer(opensearch.app, name="opensearch")
app.add_typer(org.app, name="org")


def main() -> None:  # console-script entry point
    app()
