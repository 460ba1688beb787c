"""`writing7 pipeline`: every stage in order, skipping the ones whose manifests are current.

standardize -> prepare -> train-teacher (only when distillation is on) -> train -> calibrate
(classifier, style and document aggregation) -> evaluate -> index. Each stage reads its own table
of the one config file; the run ends with a table of stage, status, seconds and a key metric.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, Manifest

logger = logging.getLogger(__name__)

STAGES = ("standardize", "prepare", "train-teacher", "train", "calibrate", "evaluate", "index")


@dataclass(frozen=True)
class PipelineRequest:
    corpus: Path | tuple[Path, ...]  # one folder, or several read as one corpus (prepare splits each folder's authors apart)
    artifacts: Path
    config_file: Path | None = None
    force: bool = False
    force_sharded: bool = False
    fit_corpora: tuple[str, ...] = ()  # calibrate: more books by unseen authors to fit the verdict on


@dataclass
class StageOutcome:
    stage: str
    status: str  # ran | skipped | not needed
    seconds: float
    key_metric: str


def select_stages(from_stage: str | None, to_stage: str | None) -> list[str]:
    """The stages from ``from_stage`` to ``to_stage`` inclusive, in pipeline order."""
    for name, value in (("--from", from_stage), ("--to", to_stage)):
        if value is not None and value not in STAGES:
            raise ValueError(f"{name} {value!r} is not a stage; use one of: {', '.join(STAGES)}")
    first = STAGES.index(from_stage) if from_stage else 0
    last = STAGES.index(to_stage) if to_stage else len(STAGES) - 1
    if first > last:
        raise ValueError(f"--from {from_stage} comes after --to {to_stage}: swap them")
    return list(STAGES[first: last + 1])


# -- one adapter per stage: load its config table, call its entry point -------------------------
def _standardize(request: PipelineRequest) -> Manifest:
    from writing7.config.standardize import StandardizeConfig
    from writing7.stages import standardize

    cfg = StandardizeConfig.load(request.config_file)
    return standardize.run(cfg, source=request.corpus, output=ArtifactLayout(request.artifacts).clean, force=request.force)


def _prepare(request: PipelineRequest) -> Manifest:
    from writing7.config.prepare import PrepareConfig
    from writing7.stages import prepare

    overrides = {"force_sharded": True} if request.force_sharded else {}
    cfg = PrepareConfig.load(request.config_file, **overrides)
    return prepare.run(cfg, corpus=request.corpus, artifacts=request.artifacts, force=request.force)


def distillation_on(request: PipelineRequest) -> bool:
    from writing7.config.train import TrainConfig

    return bool(TrainConfig.load(request.config_file).distill_from_cross)


def _train_teacher(request: PipelineRequest) -> Manifest | None:
    if not distillation_on(request):
        return None
    from writing7.config.train import TeacherConfig
    from writing7.stages import train

    return train.run_teacher(TeacherConfig.load(request.config_file), artifacts=request.artifacts, force=request.force)


def _train(request: PipelineRequest) -> Manifest:
    from writing7.config.train import TeacherConfig, TrainConfig
    from writing7.stages import train

    cfg, teacher_cfg = TrainConfig.load(request.config_file), TeacherConfig.load(request.config_file)
    return train.run(cfg, artifacts=request.artifacts, force=request.force, teacher_cfg=teacher_cfg)


def _calibrate(request: PipelineRequest) -> Manifest:
    from writing7.config.attribution import AttributionConfig
    from writing7.config.calibrate import CalibrateConfig
    from writing7.stages import attribution, calibrate, verdict

    cfg = CalibrateConfig.load(request.config_file, fit_corpora=list(request.fit_corpora) or None)
    manifest = calibrate.run(cfg, artifacts=request.artifacts, force=request.force)
    verdict.run(cfg, corpus=request.corpus, artifacts=request.artifacts, force=request.force)
    # attribution's open-set softmax (and its report on test authors): `writing7 attribute` and the page need it
    attribution.run(AttributionConfig.load(request.config_file), corpus=request.corpus, artifacts=request.artifacts, force=request.force)
    return manifest


def _evaluate(request: PipelineRequest) -> Manifest:
    from writing7.config.evaluate import EvaluateConfig
    from writing7.stages import evaluate, evaluate_lengths

    cfg = EvaluateConfig.load(request.config_file)
    manifest = evaluate.run(cfg, artifacts=request.artifacts, force=request.force)
    lengths = evaluate_lengths.run(cfg, corpus=request.corpus, artifacts=request.artifacts, force=request.force)
    manifest.stats["lengths"] = lengths.stats["auc"]
    return manifest


def _index(request: PipelineRequest) -> Manifest:
    from writing7.config.index import IndexConfig
    from writing7.stages import index

    layout = ArtifactLayout(request.artifacts)
    cfg = IndexConfig.load(request.config_file)
    return index.run(cfg, corpus=request.corpus, model_dir=layout.bi_encoder, out=layout.index, force=request.force)


ADAPTERS: dict[str, Callable[[PipelineRequest], Manifest | None]] = {
    "standardize": _standardize, "prepare": _prepare, "train-teacher": _train_teacher, "train": _train,
    "calibrate": _calibrate, "evaluate": _evaluate, "index": _index,
}


# -- key metrics: one short string per stage from its manifest stats ---------------------------
def _dig(stats: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(stats, dict) or key not in stats:
            return None
        stats = stats[key]
    return stats


def key_metric(stage: str, stats: dict[str, Any]) -> str:
    if stage == "standardize":
        return f"{_dig(stats, 'books_written')} books, min kept fraction {_dig(stats, 'min_kept_fraction')}"
    if stage == "prepare":
        splits = stats.get("splits", {})
        return ", ".join(f"{name} {info.get('pairs')}" for name, info in splits.items()) + " pairs"
    if stage in ("train", "train-teacher"):
        validation = stats.get("final_evaluation") or {}
        aucs = ", ".join(f"{task} {_format(validation[f'{task}_auc'])}" for task in ("book", "author") if f"{task}_auc" in validation)
        return f"{stats.get('steps')} steps, {_format(stats.get('samples_per_second'))} samples/s" + (f", validation AUC {aucs}" if aucs else "")
    if stage == "calibrate":
        return f"{_dig(stats, 'book', 'method')}, book threshold {_format(_dig(stats, 'book', 'threshold'))}"
    if stage == "evaluate":
        summary = stats.get("summary", {})  # {system: {task: {auc, overall, ece}}}, the model first
        system = next((name for name in summary if "calibrated" in name and "uncalibrated" not in name), next(iter(summary), None))
        if system is None:
            return ""
        return f"{system}: " + ", ".join(f"{task} AUC {_format(metrics.get('auc'))}" for task, metrics in summary[system].items())
    if stage == "index":
        return f"{stats.get('books')} books, {stats.get('chunks')} chunks"
    return ""


def _format(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def run_pipeline(request: PipelineRequest, stages: list[str], *, on_stage: Callable[[StageOutcome], None] | None = None) -> list[StageOutcome]:
    """Run ``stages`` in order; a stage whose manifest did not change was skipped as current."""
    outcomes = []
    for stage in stages:
        logger.info("pipeline: %s", stage)
        started, started_at = time.perf_counter(), datetime.now().astimezone()
        manifest = ADAPTERS[stage](request)
        seconds = time.perf_counter() - started
        if manifest is None:
            outcome = StageOutcome(stage, "not needed", seconds, "distillation off")
        else:
            status = "skipped" if datetime.fromisoformat(manifest.created) < started_at else "ran"
            outcome = StageOutcome(stage, status, seconds, key_metric(stage, manifest.stats))
        outcomes.append(outcome)
        if on_stage:
            on_stage(outcome)
    return outcomes
