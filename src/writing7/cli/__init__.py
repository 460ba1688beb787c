"""The ``writing7`` command line: one thin typer command per stage (see the sibling modules)."""

from __future__ import annotations

import importlib
import os

import typer

from writing7 import __version__
from writing7.cli.common import setup_environment, setup_logging

app = typer.Typer(
    name="writing7",
    help="Train, calibrate, evaluate and serve a book-text matcher and a calibrated style-similarity score.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # help texts name TOML tables like [calibrate]: rich markup would swallow them as tags
)

# Each module registers its commands on `app` when imported. Every one must import: a broken module fails the
# whole CLI loudly, with its traceback, rather than silently dropping its commands.
COMMAND_MODULES = (
    "standardize", "ingest", "prepare", "train", "calibrate", "evaluate",
    "inference", "attribution", "serve", "bench_style", "pipeline", "config",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"writing7 {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Warnings only, no progress bars."),
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True, help="Print the version."),
) -> None:
    """Writing7: is this passage from the same book, the same author, and how close is its style?"""
    setup_environment()
    # Under torchrun only rank 0 reports; the other ranks log warnings only and show no progress bars.
    setup_logging(verbose=verbose, quiet=quiet or int(os.environ.get("RANK", "0")) > 0)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"writing7.cli.{name}_command")


_register_commands()


def main() -> None:
    setup_environment()
    app()
