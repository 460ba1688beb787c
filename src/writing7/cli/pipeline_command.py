"""`writing7 pipeline`, `writing7 clean` and `writing7 demo`: the one-command experience."""

from __future__ import annotations

import textwrap
from pathlib import Path

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.stages.pipeline import STAGES, PipelineRequest, StageOutcome, run_pipeline, select_stages


def _print_outcome(outcome: StageOutcome) -> None:
    typer.echo(f"  {outcome.stage:<21} {outcome.status:<10} {outcome.seconds:8.1f}s  {outcome.summary}", err=True)


@app.command()
@user_errors
def pipeline(
    corpus: list[Path] = typer.Option(..., "--corpus", help="Folder of {author}/{title}.txt books; repeat it to read several folders as one corpus."),
    artifacts: Path = typer.Option(None, "--artifacts", envvar="WRITING7_ARTIFACTS", help="Artifacts directory [default: ./artifacts]."),
    config: Path = typer.Option(None, "--config", help="TOML file with a table per stage (see `writing7 config show`)."),
    from_stage: str = typer.Option(None, "--from", help=f"First stage to run: {', '.join(STAGES)}."),
    to_stage: str = typer.Option(None, "--to", help="Last stage to run."),
    force: bool = typer.Option(False, "--force", help="Redo the selected stages even when current."),
    force_sharded: bool = typer.Option(False, "--force-sharded", help="Prepare with the sharded (Ray) path."),
    fit_corpus: list[Path] = typer.Option(None, "--fit-corpus", help="More books by authors outside --corpus to fit the verdict on "
                                                                      "(repeatable; [calibrate] fit_corpora); never used for testing."),
) -> None:
    """Run standardize, prepare, train-teacher (when distilling), train -> calibrate -> evaluate -> index, skipping current stages."""
    layout = ArtifactLayout.from_env(artifacts)
    request = PipelineRequest(corpus=tuple(corpus), artifacts=layout.root, config_file=config, force=force, force_sharded=force_sharded,
                              fit_corpora=tuple(str(folder) for folder in fit_corpus or ()))
    stages = select_stages(from_stage, to_stage)
    typer.echo(f"  {'stage':<21} {'status':<10} {'seconds':>9}  summary", err=True)
    outcomes = run_pipeline(request, stages, on_stage=_print_outcome)
    typer.echo("\n| stage | status | seconds | summary |\n|---|---|---:|---|")
    for outcome in outcomes:
        typer.echo(f"| {outcome.stage} | {outcome.status} | {outcome.seconds:.1f} | {outcome.summary} |")
    typer.echo(f"\nreport: {layout.reports / 'evaluation.md'}")


@app.command()
@user_errors
def clean(
    artifacts: Path = typer.Option(None, "--artifacts", envvar="WRITING7_ARTIFACTS", help="Artifacts directory [default: ./artifacts]."),
    what: str = typer.Option("all", "--what", help="data | models | index | reports | all."),
    corpus: Path = typer.Option(None, "--corpus", help="Your corpus: clean refuses to delete anything that contains it (a corpus is also recognised without it)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting."),
) -> None:
    """Delete what Writing7 wrote, by kind, after asking; refuses unmarked folders, home, / and anything holding a corpus."""
    from writing7.stages.clean import confirm_deletion, execute_clean, plan_clean

    plan = plan_clean(ArtifactLayout.from_env(artifacts).root, what=what, corpus=corpus)
    if plan.kept:
        typer.echo("keeping (not written by Writing7, or changed since):\n" + "\n".join(f"  {path}" for path in plan.kept))
    if not plan.paths:
        typer.echo("nothing to delete")
        return
    typer.echo("will delete:\n" + "\n".join(f"  {path}" for path in plan.paths) + f"\n({plan.bytes_total / 1e6:.1f} MB)")
    confirm_deletion(yes=yes, ask=lambda question: typer.confirm(question, abort=True))
    execute_clean(plan)
    typer.echo("deleted")


@app.command()
@user_errors
def demo(
    artifacts: Path = typer.Option(None, "--artifacts", envvar="WRITING7_ARTIFACTS", help="Artifacts directory [default: ./artifacts]."),
) -> None:
    """Print two scored held-out pairs (same book; different authors) and the evaluation table."""
    from writing7.stages.demo import evaluation_table, scored_examples

    root = ArtifactLayout.from_env(artifacts).root
    for example in scored_examples(root):
        score = example.score
        typer.echo(f"\n== {example.kind}: {example.book1}  vs  {example.book2}")
        typer.echo(textwrap.shorten(example.text1, 160) + "\n   ---\n" + textwrap.shorten(example.text2, 160))
        typer.echo(
            f"p_same_book={score['p_same_book']:.3f}  p_same_author={score['p_same_author']:.3f}  "
            f"decision={score['decision']}  abstained={score['abstained']}  style_similarity={example.style_similarity:.3f}"
        )
    typer.echo("\n" + evaluation_table(root))
