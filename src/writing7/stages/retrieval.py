"""Stage ``retrieval`` (``writing7 evaluate --retrieval``): Recall@1, Recall@10 and MRR of the search index.

The index's held-out chunks (:mod:`writing7.stages.index`) are searched with the model the index was built
with (optionally reranked by the cross-encoder teacher); the report goes to ``reports/retrieval.json`` with
``reports/retrieval_manifest.json`` beside it, and an unchanged index, model, teacher and config skip the stage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, atomic_write_json, files_current, finish_files, hash_tree, read_manifest, require_input
from writing7.config.index import SearchConfig
from writing7.inference.index import BookIndex
from writing7.stages import StageResult

logger = logging.getLogger(__name__)
STAGE = "retrieval"
REPORT_JSON, MANIFEST_FILE = "retrieval.json", "retrieval_manifest.json"


def retrieval_report(index_dir: Path, *, model_dir: Path | None = None, teacher_dir: Path | None = None,
                     rerank: bool = False, config: SearchConfig | None = None, uncalibrated: bool = False) -> dict[str, Any]:
    """Recall@1, Recall@10, MRR of the index's held-out chunks; ``model_dir`` defaults to the model the index was built with."""
    from writing7.inference.matcher import Matcher
    from writing7.inference.search import Searcher, evaluate_retrieval, load_teacher

    index = BookIndex.load(require_input(index_dir, stage="index", what="retrieval index"))
    matcher = Matcher.load(model_dir or index.info["model_dir"], uncalibrated=uncalibrated)
    teacher = load_teacher(teacher_dir) if rerank else None
    return evaluate_retrieval(Searcher(index, matcher, teacher=teacher, config=config and config.search_settings()), rerank=rerank)


def summary_line(report: dict[str, Any]) -> str:
    """``36 held-out chunks: Recall@1 0.611, Recall@10 0.944, MRR 0.730``: the stage's one line."""
    return (f"{report['queries']} held-out chunks, {report['books']} books: Recall@1 {report['recall@1']:.3f}, "
            f"Recall@10 {report['recall@10']:.3f}, MRR {report['mrr']:.3f}")


def run(cfg: SearchConfig, *, artifacts: Path, index_dir: Path | None = None, rerank: bool = False, force: bool = False) -> StageResult:
    """Evaluate the index (``index_dir``, default ``artifacts/index``) into ``reports/retrieval.json`` (skipped when current);
    the manifest's stats are the report."""
    layout = ArtifactLayout(Path(artifacts))
    index_dir = require_input(Path(index_dir or layout.index), stage="index", what="retrieval index")
    model_dir = Path(BookIndex.load(index_dir).info["model_dir"])
    inputs = {"index": hash_tree(index_dir), "model": hash_tree(require_input(model_dir, stage="train", what="the index's model"))}
    if rerank:
        inputs["teacher"] = hash_tree(require_input(layout.teacher, stage="train-teacher", what="cross-encoder teacher (--rerank)"))
    config, reports = {**cfg.to_dict(), "rerank": rerank}, layout.reports
    outputs = [reports / REPORT_JSON]
    if not force and files_current(reports / MANIFEST_FILE, stage=STAGE, config=config, inputs=inputs, outputs=outputs):
        logger.info("retrieval: skipped (current) %s", reports / REPORT_JSON)
        manifest = read_manifest(reports / MANIFEST_FILE)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    report = retrieval_report(index_dir, model_dir=model_dir, teacher_dir=layout.teacher, rerank=rerank, config=cfg)
    atomic_write_json(reports / REPORT_JSON, report)
    manifest = finish_files(reports / MANIFEST_FILE, stage=STAGE, config=config, inputs=inputs, outputs=outputs, stats=report)
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(report))
