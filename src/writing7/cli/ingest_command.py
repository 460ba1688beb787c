"""``writing7 ingest gutenberg|dir``: fill a corpus folder from Project Gutenberg or from a folder of .txt files."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config.ingest import IngestConfig
from writing7.ingest.summary import IngestSummary

ingest_app = typer.Typer(help="Fetch or import raw books into CORPUS/{author_slug}/{title_slug}.txt.", no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(ingest_app, name="ingest")

CORPUS = typer.Option(..., "--corpus", help="Corpus folder to write books into (created if missing).")
CATALOG = typer.Option(None, "--catalog", help="pg_catalog.csv or a corpus catalog.csv: author and title by id.")
CONFIG = typer.Option(None, "--config", help="TOML file; its [ingest] table sets defaults.")


def _report(summary: IngestSummary) -> None:
    """Print the summary; exit 1 when not a single book made it into the corpus (rerun to retry the failures)."""
    for line in summary.lines():
        typer.echo(line)
    if summary.all_failed:
        raise typer.Exit(code=1)


def rejected_message(summary: IngestSummary, source: Path) -> str:
    """The one line for a folder import in which every file was rejected: how many, the first with its reason, the fix."""
    rejected = summary.with_status("failed")
    first = rejected[0]
    return (f"no book imported from {source}: {len(rejected)} file(s) rejected "
            f"(e.g. {source / first.book}: {first.reason}): save them as plain-text .txt books or remove them, then run again")


def _report_directory(summary: IngestSummary, source: Path) -> None:
    """Print the summary; when every file was rejected, one ``error:`` line on stderr and exit 2 (nothing was written)."""
    for line in summary.lines():
        typer.echo(line)
    if summary.all_failed:
        typer.echo(f"error: {rejected_message(summary, source)}", err=True)
        raise typer.Exit(code=2)


@ingest_app.command("gutenberg")
@user_errors
def gutenberg(
    more_ids: list[str] | None = typer.Argument(None, metavar="ID", help="Ids, also accepted after --ids."),
    ids: list[str] | None = typer.Option(None, "--ids", help="Gutenberg ids: --ids 1342 84 or --ids 1342,84."),
    ids_file: Path | None = typer.Option(None, "--ids-file", help="File with Gutenberg ids, one per line (# comments)."),
    corpus: Path = CORPUS,
    mirror: str | None = typer.Option(None, "--mirror", help="Base URL of gutenberg.org or a mirror."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Books fetched at the same time."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds for one HTTP attempt, body included."),
    retries: int | None = typer.Option(None, "--retries", help="Retries per URL on transient errors."),
    delay: float | None = typer.Option(None, "--delay", help="Polite seconds between two requests to one host."),
    skip_if_exists: bool | None = typer.Option(
        None, "--skip-if-exists/--no-skip-if-exists", help="Skip ids already fetched (default: skip)."
    ),
    catalog: Path | None = CATALOG,
    config: Path | None = CONFIG,
) -> None:
    """Fetch Project Gutenberg books by id (resumable; rerun to retry failures)."""
    # Imported here: library modules import writing7.cli.common, which imports this module.
    from writing7.stages.ingest import parse_ids, read_ids_file, run_gutenberg

    book_ids = parse_ids([*(ids or []), *(more_ids or [])])
    if ids_file is not None:
        book_ids += read_ids_file(ids_file)
    cfg = IngestConfig.load(
        config, mirror=mirror, concurrency=concurrency, timeout_seconds=timeout, retries=retries,
        delay_seconds=delay, skip_if_exists=skip_if_exists,
    )
    _report(run_gutenberg(cfg, book_ids=book_ids, corpus=corpus, catalog_path=catalog))


@ingest_app.command("dir")
@user_errors
def directory(
    source: Path = typer.Argument(..., help="Folder of .txt books, flat or nested (author folders)."),
    corpus: Path = CORPUS,
    catalog: Path | None = CATALOG,
) -> None:
    """Import a folder of .txt books into the corpus layout."""
    from writing7.stages.ingest import run_directory

    _report_directory(run_directory(source, corpus=corpus, catalog_path=catalog), source)
