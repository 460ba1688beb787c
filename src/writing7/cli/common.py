"""What every CLI command shares: logging set-up and turning library errors into one clear line."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from writing7.progress import progress_disabled  # noqa: F401  (re-exported for command modules)

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("writing7")

# Library errors the user can fix: shown as one line, exit code 2. Anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, NotADirectoryError, PermissionError, RuntimeError)


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
    """Turn a user-fixable library error into ``error: <message>`` on stderr and exit code 2."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except typer.Exit:
            raise  # a command's own exit code (click's Exit is a RuntimeError, so it must pass first)
        except USER_ERRORS as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]
