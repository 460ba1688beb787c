"""`writing7 pipeline`: every stage in order, skipping the ones whose manifests are current.

standardize -> prepare -> train-teacher (only when distillation is on) -> train -> calibrate
(passage calibration, then the verdict, then attribution) -> evaluate (passages, then by length) -> index.
Each stage reads its own table of the one config file. A pipeline step runs one or more stages
(:mod:`writing7.stages`) and reports each one's :class:`~writing7.stages.StageResult` as it is: whether it
ran or was skipped, and its own summary line. Nothing here reads a stage's stats.

Only standardize reads ``--corpus``: every later stage reads the standardized copy (:func:`clean_corpus`),
so ``[standardize]`` decides what the rest of the pipeline sees and its hash lands in their manifests.
Fit corpora (``--fit-corpus``) are not standardized: the verdict cleans them on the way in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from writing7.artifacts import ArtifactLayout, require_input
from writing7.corpus import corpus_folders
from writing7.stages import StageResult

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
    """One line of the pipeline's table: a stage (or sub-stage, e.g. ``calibrate-verdict``) and what it did."""

    stage: str
    status: str  # ran | skipped | not needed
    seconds: float
    summary: str


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


# -- one adapter per step: load the stage's config table, call its entry point(s) --------------------------
# A step yields one StageResult per stage it runs, as each finishes, so a step of three stages reports three lines.
Step = Iterator[StageResult]


def _standardize(request: PipelineRequest) -> Step:
    from writing7.config.standardize import StandardizeConfig
    from writing7.stages import standardize

    cfg = StandardizeConfig.load(request.config_file)
    for source, output in zip(corpus_folders(request.corpus), clean_folders(request)):
        yield standardize.run(cfg, corpus=source, output=output, force=request.force)


def _prepare(request: PipelineRequest) -> Step:
    from writing7.config.prepare import PrepareConfig
    from writing7.stages import prepare

    overrides = {"force_sharded": True} if request.force_sharded else {}
    cfg = PrepareConfig.load(request.config_file, **overrides)
    yield prepare.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)


def _train_teacher(request: PipelineRequest) -> Step:
    from writing7.config.train import TeacherConfig, TrainConfig
    from writing7.stages import train

    if not TrainConfig.load(request.config_file).distill_from_cross:
        yield StageResult("train-teacher", None, ran=False, summary="not needed: distillation off")
        return
    yield train.ensure_teacher(TeacherConfig.load(request.config_file), artifacts=request.artifacts, force=request.force)


def _train(request: PipelineRequest) -> Step:
    from writing7.config.train import TrainConfig
    from writing7.stages import train

    yield train.run(TrainConfig.load(request.config_file), artifacts=request.artifacts, force=request.force)


def _calibrate(request: PipelineRequest) -> Step:
    from writing7.config.attribution import AttributionConfig
    from writing7.config.calibrate import CalibrateConfig
    from writing7.stages import attribution, calibrate, verdict

    cfg = CalibrateConfig.load(request.config_file, fit_corpora=list(request.fit_corpora) or None)
    yield calibrate.run(cfg, artifacts=request.artifacts, force=request.force)
    yield verdict.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)
    # attribution's open-set softmax (and its report on test authors): `writing7 attribute` and the page need it
    yield attribution.run(AttributionConfig.load(request.config_file), corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)


def _evaluate(request: PipelineRequest) -> Step:
    from writing7.config.evaluate import EvaluateConfig
    from writing7.stages import evaluate, evaluate_lengths

    cfg = EvaluateConfig.load(request.config_file)
    yield evaluate.run(cfg, artifacts=request.artifacts, force=request.force)
    yield evaluate_lengths.run(cfg, corpus=clean_corpus(request), artifacts=request.artifacts, force=request.force)


def _index(request: PipelineRequest) -> Step:
    from writing7.config.index import IndexConfig
    from writing7.stages import index

    layout = ArtifactLayout(request.artifacts)
    cfg = IndexConfig.load(request.config_file)
    yield index.run(cfg, corpus=clean_corpus(request), model_dir=layout.bi_encoder, output=layout.index, force=request.force)


STEPS: dict[str, Callable[[PipelineRequest], Step]] = {
    "standardize": _standardize, "prepare": _prepare, "train-teacher": _train_teacher, "train": _train,
    "calibrate": _calibrate, "evaluate": _evaluate, "index": _index,
}


def _outcome(result: StageResult, seconds: float) -> StageOutcome:
    status = "not needed" if result.manifest is None and not result.ran else result.status
    return StageOutcome(result.stage, status, seconds, result.summary)


def run_pipeline(request: PipelineRequest, stages: list[str], *, on_stage: Callable[[StageOutcome], None] | None = None) -> list[StageOutcome]:
    """Run the steps ``stages`` in order; one outcome per stage run, as each stage reports it."""
    outcomes = []
    for step in stages:
        logger.info("pipeline: %s", step)
        started = time.perf_counter()
        for result in STEPS[step](request):
            now = time.perf_counter()
            outcome = _outcome(result, now - started)
            started = now
            outcomes.append(outcome)
            if on_stage:
                on_stage(outcome)
    return outcomes
