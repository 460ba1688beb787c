"""``writing7 standardize SRC --out DST``: clean raw books into UTF-8 text with a per-book report."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config.standardize import StandardizeConfig
from writing7.stages.standardize import REPORT_NAME, run


@app.command("standardize")
@user_errors
def standardize(
    source: Path = typer.Argument(..., help="Folder of raw books laid out as AUTHOR/TITLE.txt."),
    out: Path = typer.Option(..., "--out", help="Folder for the cleaned books, standardize_report.json and manifest.json."),
    config: Path | None = typer.Option(None, "--config", help="TOML file; its [standardize] table sets defaults."),
    workers: int | None = typer.Option(None, "--workers", help="Processes in parallel (0 = automatic, 1 = no pool)."),
    min_kept_fraction: float | None = typer.Option(None, "--min-kept-fraction", help="Warn below this kept fraction."),
    force: bool = typer.Option(False, "--force", help="Redo even when the output is current."),
) -> None:
    """Decode, normalize and strip Project Gutenberg boilerplate from every book; exit 1 if none is usable."""
    cfg = StandardizeConfig.load(config, workers=workers, min_kept_fraction=min_kept_fraction)
    stats = run(cfg, corpus=source, output=out, force=force).stats
    typer.echo(
        f"standardize: {stats['books_written']} of {stats['books_found']} books written to {out}, "
        f"{stats['books_skipped']} skipped, {stats['books_with_warnings']} with warnings "
        f"(details in {out / REPORT_NAME})"
    )
    if stats["min_kept_fraction"] is not None:
        typer.echo(f"kept fraction: min {stats['min_kept_fraction']:.3f}, median {stats['median_kept_fraction']:.3f}")
    if stats["books_written"] == 0:
        typer.echo("error: no usable book remained; see the skip reasons in the report", err=True)
        raise typer.Exit(code=1)
