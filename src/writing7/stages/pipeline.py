"""`writing7 pipeline`: every stage in order, skipping the ones whose manifests are current.

standardize -> prepare -> train-teacher (only when distillation is on) -> train -> calibrate
(classifier, style and document aggregation) -> evaluate -> index. Each stage reads its own table
of the one config file; the run ends with a table of stage, status, seconds and a key metric.

Only standardize reads ``--corpus``: every later stage reads the standardized copy (:func:`clean_corpus`),
so ``[standardize]`` decides what the rest of the pipeline sees and its hash lands in their manifests.
Fit corpora (``--fit-corpus``) are not standardized: the verdict cleans them on the way in.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, Manifest, require_input
from writing7.corpus import corpus_folders

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


# -- the standardized corpus: one folder per --corpus folder ------------------------------------
def clean_folders(request: PipelineRequest) -> tuple[Path, ...]:
    """Where standardize writes each ``--corpus`` folder: ``data/clean``, then ``data/clean-2``, ``data/clean-3``, ...

    One output per source folder (not one merged folder) keeps the folders apart downstream: prepare
    splits each folder's authors on its own, as it does on the raw folders.
    """
    clean = ArtifactLayout(request.artifacts).clean
    count = len(corpus_folders(request.corpus))
    return tuple(clean if position == 0 else clean.with_name(f"{clean.name}-{position + 1}") for position in range(count))


def clean_corpus(request: PipelineRequest) -> tuple[Path, ...]:
    """The corpus every stage after standardize reads (each folder must exist: one line naming standardize otherwise)."""
    return tuple(require_input(folder, stage="standardize", what="standardized corpus") for folder in clean_folders(request))


# -- one adapter per stage: load its config table, call its entry point -------------------------
def _standardize(request: PipelineRequest) -> Manifest:
    from writing7.config.standardize import StandardizeConfig
    from writing7.stages import standardize

    cfg = StandardizeConfig.load(request.config_file)
    manifests = [standardize.run(cfg, source=source, output=output, force=request.force)
                 for source, output in zip(corpus_folders(request.corpus), clean_folders(request))]
    return combined_standardize_manifest(manifests)


def combined_standardize_manifest(manifests: list[Manifest]) -> Manifest:
    """One manifest for the pipeline's table: the newest one, with the books and kept fraction over every folder."""
    newest = max(manifests, key=lambda manifest: manifest.created)
    if len(manifests) == 1:
        return newest
    fractions = [manifest.stats.get("min_kept_fraction") for manifest in manifests]
    stats = {"books_written": sum(manifest.stats.get("books_written", 0) for manifest in manifests),
             "min_kept_fraction": min((fraction for fraction in fractions if fraction is not None), default=None)}
    return dataclasses.replace(newest, stats=stats)


def _prepare(request: PipelineRequest) -> Manifest:
    from writing7.config.prepare import PrepareConfig
    from writing7.stages import prepare

    overrides = {"force_sharded": True} if request.force_sharded else {}
    cfg = PrepareConfig.load(request.config_file, **overrides)
    return prepare.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)


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
    verdict.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)
    # attribution's open-set softmax (and its report on test authors): `writing7 attribute` and the page need it
    attribution.run(AttributionConfig.load(request.config_file), corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)
    return manifest


def _evaluate(request: PipelineRequest) -> Manifest:
    from writing7.config.evaluate import EvaluateConfig
    from writing7.stages import evaluate, evaluate_lengths

    cfg = EvaluateConfig.load(request.config_file)
    manifest = evaluate.run(cfg, artifacts=request.artifacts, force=request.force)
    lengths = evaluate_lengths.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)
    manifest.stats["lengths"] = lengths.stats["auc"]
    return manifest


def _index(request: PipelineRequest) -> Manifest:
    from writing7.config.index import IndexConfig
    from writing7.stages import index

    layout = ArtifactLayout(request.artifacts)
    cfg = IndexConfig.load(request.config_file)
    return index.run(cfg, corpus=clean_corpus(request), model_dir=layout.bi_encoder, out=layout.index, force=request.force)


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
