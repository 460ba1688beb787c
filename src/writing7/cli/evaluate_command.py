"""`writing7 evaluate`: PAN metrics, ECE and plots of the model vs baselines; prints a compact table."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import ARTIFACTS, user_errors


@app.command("evaluate")
@user_errors
def evaluate(
    artifacts: Path = ARTIFACTS,
    config: Path = typer.Option(None, "--config", help="TOML file with an [evaluate] table."),
    pairs: Path = typer.Option(None, "--pairs", help="PAN-format pairs JSONL ({\"id\", \"pair\": [t1, t2]}) instead of the test split."),
    truth: Path = typer.Option(None, "--truth", help="PAN-format truth JSONL ({\"id\", \"same\": bool}) for --pairs."),
    corpus: list[Path] = typer.Option(None, "--corpus", help="The corpus the pair dataset was prepared from: adds the evaluation by length "
                                                       "(200, 1,000, 5,000 words, whole halves) on the test split's books."),
    max_pairs: int = typer.Option(None, "--max-pairs", help="Use at most this many pairs per split (0 = all)."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
    force: bool = typer.Option(False, "--force", help="Re-evaluate even when the report is current."),
    retrieval: bool = typer.Option(False, "--retrieval", help="Also report Recall@1/@10 and MRR of the search index on its held-out chunks."),
    index: Path = typer.Option(None, "--index", help="Search index for --retrieval (default: ARTIFACTS/index)."),
    rerank: bool = typer.Option(False, "--rerank", help="With --retrieval: rerank with the cross-encoder teacher."),
) -> None:
    """Evaluate the calibrated matcher and the baselines; writes reports/evaluation.{json,md} and plots."""
    from writing7.config.evaluate import EvaluateConfig
    from writing7.reports.tables import compact_text_table
    from writing7.stages.evaluate import REPORT_JSON, run

    cfg = EvaluateConfig.load(config, pairs=str(pairs) if pairs else None, truth=str(truth) if truth else None,
                              max_pairs=max_pairs, plots=False if no_plots else None)
    layout = ArtifactLayout.from_env(artifacts)
    result = run(cfg, artifacts=layout.root, force=force)
    typer.echo(f"evaluated {result.stats['source']}")
    typer.echo(compact_text_table(result.stats["summary"]))
    typer.echo(f"report: {layout.reports / REPORT_JSON}")
    if corpus:
        from writing7.stages import evaluate_lengths

        lengths = evaluate_lengths.run(cfg, corpus=tuple(corpus), artifacts=layout.root, force=force)
        for length, tasks in lengths.stats["auc"].items():
            for task, systems in tasks.items():
                typer.echo(f"{length:>5} words {task:6s} AUC " + "  ".join(f"{name} {value:.3f}" for name, value in systems.items()))
        typer.echo(f"report: {layout.reports / evaluate_lengths.REPORT_MARKDOWN}")
    if retrieval:
        from writing7.config.index import SearchConfig
        from writing7.stages import retrieval as retrieval_stage

        scores = retrieval_stage.run(SearchConfig.load(config), artifacts=layout.root, index_dir=index, rerank=rerank, force=force).stats
        typer.echo(f"retrieval ({scores['queries']} held-out chunks, {scores['books']} books{', reranked' if rerank else ''}): "
                   f"Recall@1 {scores['recall@1']:.3f}  Recall@10 {scores['recall@10']:.3f}  MRR {scores['mrr']:.3f}")
        typer.echo(f"report: {layout.reports / retrieval_stage.REPORT_JSON}")
