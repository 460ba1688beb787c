"""The sharded prepare across Modal containers: stage A fanned out, stage B merged in one container.

Every step is the library's own (:mod:`writing7.prepare.sharding`, :mod:`writing7.stages.prepare`);
this module only decides where each runs:

1. the orchestrator plans the shards and writes ``shards_manifest.json`` (:func:`start_shards`) in
   ``/vol/tmp/prepare_shards``, splits the shards still to compute over the containers
   (:func:`split_across`) and hands the groups to ``fan_out`` (``.map`` over Modal containers, or a local
   process pool); each container runs :func:`chunk_shards`, i.e. :func:`write_shard` over its shards in
   ``per_container_workers`` processes, and returns what each shard file holds;
2. the orchestrator records every returned shard in the manifest (:func:`record_results`), so a rerun
   after a failure computes only the missing shards;
3. a fresh container reads that manifest from the volume, waits until every shard is visible
   (:func:`collect_shards`; Modal volumes show other containers' writes late), merges them and runs
   stage B and the save exactly as ``writing7 prepare`` does (:func:`merge_and_build`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, Manifest
from writing7.config.prepare import PrepareConfig
from writing7.errors import UserFacingError
from writing7.parallel import map_in_order
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.shard_manifest import Shard, ShardManifest
from writing7.prepare.sharding import MANIFEST_SAVE_SECONDS, collect_shards, shard_stats, start_shards, write_shard
from writing7.stages import prepare

logger = logging.getLogger(__name__)
# What a container returns: one record per shard it wrote, or the exception that stopped it.
ContainerOutcome = list[dict[str, Any]] | BaseException
FanOut = Callable[[list[list[Shard]]], Iterable[ContainerOutcome]]


def split_across(shards: Sequence[Shard], containers: int) -> list[list[Shard]]:
    """``shards`` dealt round-robin into at most ``containers`` non-empty groups.

    Dealing (rather than cutting into runs) spreads an author's long books, which sit next to each
    other in book-id order, over different containers.
    """
    count = max(1, min(containers, len(shards)))
    return [list(shards[index::count]) for index in range(count) if shards[index::count]]


def chunk_shards(shards: Sequence[Shard], cfg: PrepareConfig, directory: str, workers: int) -> list[dict[str, Any]]:
    """One container's stage A: :func:`write_shard` over ``shards`` in ``workers`` processes; a record per shard."""
    workers = max(1, min(workers, len(shards)))
    return map_in_order(write_shard, shards, cfg, directory, workers=workers, description="prepare: shards")


def fan_out_locally(groups: list[list[Shard]], cfg: PrepareConfig, directory: Path, per_container_workers: int) -> list[ContainerOutcome]:
    """Stage A with one local process per group, standing in for the containers (tests, ``.local()``)."""
    return map_in_order(chunk_shards, groups, cfg, str(directory), per_container_workers, workers=len(groups), description="prepare: containers")


def record_results(manifest: ShardManifest, outcomes: Iterable[ContainerOutcome]) -> list[BaseException]:
    """Mark every shard the containers wrote complete (saving as they arrive); returns the containers' failures."""
    failures = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            failures.append(outcome)
            continue
        for result in outcome:
            manifest.record(result)
        manifest.save(at_most_every=MANIFEST_SAVE_SECONDS)
    manifest.save()  # completed shards survive a failure
    return failures


def run_stage_a(cfg: PrepareConfig, inputs: prepare.PrepareInputs, *, containers: int, fan_out: FanOut) -> dict[str, Any]:
    """Plan, fan out and record stage A; returns the sharding stats for the prepare manifest."""
    manifest, todo = start_shards(inputs.books, cfg, directory=inputs.layout.shards, corpus_hash=inputs.hashes["corpus"])
    stats = shard_stats(manifest, todo, cfg)
    groups = split_across(todo, containers)
    stats["containers"] = len(groups)
    if not groups:
        return stats
    logger.info("prepare: %d shards over %d containers", len(todo), len(groups))
    failures = record_results(manifest, fan_out(groups))
    if failures:
        first = failures[0]
        raise UserFacingError(
            f"{len(failures)} of {len(groups)} shard containers failed (first: {type(first).__name__}: {first}); "
            f"the finished shards stay in {manifest.directory}: rerun prepare_sharded to resume"
        )
    return stats


def merge_and_build(
    cfg: PrepareConfig, *, corpus: Path, artifacts: Path, input_hashes: dict[str, str], sharding: dict[str, Any],
    refresh: Callable[[], None] | None = None, poll_seconds: float = 0.2,
) -> Manifest:
    """Stage B from the shards on disk: wait for them, merge, build the dataset and save it as ``writing7 prepare`` does.

    ``input_hashes`` are the orchestrator's :attr:`PrepareInputs.hashes`: it read and hashed every book
    already, and stage B reads only the shards (hashing a large corpus twice costs minutes of volume I/O).
    """
    inputs = prepare.PrepareInputs(books=[], hashes=input_hashes, layout=ArtifactLayout(Path(artifacts)), corpus=(Path(corpus),))
    manifest = ShardManifest.load(inputs.layout.shards, cfg, input_hashes["corpus"])
    timer = PhaseTimer()
    books = collect_shards(manifest, cfg, timer=timer, refresh=refresh, poll_seconds=poll_seconds)
    return prepare.build_and_save(books, cfg, inputs, timer=timer, sharding=sharding)
