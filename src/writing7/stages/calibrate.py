"""Stage ``calibrate``: fit the probability calibration and the style map on the validation split.

Reads the trained bi-encoder (``models/book_matcher_contrastive/final``) and ``data/processed``; writes
``calibration.json`` and ``style_calibration.json`` into the model folder (each atomically) and
``calibration_manifest.json`` beside them last, so an interrupted run is never mistaken for a current one.
The files are described in :mod:`writing7.calibration.bundle`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout, files_current, finish_files, hash_tree, read_manifest, require_input
from writing7.calibration.bundle import CALIBRATION_FILE, STYLE_CALIBRATION_FILE, MatcherCalibration, fit_task_calibration
from writing7.calibration.style_map import StyleCalibrator
from writing7.config.calibrate import CalibrateConfig
from writing7.metrics.tasks import TaskSelection, select_tasks
from writing7.models.scoring import PairScores, pair_cosines, score_text_pairs
from writing7.pair_files import load_pair_split, read_jsonl
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
STAGE = "calibrate"
MANIFEST_FILE = "calibration_manifest.json"


# -- fitting ---------------------------------------------------------------------------------------
def fit_calibration(cfg: CalibrateConfig, scores: PairScores, tasks: dict[str, TaskSelection]) -> tuple[Any, Any]:
    """Book and author task calibrations from the validation pairs' logits."""
    fitted = []
    for name in ("book", "author"):
        task = tasks[name]
        if task.labels.all() or not task.labels.any():
            positive_kind = "same-book (positive)" if name == "book" else "same-author other-book (same_author)"
            raise ValueError(
                f"the validation split has {int(task.labels.sum())} {positive_kind} and {int((~task.labels).sum())} different-author pairs: "
                f"the {name} logit needs both to be calibrated; prepare a corpus whose validation authors have several books, or raise val_ratio"
            )
        logits = scores.logits[task.mask, task.logit_index]
        logger.info("calibrate: %s task on %d pairs (%d positive)", name, task.labels.size, int(task.labels.sum()))
        fitted.append(fit_task_calibration(name, logits, task.labels, method=cfg.method, target_metric=cfg.target_metric,
                                           logit_index=task.logit_index, max_band_fraction=cfg.max_band_fraction))
    return fitted[0], fitted[1]


def style_dev_pairs(cfg: CalibrateConfig, model: Any, scores: PairScores, tasks: dict[str, TaskSelection]) -> tuple[np.ndarray, np.ndarray, str]:
    """``(cosines, same-author labels, source)``: the ``style_dev`` file, else the validation author task."""
    if not cfg.style_dev:
        task = tasks["author"]
        return scores.cosines[task.mask], task.labels, "validation split: same-author-other-book vs different-author pairs"
    records = read_jsonl(Path(cfg.style_dev), required=("text1", "text2", "label"))
    labels = np.array([bool(record["label"]) for record in records])
    cosines = pair_cosines(model, [r["text1"] for r in records], [r["text2"] for r in records], batch_size=cfg.batch_size)
    return cosines, labels, f"file {cfg.style_dev}"


def calibrate_model(cfg: CalibrateConfig, model: Any, columns: dict[str, list[Any]]) -> MatcherCalibration:
    """Score the validation pairs once, then fit both task calibrations and the style map."""
    scores = score_text_pairs(model, columns["text1"], columns["text2"], batch_size=cfg.batch_size)
    tasks = select_tasks(columns, ("book", "author"))
    book, author = fit_calibration(cfg, scores, tasks)
    cosines, labels, source = style_dev_pairs(cfg, model, scores, tasks)
    style = StyleCalibrator(prior_strength=cfg.style_prior_strength).fit(cosines, labels)
    metadata = {"split": "validation", "pairs": len(columns["text1"]), "model": dict(model.info)}
    style_metadata = {"source": source, "pairs": int(labels.size), "same_author": int(labels.sum())}
    return MatcherCalibration(book=book, author=author, style=style, metadata=metadata, style_metadata=style_metadata)


# -- stage entry -----------------------------------------------------------------------------------
def _stage_inputs(cfg: CalibrateConfig, model_dir: Path, processed: Path) -> dict[str, str]:
    validation = processed / "validation"
    inputs = {"model": hash_tree(model_dir), "validation": hash_tree(validation if validation.is_dir() else processed)}
    if cfg.style_dev:
        if not Path(cfg.style_dev).is_file():
            raise FileNotFoundError(f"style dev file {cfg.style_dev} not found: check --style-dev (JSONL with text1, text2, label)")
        inputs["style_dev"] = hash_tree(Path(cfg.style_dev))
    return inputs


def _stats(calibration: MatcherCalibration) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for task in (calibration.book, calibration.author):
        stats[task.name] = {"method": task.scaler.kind, **task.scaler.to_dict()["learned"], "threshold": task.threshold_,
                            "band": list(task.band_), **task.validation}
    stats["style"] = {"knots": int(calibration.style.knots_x_.size), **calibration.style_metadata}
    return stats


def summary_line(stats: dict[str, Any]) -> str:
    """``platt, book threshold 0.512, author threshold 0.430``: the stage's one line."""
    return f"{stats['book']['method']}, " + ", ".join(f"{task} threshold {format_number(stats[task]['threshold'])}" for task in ("book", "author"))


def run(cfg: CalibrateConfig, *, artifacts: Path, force: bool = False) -> StageResult:
    """Calibrate the bi-encoder under ``artifacts`` on its validation split (skipped when current)."""
    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset")
    inputs = _stage_inputs(cfg, model_dir, processed)
    outputs = [model_dir / CALIBRATION_FILE, model_dir / STYLE_CALIBRATION_FILE]
    manifest_path = model_dir / MANIFEST_FILE
    if not force and files_current(manifest_path, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs):
        logger.info("calibrate: skipped (current) %s", model_dir)
        manifest = read_manifest(manifest_path)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    from writing7.models.matcher import MatcherModel

    columns = load_pair_split(processed, "validation", max_pairs=cfg.max_pairs, seed=cfg.seed)
    model = MatcherModel.load(model_dir)
    model.cache_embeddings(model_dir)  # the verdict's passage band encodes these pairs again
    calibration = calibrate_model(cfg, model, columns)
    calibration.save(model_dir)
    manifest = finish_files(manifest_path, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs, stats=_stats(calibration))
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(manifest.stats))
