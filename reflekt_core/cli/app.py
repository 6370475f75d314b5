"""The ``reflekt`` command: a thin Typer layer over :mod:`reflekt_core`."""

from __future__ import annotations

from typing import Annotated

import typer

from reflekt_core.cli import build, catalog, debug, init, lint, registry, report, rules
from reflekt_core.cli.common import setup_logging, state

app = typer.Typer(
    name="reflekt",
    help="Event schemas as code: lint them, sync them with registries, and build dbt packages from them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from reflekt_core import __version__

        typer.echo(f"reflekt {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what Reflekt does.")] = False,
    debug_: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    state.verbose, state.debug = verbose, debug_
    setup_logging(verbose)


app.command(name="init")(init.init)
app.command(name="debug")(debug.debug)
app.command(name="lint")(lint.lint)
app.command(name="report")(report.report)
app.command(name="rules")(rules.rules)
app.command(name="catalog")(catalog.catalog)
app.command(name="build")(build.build)
app.command(name="pull")(registry.pull)
app.command(name="push")(registry.push)


def main() -> None:
    app(prog_name="reflekt")
