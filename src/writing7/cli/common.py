"""What every CLI command shares: logging set-up and turning library errors into one clear line."""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer

from writing7.errors import UserFacingError

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("writing7")

# Library errors the user can fix: shown as one line, exit code 2. Anything else is a bug and keeps its traceback.
# Not RuntimeError: torch raises it for an out-of-memory or a shape bug; the library raises UserFacingError on purpose.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, NotADirectoryError, PermissionError, UserFacingError)
# typer's and click's own outcomes (a command's exit code, an answered-no confirm, a bad option) are theirs to show;
# both Exits and Aborts are RuntimeErrors, and typer's are not click's classes.
CLICK_OUTCOMES: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.exceptions.ClickException,
)
# The artifacts root option of the stage commands (`pipeline`, `clean` and `demo` also take it from the environment).
ARTIFACTS = typer.Option(None, "--artifacts", help="Artifacts directory (default: $WRITING7_ARTIFACTS or ./artifacts).")
BUG_HINT = "this is a bug in Writing7: please report it with the traceback above"
OUT_OF_MEMORY_HINT = ("out of memory (traceback above): lower the batch size (--batch-size, or batch_size in the --config file) "
                      "and run again, or use a device with more memory")


def unexpected_error_hint(error: BaseException) -> str:
    """The line printed under the traceback of an error that is not the user's to fix."""
    # torch.OutOfMemoryError is a RuntimeError; matched by name so that this module need not import torch
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError" or "out of memory" in str(error).lower():
        return OUT_OF_MEMORY_HINT
    return BUG_HINT


def setup_environment() -> None:
    """Offline by default: no model or dataset is ever fetched from a hub unless the user opts in."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def setup_logging(verbose: bool = False, quiet: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S", force=True)
    for noisy in ("httpx", "httpcore", "urllib3", "filelock", "datasets", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if quiet:
        os.environ["WRITING7_QUIET"] = "1"


def user_errors(function: F) -> F:
    """Turn a user-fixable library error into ``error: <message>`` on stderr and exit code 2.

    Any other exception is unexpected: its traceback is printed in full on stderr, followed by one hint
    line (:func:`unexpected_error_hint`), and the command exits with code 1.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CLICK_OUTCOMES:
            raise  # a command's own exit code, an abort, a usage error (click's Exit and Abort are RuntimeErrors)
        except USER_ERRORS as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(code=130) from None
        except Exception as error:
            traceback.print_exc(file=sys.stderr)  # the traceback first, whole: it is what a bug report needs
            typer.echo(unexpected_error_hint(error), err=True)
            raise typer.Exit(code=1) from error

    return wrapper  # type: ignore[return-value]
