"""The original Modal deployment, kept: same entry points, knobs and volumes, Writing7's stages underneath.

``modal run src/writing7/deploy/modal_app.py::pipeline_contrastive --training-dir /input/training``
(docs/modal.md). Every function is a thin wrapper: it loads the stage's config the way the matching
``writing7`` command does (``XConfig.load(config_file, **options)``), maps the volume paths through
:func:`~writing7.deploy.volumes.container_path`, calls the same ``writing7.stages`` function, and
commits the artifacts volume. Importing this module needs the ``modal`` package but no account and
no network; nothing is built or looked up until ``modal run`` / ``modal deploy``.

Outside a running app (tests, ``fn.local(...)``) the functions call each other in this process and
the sharded prepare's containers become local processes; ``WRITING7_MODAL_INPUT`` / ``_TRAINING`` /
``_VOL`` redirect the mount points to folders (:mod:`writing7.deploy.volumes`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import modal

from writing7.artifacts import ArtifactLayout, Manifest
from writing7.deploy import sharded, wipe
from writing7.deploy.images import build_image
from writing7.deploy.volumes import (
    ARTIFACTS_MOUNT, ARTIFACTS_VOLUME, INPUT_MOUNT, TRAINING_MOUNT, TRAINING_VOLUME, artifacts_root,
    container_path, optional_path,
)

logger = logging.getLogger(__name__)

APP_NAME = "writing7"
GPU = os.environ.get("WRITING7_MODAL_GPU", "H200")  # read when the app is defined: `WRITING7_MODAL_GPU=A100 modal run ...`
LLM_SECRET = "llm-api-keys"  # holds WRITING7_LLM_API_KEY (or OPENAI_API_KEY) for bench-style
HOUR = 3600
DEFAULT_TRAINING_DIR = f"{INPUT_MOUNT}/training"
# Where the pipeline's standardize writes, as a container path: every later step reads the standardized books there.
CLEAN_DIR = (Path(ARTIFACTS_MOUNT) / ArtifactLayout(Path()).clean).as_posix()
SHARD_POLL_SECONDS = 5.0  # stage B reloads the volume between looks; more often only costs reloads


app = modal.App(APP_NAME)
image_cpu = build_image(cuda=False)
image_gpu = build_image(cuda=True)
training_volume = modal.Volume.from_name(TRAINING_VOLUME)
artifacts_volume = modal.Volume.from_name(ARTIFACTS_VOLUME, create_if_missing=True)
llm_secret = modal.Secret.from_name(LLM_SECRET)
STAGE_VOLUMES = {INPUT_MOUNT: training_volume.read_only(), ARTIFACTS_MOUNT: artifacts_volume}
INGEST_VOLUMES = {TRAINING_MOUNT: training_volume}

if not modal.is_local():  # in a container: the stages' INFO lines are the run's log
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


# -- running here or on Modal ----------------------------------------------------------------------------
def on_modal() -> bool:
    """True in a container of this app or in the client of a running app: calls then go to containers."""
    return not modal.is_local() or app.app_id is not None


def call(function: modal.Function, **kwargs: Any) -> Any:
    """``function(**kwargs)`` in its own container on Modal; in this process otherwise (the volumes are folders here)."""
    if on_modal():
        return function.remote(**kwargs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*executing locally.*")
        return function.local(**kwargs)


def commit_artifacts() -> None:
    """Make this container's writes to /vol visible to the next containers (a no-op here)."""
    if not modal.is_local():
        artifacts_volume.commit()


def reload_artifacts() -> None:
    """See what other containers committed to /vol (a no-op here)."""
    if not modal.is_local():
        artifacts_volume.reload()


def summary(manifest: Manifest | None) -> dict[str, Any]:
    """What an entry point returns: the stage's manifest stats (JSON-able, shown by ``modal run``)."""
    if manifest is None:
        return {}
    return {"stage": manifest.stage, "created": manifest.created, "stats": manifest.stats}


def config_path(config_file: str) -> Path | None:
    """The ``--config-file`` TOML (a path in the container: ``/opt/writing7/configs/gpu.toml``, ``/input/...``), or None."""
    return optional_path(config_file)


# -- standardize ---------------------------------------------------------------------------------------------
@app.function(image=image_cpu, volumes=STAGE_VOLUMES, cpu=8, memory=16384, timeout=12 * HOUR)
def standardize_remote(training_dir: str = DEFAULT_TRAINING_DIR, config_file: str = "", force: bool = False) -> dict[str, Any]:
    """``writing7 standardize``: the raw books of ``training_dir`` -> ``/vol/data/clean`` (what the pipeline's later steps read)."""
    from writing7.config.standardize import StandardizeConfig
    from writing7.stages import standardize

    reload_artifacts()
    cfg = StandardizeConfig.load(config_path(config_file))
    result = standardize.run(cfg, corpus=container_path(training_dir), output=container_path(CLEAN_DIR), force=force)
    commit_artifacts()
    return summary(result.manifest)


# -- ingest ------------------------------------------------------------------------------------------------
@app.function(image=image_cpu, volumes=INGEST_VOLUMES, timeout=12 * HOUR)
def gutenberg_fetch_all_http(
    ids: str, corpus_dir: str = f"{TRAINING_MOUNT}/training", id_concurrency: int | None = None,
    per_id_timeout_s: float | None = None, skip_if_exists: bool | None = None, mirror: str = "", catalog: str = "",
    config_file: str = "",
) -> dict[str, Any]:
    """``writing7 ingest gutenberg``: fetch ids ("1342,84 98") into ``corpus_dir`` on the training volume."""
    from writing7.config.ingest import IngestConfig
    from writing7.stages.ingest import parse_ids, run_gutenberg

    cfg = IngestConfig.load(
        config_path(config_file), concurrency=id_concurrency, id_timeout_seconds=per_id_timeout_s,
        skip_if_exists=skip_if_exists, mirror=mirror or None,
    )
    result = run_gutenberg(cfg, book_ids=parse_ids([ids]), corpus=container_path(corpus_dir), catalog_path=optional_path(catalog))
    if not modal.is_local():
        training_volume.commit()
    for line in result.lines():
        logger.info("%s", line)
    return {"counts": dict(result.counts), "lines": result.lines()}


# -- prepare -----------------------------------------------------------------------------------------------
PREPARE_KNOBS = (
    "chunk_size", "overlap", "max_chunks_per_book", "num_chunks_for_embed", "num_hard_negative_books",
    "n_positive_per_book", "n_negative_per_book", "n_same_author_per_book", "train_ratio", "val_ratio", "seed",
    "embed_batch_size", "max_seq_length", "max_books",
)


def prepare_options(arguments: dict[str, Any]) -> dict[str, Any]:
    """The prepare knobs among an entry point's arguments (its ``locals()``): ``PrepareConfig.load`` overrides."""
    return {name: arguments[name] for name in PREPARE_KNOBS if name in arguments}


def run_prepare(training_dir: str, config_file: str, options: dict[str, Any], force: bool) -> dict[str, Any]:
    """``writing7 prepare`` in this container; stage A in its process pool (never Ray, which the images lack)."""
    from writing7.config.prepare import PrepareConfig
    from writing7.stages import prepare

    cfg = PrepareConfig.load(config_path(config_file), **options, force_sharded=False, auto_shard=False)
    manifest = prepare.run(cfg, corpus=container_path(training_dir), artifacts=artifacts_root(), force=force).manifest
    commit_artifacts()
    return summary(manifest)


def prepare_in_container(
    training_dir: str = DEFAULT_TRAINING_DIR, config_file: str = "", force: bool = False,
    chunk_size: int | None = None, overlap: int | None = None, max_chunks_per_book: int | None = None,
    num_chunks_for_embed: int | None = None, num_hard_negative_books: int | None = None,
    n_positive_per_book: int | None = None, n_negative_per_book: int | None = None, n_same_author_per_book: int | None = None,
    train_ratio: float | None = None, val_ratio: float | None = None, seed: int | None = None,
    embed_batch_size: int | None = None, max_seq_length: int | None = None, max_books: int | None = None,
) -> dict[str, Any]:
    """``writing7 prepare`` in one container: ``training_dir`` -> ``/vol/data/processed``.

    Registered twice, with one body: ``prepare_remote`` (8 CPU cores) and ``prepare_remote_gpu`` (embedding and
    neighbour mining on the GPU). Modal finds the body by this global name in the container, whichever it runs.
    """
    return run_prepare(training_dir, config_file, prepare_options(locals()), force)


prepare_remote = app.function(image=image_cpu, volumes=STAGE_VOLUMES, cpu=8, memory=32768, timeout=24 * HOUR,
                              name="prepare_remote")(prepare_in_container)
prepare_remote_gpu = app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=24 * HOUR,
                                  name="prepare_remote_gpu")(prepare_in_container)


@app.function(image=image_cpu, volumes=STAGE_VOLUMES, cpu=8, timeout=12 * HOUR)
def prepare_chunk_shard_remote(shards: list[Any], cfg_values: dict[str, Any], per_container_workers: int) -> list[dict[str, Any]]:
    """Stage A of the sharded prepare in one container: write ``shards`` to /vol/tmp/prepare_shards."""
    from writing7.config.prepare import PrepareConfig

    reload_artifacts()  # the books may be the pipeline's standardized copy on /vol
    cfg = PrepareConfig.from_mapping(cfg_values)
    results = sharded.chunk_shards(shards, cfg, str(ArtifactLayout(artifacts_root()).shards), per_container_workers)
    commit_artifacts()
    return results


@app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=24 * HOUR)
def prepare_merge_shards_remote_gpu(
    training_dir: str, cfg_values: dict[str, Any], input_hashes: dict[str, str], sharding: dict[str, Any],
) -> dict[str, Any]:
    """Stage B of the sharded prepare: wait for every shard in shards_manifest.json, merge, build, save."""
    from writing7.config.prepare import PrepareConfig

    reload_artifacts()
    manifest = sharded.merge_and_build(
        PrepareConfig.from_mapping(cfg_values), corpus=container_path(training_dir), artifacts=artifacts_root(),
        input_hashes=input_hashes, sharding=sharding, refresh=reload_artifacts,
        poll_seconds=SHARD_POLL_SECONDS if not modal.is_local() else 0.2,
    )
    commit_artifacts()
    return summary(manifest)


def fan_out_shards(groups: list[list[Any]], cfg: Any, per_container_workers: int) -> Iterable[Any]:
    """Stage A's groups to containers (``.map``) on Modal, or to local processes here."""
    if not on_modal():
        return sharded.fan_out_locally(groups, cfg, ArtifactLayout(artifacts_root()).shards, per_container_workers)
    return prepare_chunk_shard_remote.map(
        groups, kwargs={"cfg_values": cfg.to_dict(), "per_container_workers": per_container_workers},
        order_outputs=False, return_exceptions=True,
    )


@app.function(image=image_cpu, volumes=STAGE_VOLUMES, timeout=24 * HOUR)
def prepare_sharded(
    training_dir: str = DEFAULT_TRAINING_DIR, containers: int = 100, per_container_workers: int = 8,
    shard_wait_timeout_s: float = 2 * HOUR, books_per_shard: int | None = None, config_file: str = "", force: bool = False,
    chunk_size: int | None = None, overlap: int | None = None, max_chunks_per_book: int | None = None,
    num_chunks_for_embed: int | None = None, num_hard_negative_books: int | None = None,
    n_positive_per_book: int | None = None, n_negative_per_book: int | None = None, n_same_author_per_book: int | None = None,
    train_ratio: float | None = None, val_ratio: float | None = None, seed: int | None = None,
    embed_batch_size: int | None = None, max_seq_length: int | None = None, max_books: int | None = None,
) -> dict[str, Any]:
    """The sharded prepare: stage A over ``containers`` CPU containers, then stage B on a GPU container."""
    from writing7.config.prepare import PrepareConfig
    from writing7.stages import prepare

    cfg = PrepareConfig.load(
        config_path(config_file), **prepare_options(locals()), force_sharded=True, auto_shard=False,
        shard_wait_timeout_s=shard_wait_timeout_s, books_per_shard=books_per_shard,
    )
    reload_artifacts()  # a previous run's shards, to resume from
    inputs = prepare.read_inputs(cfg, corpus=container_path(training_dir), artifacts=artifacts_root())
    current = None if force else prepare.current_manifest(cfg, inputs)
    if current is not None:
        return summary(current)
    stats = sharded.run_stage_a(cfg, inputs, containers=containers, fan_out=lambda groups: fan_out_shards(groups, cfg, per_container_workers))
    stats["per_container_workers"] = per_container_workers
    commit_artifacts()  # the shards and their manifest, before a fresh container reads them
    return call(prepare_merge_shards_remote_gpu, training_dir=training_dir, cfg_values=cfg.to_dict(), input_hashes=inputs.hashes, sharding=stats)


@app.function(image=image_cpu, volumes=STAGE_VOLUMES, timeout=HOUR)
def use_sharded_prepare(
    training_dir: str = DEFAULT_TRAINING_DIR, config_file: str = "", force_sharded: bool = False, auto_shard: bool = False,
    sharded_switch_threshold: int | None = None, max_books: int | None = None,
) -> bool:
    """Whether the pipeline prepares sharded: ``--force-sharded``, or ``--auto-shard`` on at least the threshold of books."""
    from writing7.config.prepare import PrepareConfig
    from writing7.corpus import discover_books
    from writing7.prepare.chunking import select_books
    from writing7.prepare.sharding import use_sharding

    cfg = PrepareConfig.load(
        config_path(config_file), force_sharded=force_sharded or None, auto_shard=auto_shard or None,
        sharded_switch_threshold=sharded_switch_threshold, max_books=max_books,
    )
    if cfg.force_sharded or not cfg.auto_shard:
        return cfg.force_sharded
    books = select_books(discover_books(container_path(training_dir)), cfg.max_books)
    logger.info("prepare: %d book files, switch to sharded at %d", len(books), cfg.sharded_switch_threshold)
    return use_sharding(cfg, len(books))


# -- train, calibrate, evaluate ------------------------------------------------------------------------------
@app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=24 * HOUR)
def train_remote_gpu(
    config_file: str = "", base_model: str = "", max_steps: int | None = None, learning_rate: float | None = None,
    precision: str = "", seed: int | None = None, force: bool = False,
) -> dict[str, Any]:
    """``writing7 train-teacher``: the cross-encoder teacher -> ``/vol/models/book_matcher/final``."""
    from writing7.config.train import TeacherConfig
    from writing7.stages import train

    reload_artifacts()
    cfg = TeacherConfig.load(
        config_path(config_file), base_model=base_model or None, max_steps=max_steps, learning_rate=learning_rate,
        precision=precision or None, seed=seed,
    )
    manifest = train.run_teacher(cfg, artifacts=artifacts_root(), force=force).manifest
    commit_artifacts()
    return summary(manifest)


@app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=24 * HOUR)
def train_contrastive_remote_gpu(
    config_file: str = "", base_model: str = "", max_steps: int | None = None, learning_rate: float | None = None,
    distill_from_cross: bool | None = None, precision: str = "", seed: int | None = None, force: bool = False,
) -> dict[str, Any]:
    """``writing7 train``: the bi-encoder -> ``/vol/models/book_matcher_contrastive/final``.

    With distillation on, the teacher is trained first when it is missing (or stale), as the CLI does.
    """
    from writing7.config.train import TeacherConfig, TrainConfig
    from writing7.stages import train

    reload_artifacts()
    cfg = TrainConfig.load(
        config_path(config_file), base_model=base_model or None, max_steps=max_steps, learning_rate=learning_rate,
        distill_from_cross=distill_from_cross, precision=precision or None, seed=seed,
    )
    teacher_cfg = TeacherConfig.load(config_path(config_file), precision=precision or None)
    if cfg.distill_from_cross:
        train.ensure_teacher(teacher_cfg, artifacts=artifacts_root())
    result = train.run(cfg, artifacts=artifacts_root(), force=force)
    commit_artifacts()
    return summary(result.manifest)


@app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=6 * HOUR)
def calibrate_contrastive_remote_gpu(
    training_dir: str = DEFAULT_TRAINING_DIR, fit_corpus: str = "", config_file: str = "", target_metric: str = "",
    method: str = "", max_pairs: int | None = None, force: bool = False,
) -> dict[str, Any]:
    """``writing7 calibrate`` and ``calibrate-attribution``: passage calibration, style map, the verdict and attribution's
    open-set softmax, next to the model (as the pipeline's calibrate step)."""
    from writing7.config.attribution import AttributionConfig
    from writing7.config.calibrate import CalibrateConfig
    from writing7.stages import attribution, calibrate, verdict

    reload_artifacts()
    cfg = CalibrateConfig.load(
        config_path(config_file), target_metric=target_metric or None, method=method or None, max_pairs=max_pairs,
        fit_corpora=[str(container_path(fit_corpus))] if fit_corpus else None,
    )
    manifest = calibrate.run(cfg, artifacts=artifacts_root(), force=force).manifest
    fitted = verdict.run(cfg, corpus=container_path(training_dir), artifacts=artifacts_root(), force=force)
    attributed = attribution.run(AttributionConfig.load(config_path(config_file)), corpus=container_path(training_dir),
                                 artifacts=artifacts_root(), force=force)
    commit_artifacts()
    return {**summary(manifest), "verdict": fitted.stats, "attribution": attributed.summary}


@app.function(image=image_gpu, gpu=GPU, volumes=STAGE_VOLUMES, memory=65536, timeout=6 * HOUR)
def evaluate_contrastive_remote_gpu(
    training_dir: str = DEFAULT_TRAINING_DIR, config_file: str = "", max_pairs: int | None = None,
    plots: bool | None = None, force: bool = False,
) -> dict[str, Any]:
    """``writing7 evaluate --corpus``: /vol/reports/evaluation.{json,md} (+ by length unless ``training_dir`` is empty)."""
    from writing7.config.evaluate import EvaluateConfig
    from writing7.stages import evaluate, evaluate_lengths

    reload_artifacts()
    cfg = EvaluateConfig.load(config_path(config_file), max_pairs=max_pairs, plots=plots)
    manifest = evaluate.run(cfg, artifacts=artifacts_root(), force=force).manifest
    result = summary(manifest)
    if training_dir:
        lengths = evaluate_lengths.run(cfg, corpus=container_path(training_dir), artifacts=artifacts_root(), force=force)
        result["lengths"] = lengths.stats["auc"]
    commit_artifacts()
    return result


@app.function(image=image_cpu, volumes=STAGE_VOLUMES, secrets=[llm_secret], timeout=6 * HOUR)
def bench_style_remote(
    training_dir: str = DEFAULT_TRAINING_DIR, authors: str = "", n_authors: int | None = None, llm: str = "openai",
    llm_base_url: str = "", llm_model: str = "", samples: int | None = None, config_file: str = "",
) -> dict[str, Any]:
    """``writing7 bench-style`` against an OpenAI-compatible endpoint; its key comes from the ``llm-api-keys`` secret."""
    from writing7.stages.bench_style import run
    from writing7.config.bench_style import BenchStyleConfig

    reload_artifacts()
    names = [name.strip() for name in authors.split(",") if name.strip()] or None
    cfg = BenchStyleConfig.load(
        config_path(config_file), authors=names, n_authors=n_authors, llm=llm or None, llm_base_url=llm_base_url or None,
        llm_model=llm_model or None, samples=samples,
    )
    layout = ArtifactLayout(artifacts_root())
    report = run(cfg, model_dir=layout.bi_encoder, corpus=container_path(training_dir), output=layout.reports)
    commit_artifacts()
    return report


# -- wipe ------------------------------------------------------------------------------------------------------
@app.function(image=image_cpu, volumes={ARTIFACTS_MOUNT: artifacts_volume}, timeout=HOUR)
def wipe_artifacts_remote(what: str = "all", confirmed: list[str] | None = None) -> dict[str, Any]:
    """``writing7 clean`` on /vol: the plan alone, or, with the ``confirmed`` paths of that plan, the deletion."""
    reload_artifacts()
    if confirmed is None:
        return wipe.describe(wipe.plan_wipe(artifacts_root(), what=what))
    result = wipe.wipe_confirmed(artifacts_root(), what=what, confirmed=confirmed)
    commit_artifacts()
    return result


@app.local_entrypoint()
def wipe_artifacts(what: str = "all", yes: bool = False) -> None:
    """Show what a wipe of /vol deletes, ask as ``writing7 clean`` does (or take ``--yes``), then delete just that."""
    import typer

    from writing7.stages.clean import confirm_deletion

    plan = call(wipe_artifacts_remote, what=what)
    wipe.log_plan(plan)
    if not plan["paths"]:
        logger.info("nothing to delete")
        return
    if confirm_deletion(yes=yes, ask=lambda question: typer.confirm(question)):
        call(wipe_artifacts_remote, what=what, confirmed=plan["paths"])
        logger.info("deleted")


# -- the one-click pipeline ------------------------------------------------------------------------------------
@app.local_entrypoint()
def pipeline_contrastive(
    training_dir: str = DEFAULT_TRAINING_DIR, config_file: str = "", fit_corpus: str = "", force: bool = False,
    force_sharded: bool = False, auto_shard: bool = False, sharded_switch_threshold: int | None = None,
    containers: int = 100, per_container_workers: int = 8, shard_wait_timeout_s: float = 2 * HOUR,
    chunk_size: int | None = None, overlap: int | None = None, max_chunks_per_book: int | None = None,
    num_chunks_for_embed: int | None = None, num_hard_negative_books: int | None = None,
    n_positive_per_book: int | None = None, n_negative_per_book: int | None = None, n_same_author_per_book: int | None = None,
    train_ratio: float | None = None, val_ratio: float | None = None, seed: int | None = None,
    max_books: int | None = None,
) -> None:
    """standardize -> prepare (single GPU container, or sharded) -> train (teacher first when distilling) -> calibrate
    (with attribution) -> evaluate, as ``writing7 pipeline``: every step after standardize reads ``/vol/data/clean``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = prepare_options(locals())
    logger.info("pipeline: standardize %s -> %s", training_dir, CLEAN_DIR)
    call(standardize_remote, training_dir=training_dir, config_file=config_file, force=force)
    training_dir = CLEAN_DIR
    common = {"training_dir": training_dir, "config_file": config_file, "force": force}
    use_shards = call(
        use_sharded_prepare, training_dir=training_dir, config_file=config_file, force_sharded=force_sharded,
        auto_shard=auto_shard, sharded_switch_threshold=sharded_switch_threshold, max_books=max_books,
    )
    if use_shards:
        logger.info("pipeline: prepare (sharded over up to %d containers)", containers)
        call(prepare_sharded, **common, **options, containers=containers, per_container_workers=per_container_workers,
             shard_wait_timeout_s=shard_wait_timeout_s)
    else:
        logger.info("pipeline: prepare (one GPU container)")
        call(prepare_remote_gpu, **common, **options)
    logger.info("pipeline: train")
    call(train_contrastive_remote_gpu, config_file=config_file, force=force)
    logger.info("pipeline: calibrate")
    call(calibrate_contrastive_remote_gpu, training_dir=training_dir, fit_corpus=fit_corpus, config_file=config_file, force=force)
    logger.info("pipeline: evaluate")
    result = call(evaluate_contrastive_remote_gpu, training_dir=training_dir, config_file=config_file, force=force)
    logger.info("pipeline: done; model in %s/models/book_matcher_contrastive/final, report in %s/reports/evaluation.md "
                "(%s)", ARTIFACTS_MOUNT, ARTIFACTS_MOUNT, result.get("stats", {}).get("summary", ""))
