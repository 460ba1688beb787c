"""Stage ``calibrate`` (second half): fit the any-length verdict on validation authors.

1. The text profiler's corpus statistics (idf, MFW, z-scores, vocabulary) are fitted on excerpts of
   the *training* split's books.
2. Validation books (authors the encoder never saw) are cut into pairs at 200, 1,000, 5,000 words and
   whole halves (:mod:`writing7.stages.length_suite`); every pair goes through exactly the inference
   path (:class:`~writing7.inference.verdict.VerdictFeaturizer`).
3. One fused logistic head per task and length band is fitted on them, with its PAN threshold and
   abstention band, and written with the profiler as ``verdict.json`` + ``text_profile/`` in the model
   folder, then ``verdict_manifest.json``; skipped while that manifest matches inputs, config and outputs.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout, Manifest, files_current, finish_files, hash_tree, read_manifest, require_input
from writing7.config.calibrate import CalibrateConfig
from writing7.inference.documents import ChunkingSettings
from writing7.inference.verdict import PROFILE_DIRECTORY, TASKS, VERDICT_FILE, PairFeatures, Verdict, VerdictFeaturizer, band_of, fit_band_heads
from writing7.models.text_profile import TextProfiler
from writing7.prepare.length_pairs import LengthPairs
from writing7.stages.length_suite import suite, training_excerpts

logger = logging.getLogger(__name__)
STAGE = "calibrate-verdict"
MANIFEST_FILE = "verdict_manifest.json"
VERDICT_CONFIG_FIELDS = ("passage_sentences", "single_passage_words", "min_chunk_chars", "max_chunks_per_document", "top_k",
                         "verdict_pairs_per_kind", "verdict_inverse_regularisation", "target_metric", "max_band_fraction", "seed", "batch_size")


def chunking_settings(cfg: CalibrateConfig) -> ChunkingSettings:
    return ChunkingSettings(chunk_size=cfg.passage_sentences, min_chunk_chars=cfg.min_chunk_chars, max_chunks=cfg.max_chunks_per_document,
                            top_k=cfg.top_k, single_passage_words=cfg.single_passage_words)


def suite_features(featurizer: VerdictFeaturizer, pairs: dict[str, LengthPairs]) -> dict[str, PairFeatures]:
    """Verdict inputs of every length's pairs, through the inference path."""
    features = {}
    for length, length_pairs in pairs.items():
        logger.info("verdict: features of %d pairs at %s words", len(length_pairs.kinds), length)
        features[length] = featurizer.features(length_pairs.texts1, length_pairs.texts2)
    return features


def fit_verdict(cfg: CalibrateConfig, pairs: dict[str, LengthPairs], features: dict[str, PairFeatures], profiler: TextProfiler) -> Verdict:
    """One head per task and band from the balanced task pairs of every length."""
    heads: dict[str, Any] = {}
    stats: dict[str, Any] = {"pairs": {length: len(p.kinds) for length, p in pairs.items()}}
    for task in TASKS:
        values, labels, bands = [], [], []
        for length, length_pairs in pairs.items():
            mask, task_labels = length_pairs.task(task)
            values.append(features[length].values[mask])
            labels.append(task_labels)
            bands += [band_of(words) for words in features[length].shorter_words[mask]]
        heads[task] = fit_band_heads(np.concatenate(values), np.concatenate(labels), np.array(bands), task=task,
                                     target_metric=cfg.target_metric, inverse_regularisation=cfg.verdict_inverse_regularisation,
                                     max_band_fraction=cfg.max_band_fraction)
        stats[task] = {band: head.validation for band, head in heads[task].items()}
    return Verdict(chunking_settings(cfg), profiler, heads, stats)


def verdict_config(cfg: CalibrateConfig) -> dict[str, Any]:
    return {name: value for name, value in cfg.to_dict().items() if name in VERDICT_CONFIG_FIELDS}


def run(cfg: CalibrateConfig, *, corpus: Path, artifacts: Path, force: bool = False, device: str | None = None) -> Manifest:
    """Fit and write the verdict next to the trained model under ``artifacts`` (skipped when current)."""
    from writing7.models.matcher import MatcherModel

    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset (train and validation splits)")
    corpus = require_input(Path(corpus), stage="ingest", what="corpus directory")
    inputs = {"model": hash_tree(model_dir), "processed": hash_tree(processed), "corpus": hash_tree(corpus, suffixes=(".txt",))}
    outputs = [model_dir / VERDICT_FILE, model_dir / PROFILE_DIRECTORY]
    manifest_path, config = model_dir / MANIFEST_FILE, verdict_config(cfg)
    if not force and files_current(manifest_path, stage=STAGE, config=config, inputs=inputs, outputs=outputs):
        logger.info("verdict: skipped (current) %s", model_dir / VERDICT_FILE)
        return read_manifest(manifest_path)
    logger.info("verdict: fitting the text profiler on the training books")
    profiler = TextProfiler().fit(training_excerpts(corpus, processed))
    pairs = suite(corpus, processed, "validation", max_pairs_per_kind=cfg.verdict_pairs_per_kind, seed=cfg.seed)
    featurizer = VerdictFeaturizer(MatcherModel.load(model_dir, device=device), profiler, chunking_settings(cfg), batch_size=cfg.batch_size)
    verdict = fit_verdict(cfg, pairs, suite_features(featurizer, pairs), profiler)
    verdict.save(model_dir)
    return finish_files(manifest_path, stage=STAGE, config=config, inputs=inputs, outputs=outputs,
                        stats={**verdict.fit_stats, "settings": dataclasses.asdict(verdict.settings)})
