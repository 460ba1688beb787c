"""``writing7 attribute | calibrate-attribution``: which of these candidate authors wrote a text, if any?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from writing7.cli import app
from writing7.cli.common import ARTIFACTS, user_errors
from writing7.cli.inference_command import CONFIG, DEVICE, MODEL, PRECISION, _inference_config, _matcher


def format_attribution(result: dict[str, Any]) -> list[str]:
    """The table ``attribute`` prints: rank, probability, aggregated same-author logit, author; then "none of these"."""
    lines = [f"{rank:>3}  p={row['probability']:.3f}  score={row['score']:+.2f}  {row['author']}  ({row['texts']} text{'s' * (row['texts'] != 1)})"
             for rank, row in enumerate(result["candidates"], 1)]
    lines.append(f"     p={result['none_of_these']:.3f}  none of these")
    lines.append(f"({result['words']}-word query, {result['length_band']} band; probabilities over all candidates and 'none')")
    return lines


@app.command("attribute")
@user_errors
def attribute(
    query: Path = typer.Argument(..., metavar="QUERY.txt", help="The text to attribute (Gutenberg boilerplate is stripped)."),
    candidates: Path = typer.Option(..., "--candidates", help="Folder of candidate authors: DIR/AUTHOR/*.txt, their known writings."),
    model: Path = MODEL, config: Path = CONFIG, device: str = DEVICE, precision: str = PRECISION,
    top_k: int = typer.Option(None, "--top-k", min=1, help="Show only the best N candidates (probabilities stay over all of them)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: {\"candidates\": [{\"author\", \"probability\", ...}], \"none_of_these\"}."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where candidate profiles are cached (default $WRITING7_CACHE or ~/.cache/writing7)."),
) -> None:
    """Rank candidate authors for QUERY.txt with calibrated probabilities, plus the probability that none of them wrote it."""
    from writing7 import artifacts
    from writing7.inference.attribution import Attributor
    from writing7.user_text import read_candidate_folder, read_user_document

    cfg = _inference_config(config, uncalibrated=False, precision=precision)
    max_bytes = cfg.max_text_bytes
    text = read_user_document(query, max_bytes=max_bytes, what="query text")
    known = read_candidate_folder(candidates, max_bytes=max_bytes)  # every input checked before the (slow) model load
    attributor = Attributor.load(_matcher(model, cfg, device=device), cache_dir=cache_dir or artifacts.cache_dir())
    result = attributor.attribute(text, known, top_k=top_k)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for line in format_attribution(result):
        typer.echo(line)


@app.command("calibrate-attribution")
@user_errors
def calibrate_attribution(
    corpus: list[Path] = typer.Option(..., "--corpus", help="The corpus the pair dataset was prepared from (AUTHOR/TITLE.txt; every folder given to prepare)."),
    artifacts: Path = ARTIFACTS,
    config: Path = typer.Option(None, "--config", help="TOML file with an [attribution] table."),
    force: bool = typer.Option(False, "--force", help="Recompute even when current."),
    device: str = DEVICE,
) -> None:
    """Fit attribution's calibrated 'none of these' softmax on validation authors; report accuracy on test authors vs baselines."""
    from writing7.artifacts import ArtifactLayout
    from writing7.config.attribution import AttributionConfig
    from writing7.stages.attribution import REPORT_MARKDOWN, run

    layout = ArtifactLayout.from_env(artifacts)
    manifest = run(AttributionConfig.load(config), corpus=tuple(corpus), artifacts=layout.root, force=force, device=device)
    for length, systems in manifest.stats["closed_accuracy@1"].items():
        typer.echo(f"{length:>5}-word queries, closed-set accuracy@1: " + "  ".join(f"{name} {value:.3f}" for name, value in systems.items()))
    typer.echo(f"report: {layout.reports / REPORT_MARKDOWN}")
