"""`writing7 calibrate`: fit probability calibration, threshold, abstention band and style map on validation."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import ARTIFACTS, user_errors


@app.command("calibrate")
@user_errors
def calibrate(
    corpus: list[Path] = typer.Option(..., "--corpus", help="The corpus the pair dataset was prepared from (AUTHOR/TITLE.txt; every folder "
                                      "given to prepare): the verdict reads whole books."),
    fit_corpus: list[Path] = typer.Option(None, "--fit-corpus", help="More books by authors outside the pair dataset to fit the "
                                                                      "verdict on (repeatable); never used for the test split."),
    artifacts: Path = ARTIFACTS,
    config: Path = typer.Option(None, "--config", help="TOML file with a [calibrate] table."),
    target_metric: str = typer.Option(None, "--target-metric", help="Threshold maximises: accuracy, f1, c_at_1 or overall."),
    style_dev: Path = typer.Option(None, "--style-dev", help="Labelled JSONL (text1, text2, label = same author) for the style map."),
    method: str = typer.Option(None, "--method", help="Probability scaling: temperature or platt."),
    max_pairs: int = typer.Option(None, "--max-pairs", help="Use at most this many validation pairs (0 = all)."),
    force: bool = typer.Option(False, "--force", help="Recalibrate even when the calibration is current."),
) -> None:
    """Calibrate the trained matcher on the validation split: passage calibration, style map and the any-length verdict."""
    from writing7.config.calibrate import CalibrateConfig
    from writing7.stages import verdict
    from writing7.stages.calibrate import run

    cfg = CalibrateConfig.load(config, target_metric=target_metric, method=method, max_pairs=max_pairs,
                               style_dev=str(style_dev) if style_dev else None,
                               fit_corpora=[str(folder) for folder in fit_corpus] if fit_corpus else None)
    root = ArtifactLayout.from_env(artifacts).root
    manifest = run(cfg, artifacts=root, force=force)
    fitted = verdict.run(cfg, corpus=tuple(corpus), artifacts=root, force=force)
    for task in ("book", "author"):
        stats = manifest.stats[task]
        low, high = stats["band"]
        typer.echo(f"{task:6s} threshold {stats['threshold']:.3f}  band ({low:.3f}, {high:.3f})  "
                   f"validation ECE {stats['ece']:.3f}  overall {stats['overall']:.3f}  ({stats['pairs']} pairs)")
    style = manifest.stats["style"]
    typer.echo(f"style  map with {style['knots']} knots from {style['pairs']} pairs ({style['source']})")
    for task in ("book", "author"):
        bands = "  ".join(f"{band} AUC {head['auc']:.3f} ECE {head['ece']:.3f}" for band, head in fitted.stats[task].items())
        typer.echo(f"verdict {task:6s} {bands}  (validation, in-sample)")
