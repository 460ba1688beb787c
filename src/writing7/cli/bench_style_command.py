"""``writing7 bench-style``: how well does an LLM imitate chosen authors, judged by the trained matcher?"""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config.bench_style import BenchStyleConfig


def _author_list(first: list[str] | None, more: list[str] | None) -> list[str] | None:
    """``--authors A B C``, ``--authors A --authors B`` and ``--authors A,B`` all give ``[A, B, ...]``."""
    names = [name.strip() for value in [*(first or []), *(more or [])] for name in value.split(",") if name.strip()]
    return names or None


@app.command("bench-style")
@user_errors
def bench_style(
    more_authors: list[str] | None = typer.Argument(None, metavar="AUTHOR", help="Authors, also accepted after --authors."),
    model: Path | None = typer.Option(None, "--model", help="Trained matcher folder (default: ARTIFACTS/models/book_matcher_contrastive/final)."),
    corpus: Path = typer.Option(..., "--corpus", help="Corpus folder AUTHOR/TITLE.txt with the authors' real books."),
    authors: list[str] | None = typer.Option(None, "--authors", help="Authors to imitate: --authors conrad-joseph grey-zane (or unique parts of the names)."),
    n_authors: int | None = typer.Option(None, "--n-authors", help="Or: this many authors chosen by seed (default 3)."),
    llm: str | None = typer.Option(None, "--llm", help="local (SmolLM2, offline) or openai (OpenAI-compatible endpoint)."),
    llm_base_url: str | None = typer.Option(None, "--llm-base-url", help="API root, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1."),
    llm_model: str | None = typer.Option(None, "--llm-model", help="Model name for the endpoint (key from WRITING7_LLM_API_KEY or OPENAI_API_KEY)."),
    samples: int | None = typer.Option(None, "--samples", help="Imitations per author (default 3)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for authors, excerpts, briefs and sampling."),
    prompt_mode: str | None = typer.Option(None, "--prompt-mode", help="excerpt, brief or both (default both)."),
    max_new_tokens: int | None = typer.Option(None, "--max-new-tokens", help="Tokens per generated passage (default 200)."),
    threads: int | None = typer.Option(None, "--threads", help="torch CPU threads (0 = default; 1 is fastest on a busy machine)."),
    uncalibrated: bool | None = typer.Option(None, "--uncalibrated", help="Allow a model without calibration (flagged scores)."),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default: ARTIFACTS/reports)."),
    artifacts: Path | None = typer.Option(None, "--artifacts", help="Artifacts root (default $WRITING7_ARTIFACTS or ./artifacts)."),
    config: Path | None = typer.Option(None, "--config", help="TOML file; its [bench_style] table sets defaults."),
) -> None:
    """Have an LLM imitate authors and score the imitations against their real text and other authors'."""
    from writing7.stages.bench_style import run  # lazy: keeps `writing7 --help` from importing the text stack

    names = _author_list(authors, more_authors)
    if names and n_authors is not None:
        raise ValueError("give either --authors or --n-authors, not both")
    cfg = BenchStyleConfig.load(
        config, authors=names, n_authors=n_authors, llm=llm, llm_base_url=llm_base_url, llm_model=llm_model,
        samples=samples, seed=seed, prompt_mode=prompt_mode, max_new_tokens=max_new_tokens, threads=threads,
        uncalibrated=uncalibrated,
    )
    layout = ArtifactLayout.from_env(artifacts)
    out_dir = out or layout.reports
    report = run(cfg, model_dir=model or layout.bi_encoder, corpus=corpus, output=out_dir)
    for entry in report["authors"]:
        imitation, control = entry["rows"]["imitation"], entry["rows"]["control"]
        typer.echo(f"{entry['author']}: imitation sim target {imitation['similarity_target']:.3f} vs others "
                   f"{imitation['similarity_others']:.3f}, top-1 {imitation['top1_accuracy']:.2f}, towards "
                   f"{imitation['towards_share']:.2f}; control top-1 {control['top1_accuracy']:.2f}")
    typer.echo(f"wall time {report['timing']['wall_s']:.1f} s; report: {out_dir / 'style_bench.md'}")
