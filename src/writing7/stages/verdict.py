"""Stage ``calibrate`` (second half): fit the any-length verdict on validation authors.

1. The text profiler's corpus statistics (idf, MFW, z-scores, vocabulary) are fitted on excerpts of
   the *training* split's books.
2. Validation books (authors the encoder never saw; plus ``fit_corpora`` books) are cut into pairs at
   200, 1,000, 5,000 words and whole halves (:mod:`writing7.length_suite`); the 200-word pairs
   are joined by the pair dataset's validation pairs (its sentence windows and mined negatives: what
   ``evaluate`` reads on the passage split). Every pair goes through exactly the inference path
   (:class:`~writing7.inference.verdict.VerdictFeaturizer`).
3. One fused logistic head per task and length band is fitted on them, with its PAN threshold and
   abstention band, and written with the profiler as ``verdict.json`` + ``text_profile/`` in the model
   folder with the fitting pairs' features (``verdict_fit.npz``, which ``evaluate`` calibrates the baselines
   on), then ``verdict_manifest.json``; skipped while that manifest matches inputs, config and outputs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout, files_current, finish_files, hash_tree, read_manifest, require_input
from writing7.config.calibrate import CalibrateConfig
from writing7.corpus import corpus_inputs
from writing7.inference.documents import ChunkingSettings
from writing7.inference.verdict import PROFILE_DIRECTORY, TASKS, VERDICT_FILE, PairFeatures, Verdict, VerdictFeaturizer, band_of, fit_band_heads
from writing7.models.text_profile import TextProfiler
from writing7.prepare.length_pairs import LENGTHS, LengthPairs
from writing7.length_suite import FIT_FEATURES_FILE, base_encoder, dataset_passage_pairs, save_fit_features, suite, training_excerpts
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
STAGE = "calibrate-verdict"
MANIFEST_FILE = "verdict_manifest.json"
VERDICT_CONFIG_FIELDS = ("passage_sentences", "single_passage_words", "min_chunk_chars", "max_chunks_per_document", "top_k",
                         "verdict_pairs_per_kind", "verdict_max_books", "fit_corpora_lengths", "verdict_inverse_regularisation", "fit_corpora", "target_metric", "max_band_fraction", "seed", "batch_size")


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
    stats: dict[str, Any] = {"pairs": {length: len(p.kinds) for length, p in pairs.items()}, "fit_corpora": list(cfg.fit_corpora),
                             "pairs_per_kind": cfg.verdict_pairs_per_kind, "seed": cfg.seed}
    for task in TASKS:
        values, labels, bands, authors = [], [], [], []
        for length, length_pairs in pairs.items():
            mask, task_labels = length_pairs.task(task)
            values.append(features[length].values[mask])
            labels.append(task_labels)
            bands += [band_of(words) for words in features[length].shorter_words[mask]]
            authors.append(length_pairs.first_authors()[mask])
        heads[task] = fit_band_heads(np.concatenate(values), np.concatenate(labels), np.array(bands), task=task,
                                     target_metric=cfg.target_metric, inverse_regularisation=cfg.verdict_inverse_regularisation,
                                     max_band_fraction=cfg.max_band_fraction, groups=np.concatenate(authors))
        stats[task] = {band: head.validation for band, head in heads[task].items()}
    min_words = float(min(features[length].shorter_words.min() for length in pairs))
    return Verdict(chunking_settings(cfg), profiler, heads, stats, min_words)


def verdict_config(cfg: CalibrateConfig) -> dict[str, Any]:
    return {name: value for name, value in cfg.to_dict().items() if name in VERDICT_CONFIG_FIELDS}


def summary_line(stats: dict[str, Any]) -> str:
    """``verdict AUC by band: book 0.912 / 0.951 ..., author ...``: the stage's one line (validation, in-sample)."""
    return "verdict AUC by band: " + ", ".join(
        f"{task} " + " / ".join(format_number(head.get("auc")) for head in stats.get(task, {}).values()) for task in TASKS)


def run(cfg: CalibrateConfig, *, corpus: Path | Sequence[Path], artifacts: Path, force: bool = False, device: str | None = None) -> StageResult:
    """Fit and write the verdict next to the trained model under ``artifacts`` (skipped when current)."""
    from writing7.models.matcher import MatcherModel

    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset (train and validation splits)")
    corpus, corpus_hashes = corpus_inputs(corpus)
    inputs = {"model": hash_tree(model_dir), "processed": hash_tree(processed), **corpus_hashes,
              **{f"fit_corpus:{folder}": hash_tree(Path(folder), suffixes=(".txt",)) for folder in cfg.fit_corpora}}
    outputs = [model_dir / VERDICT_FILE, model_dir / PROFILE_DIRECTORY, model_dir / FIT_FEATURES_FILE]
    manifest_path, config = model_dir / MANIFEST_FILE, verdict_config(cfg)
    if not force and files_current(manifest_path, stage=STAGE, config=config, inputs=inputs, outputs=outputs):
        logger.info("verdict: skipped (current) %s", model_dir / VERDICT_FILE)
        manifest = read_manifest(manifest_path)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    logger.info("verdict: fitting the text profiler on the training books")
    profiler = TextProfiler().fit(training_excerpts(corpus, processed))
    model = MatcherModel.load(model_dir, device=device)
    model.cache_embeddings(model_dir)
    encoder = base_encoder(model)
    widened = tuple(length for length in LENGTHS if length in cfg.fit_corpora_lengths) if cfg.fit_corpora else ()
    pairs = {**suite(corpus, processed, "validation", max_pairs_per_kind=cfg.verdict_pairs_per_kind, seed=cfg.seed, encoder=encoder,
                     lengths=tuple(length for length in LENGTHS if length not in widened)),
             **(suite(corpus, processed, "validation", max_pairs_per_kind=cfg.verdict_pairs_per_kind, seed=cfg.seed, encoder=encoder,
                      fit_corpora=cfg.fit_corpora, max_books=cfg.verdict_max_books, lengths=widened) if widened else {})}
    pairs = {length: pairs[length] for length in LENGTHS if length in pairs}
    if "200" in pairs:  # the passage band also learns the pair dataset's sentence windows and mined negatives
        pairs["200"] = pairs["200"].merged(dataset_passage_pairs(processed, "validation", seed=cfg.seed))
    featurizer = VerdictFeaturizer(model, profiler, chunking_settings(cfg), batch_size=cfg.batch_size)
    features = suite_features(featurizer, pairs)
    verdict = fit_verdict(cfg, pairs, features, profiler)
    save_fit_features(model_dir / FIT_FEATURES_FILE, pairs, features)
    verdict.save(model_dir)
    manifest = finish_files(manifest_path, stage=STAGE, config=config, inputs=inputs, outputs=outputs,
                            stats={**verdict.fit_stats, "settings": dataclasses.asdict(verdict.settings)})
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(manifest.stats))
