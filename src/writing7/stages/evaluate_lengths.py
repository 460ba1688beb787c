"""Stage ``evaluate`` by length: the verdict vs classical stylometry at 200, 1,000, 5,000 words and whole halves.

On the *test* split's books (authors never seen in training nor calibration), pairs are cut at each
length (:mod:`writing7.length_suite`, the same construction the verdict was fitted with on the
validation split and the fit corpora). Tasks: ``book`` (same book vs other authors), ``author`` (same
author, other book vs other authors) and ``topic`` (same book vs the other author's book nearest in
content, answered by the book verdict). Systems, each calibrated on pairs of unseen authors at the same length:

- ``verdict``: the model's any-length verdict (its own fit, from ``writing7 calibrate``);
- ``char4_tfidf``: char 4-gram TF-IDF cosine of the whole texts (idf from the training books), Platt
  (a one-feature logistic regression) on the verdict's own fitting pairs (``verdict_fit.npz``);
- ``cosine_delta_300``: cosine Delta on the 300 most frequent training words, the same way;
- ``char4+delta``: a logistic regression on both (the stylometrist's combination), the same way;
- ``base_cosine``: the untrained encoder's cosine of the two texts' mean passage embeddings, Platt on
  the validation split's pairs (it needs its own encoding of every text).

Also: a grouped-by-author cross-validated ablation on the fitting pairs (each feature removed) and
the effect of the work cap ``max_chunks_per_document`` at 5,000 words. Writes
``reports/evaluation_lengths.{json,md}`` and reliability plots; skipped while current.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from writing7.artifacts import (
    ArtifactLayout, atomic_directory, atomic_write_json, atomic_write_text, files_current, finish_files, hash_tree, read_manifest,
    require_input,
)
from writing7.calibration.fused import FusedLogisticCalibrator, out_of_fold_logits
from writing7.calibration.platt import PlattCalibrator
from writing7.config.evaluate import EvaluateConfig
from writing7.corpus import corpus_inputs
from writing7.inference.documents import PASSAGE_FEATURE_NAMES
from writing7.inference.verdict import FEATURE_NAMES, TASKS, PairFeatures, Verdict, VerdictFeaturizer, band_of, feature_columns, head_features
from writing7.metrics.evaluation import SystemOutput, system_metrics
from writing7.metrics.pan import auc
from writing7.prepare.length_pairs import LengthPairs
from writing7.reports import plots
from writing7.reports.tables import markdown_table
from writing7.length_suite import FIT_FEATURES_FILE, base_encoder, load_fit_features, suite
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
STAGE = "evaluate-lengths"
REPORT_JSON, REPORT_MARKDOWN, PLOTS_DIR, MANIFEST_FILE = ("evaluation_lengths.json", "evaluation_lengths.md", "evaluation_lengths_plots",
                                                         "evaluation_lengths_manifest.json")
VERDICT = "verdict (calibrated)"
BASELINE_COLUMNS = {"char4_tfidf": ("char4_cosine",), "cosine_delta_300": ("cosine_delta_300",), "char4+delta": ("char4_cosine", "cosine_delta_300")}
WORK_CAPS = (4, 8)
# The topic task (same book vs the nearest other-author book) is answered by the book verdict, as in `evaluate`.
REPORT_TASKS = {"book": "book", "author": "author", "topic": "book"}


@dataclasses.dataclass
class SplitScores:
    """One split at one length: the pairs, the verdict inputs, the base encoder's cosines."""

    pairs: LengthPairs
    features: PairFeatures
    base_cosines: np.ndarray


def base_cosines(encoder: Any, featurizer: VerdictFeaturizer, pairs: LengthPairs) -> np.ndarray:
    """Cosine of the mean passage embeddings of each pair under the untrained encoder (the same passages the verdict reads)."""
    from writing7.inference.documents import document_chunks

    return encoder.score_documents(pairs.texts1, pairs.texts2, lambda text: document_chunks(text, featurizer.settings))


def columns(names: tuple[str, ...]) -> list[int]:
    return [FEATURE_NAMES.index(name) for name in names]


def system_outputs(task: str, verdict: Verdict, fit: SplitScores, base_validation: SplitScores, test: SplitScores) -> tuple[list[SystemOutput], np.ndarray]:
    """Every system's probabilities and PAN answers on the test pairs of ``task``; and the test labels.

    The stylometric baselines are fitted on exactly the verdict's fitting pairs (``fit``) of the verdict task
    that answers ``task`` (:data:`REPORT_TASKS`); the base encoder's cosine, which needs its own encoding, is
    Platt-calibrated on the validation split's pairs of the same task.
    """
    fit_mask, fit_labels = fit.pairs.task(REPORT_TASKS[task])
    test_mask, test_labels = test.pairs.task(task)
    test_features = PairFeatures(test.features.values[test_mask], test.features.words[test_mask], test.features.passages[test_mask])
    predicted = verdict.predict(REPORT_TASKS[task], test_features)
    outputs = [SystemOutput(VERDICT, predicted["p"], predicted["pan"])]
    for name, names in BASELINE_COLUMNS.items():
        head = FusedLogisticCalibrator(1.0).fit(fit.features.values[fit_mask][:, columns(names)], fit_labels)
        probabilities = head.predict(test.features.values[test_mask][:, columns(names)])
        outputs.append(SystemOutput(name, probabilities, probabilities))
    validation_mask, validation_labels = base_validation.pairs.task(REPORT_TASKS[task])
    base = PlattCalibrator().fit(base_validation.base_cosines[validation_mask], validation_labels).predict(test.base_cosines[test_mask])
    outputs.append(SystemOutput("base_cosine", base, base))
    return outputs, test_labels


def ablation(task: str, scores: SplitScores, *, folds: int = 5) -> dict[str, float | None]:
    """Cross-validated AUC on the verdict's fitting pairs (folds grouped by the first text's author), all features vs each removed."""
    mask, labels = scores.pairs.task(task)
    values = scores.features.values[mask]
    groups = scores.pairs.first_authors()[mask]

    def cross_validated_auc(kept: list[int]) -> float | None:
        logits = out_of_fold_logits(values[:, kept], labels, groups, inverse_regularisation=1.0, folds=folds)
        return None if logits is None else auc(labels, expit(logits))

    band = band_of(float(np.median(scores.features.shorter_words[mask])))
    read = feature_columns(head_features(task, band)).tolist()  # a feature this length's head does not read shows as None
    result = {"all features": cross_validated_auc(read)}
    for index, name in enumerate(FEATURE_NAMES):
        result[f"without {name}"] = cross_validated_auc([column for column in read if column != index]) if index in read else None
    return result


def evaluate_lengths(cfg: EvaluateConfig, corpus: Path | Sequence[Path], processed: Path, model_dir: Path, *, pairs_per_kind: int, seed: int) -> dict[str, Any]:
    """The report of the module docstring (no files written)."""
    from writing7.models.matcher import MatcherModel

    model = MatcherModel.load(model_dir)
    model.cache_embeddings(model_dir)  # attribution's test queries are excerpts of the suite's
    verdict = Verdict.load(model_dir)
    featurizer = VerdictFeaturizer(model, verdict.profiler, verdict.settings, batch_size=cfg.batch_size)
    encoder = base_encoder(model)
    fitted = load_fit_features(model_dir / FIT_FEATURES_FILE)
    validation_split = suite(corpus, processed, "validation", max_pairs_per_kind=pairs_per_kind, seed=seed, encoder=encoder)
    test_split = suite(corpus, processed, "test", max_pairs_per_kind=pairs_per_kind, seed=seed + 1, encoder=encoder)
    report: dict[str, Any] = {"lengths": {}, "ablation": {}, "work_cap": {}, "settings": dataclasses.asdict(verdict.settings),
                              "fit": {key: verdict.fit_stats.get(key) for key in ("fit_corpora", "pairs", "pairs_per_kind")}}
    outputs_by_length = {}
    for length, test_pairs in test_split.items():
        if length not in fitted or length not in validation_split:
            logger.warning("evaluate-lengths: no fitting pairs at %s words; left out", length)
            continue
        logger.info("evaluate-lengths: test split, %s words: %d pairs", length, len(test_pairs.kinds))
        test = SplitScores(test_pairs, featurizer.features(test_pairs.texts1, test_pairs.texts2),
                           base_cosines(encoder, featurizer, test_pairs))
        fit_pairs, fit_features = fitted[length]
        fit = SplitScores(fit_pairs, fit_features, np.zeros(len(fit_pairs.kinds)))
        validation = validation_split[length]
        base_validation = SplitScores(validation, PairFeatures(np.zeros((0, 0)), np.zeros((0, 2)), np.zeros((0, 2))),
                                      base_cosines(encoder, featurizer, validation))
        report["lengths"][length] = {"words": _words_summary(test.features)}
        outputs_by_length[length] = {}
        for task in REPORT_TASKS:
            if not test_pairs.task(task)[0].any():
                logger.warning("evaluate-lengths: no %s-task pairs at %s words; left out", task, length)
                continue
            outputs, labels = system_outputs(task, verdict, fit, base_validation, test)
            outputs_by_length[length][task] = (outputs, labels)
            report["lengths"][length][task] = {"pairs": int(labels.size), "positives": int(labels.sum()),
                                               "systems": {output.name: system_metrics(labels, output, bins=cfg.bins) for output in outputs}}
        report["ablation"][length] = {task: ablation(task, fit) for task in TASKS}
        if length == "5000":
            report["work_cap"] = work_cap_effect(featurizer, verdict, test)
    return {"report": report, "outputs": outputs_by_length}


def work_cap_effect(featurizer: VerdictFeaturizer, verdict: Verdict, test: SplitScores) -> dict[str, Any]:
    """Test AUC and ECE of the verdict at 5,000 words when fewer passages per text are read (the fitted heads unchanged)."""
    from writing7.metrics.calibration_error import expected_calibration_error

    effect = {}
    fitted = verdict.settings.max_chunks
    for cap in sorted({cap for cap in WORK_CAPS if cap < fitted} | {fitted}):
        features = test.features if cap == fitted else capped_features(featurizer, test, cap)
        effect[str(cap)] = {}
        for task in TASKS:
            mask, labels = test.pairs.task(task)
            subset = PairFeatures(features.values[mask], features.words[mask], features.passages[mask])
            p = verdict.predict(task, subset)["p"]
            effect[str(cap)][task] = {"auc": auc(labels, p), "ece": expected_calibration_error(labels, p)}
    return effect


def capped_features(featurizer: VerdictFeaturizer, test: SplitScores, cap: int) -> PairFeatures:
    """``test``'s features with at most ``cap`` passages read per text: only the passage features change (the whole-text
    profiles do not depend on the cap, so they are not computed again)."""
    passages_only = VerdictFeaturizer(featurizer.model, None, dataclasses.replace(featurizer.settings, max_chunks=cap), batch_size=featurizer.batch_size)
    capped = passages_only.features(test.pairs.texts1, test.pairs.texts2)
    values = test.features.values.copy()
    values[:, :len(PASSAGE_FEATURE_NAMES)] = capped.values
    return PairFeatures(values, test.features.words, capped.passages)


def _words_summary(features: PairFeatures) -> dict[str, float]:
    return {"median_words": float(np.median(features.words)), "median_passages": float(np.median(features.passages))}


def lengths_markdown(report: dict[str, Any]) -> str:
    """Per length and task: AUC, PAN overall, c@1, F1, ECE (and its finite-sample floor) of every system; the ablation; the work cap."""
    parts = ["# Evaluation by length (test authors, never seen in training or calibration)\n"]
    for length, tasks in report["lengths"].items():
        for task in (task for task in REPORT_TASKS if task in tasks):
            entry = tasks[task]
            rows = [[name, *(_cell(metrics.get(key)) for key in ("auc_ranking", "overall", "c_at_1", "f1", "f05_u", "brier", "ece", "ece_if_calibrated"))]
                    for name, metrics in entry["systems"].items()]
            parts.append(f"## {length} words, {task} task ({entry['pairs']} pairs, {entry['positives']} positive; "
                         f"median {tasks['words']['median_words']:.0f} words, {tasks['words']['median_passages']:.0f} passages per text)\n")
            parts.append(markdown_table(["system", "AUC", "overall", "c@1", "F1", "F0.5u", "Brier", "ECE", "ECE floor"], rows) + "\n")
    parts.append("## Ablation: validation AUC (5-fold, grouped by author), each feature removed\n")
    lengths = list(report["ablation"])
    header = ["features", *(f"{length} {task}" for length in lengths for task in TASKS)]
    names = list(next(iter(report["ablation"].values()))["book"])
    rows = [[name, *(_cell(report["ablation"][length][task][name]) for length in lengths for task in TASKS)] for name in names]
    parts.append(markdown_table(header, rows) + "\n")
    if report["work_cap"]:
        parts.append("## Work cap: passages read per text at 5,000 words (test AUC / ECE)\n")
        rows = [[cap, *(f"{_cell(values[task]['auc'])} / {_cell(values[task]['ece'])}" for task in TASKS)] for cap, values in report["work_cap"].items()]
        parts.append(markdown_table(["max_chunks_per_document", "book", "author"], rows) + "\n")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_line(stats: dict[str, Any]) -> str:
    """``verdict AUC by length: 200 book 0.912 author 0.801, ...``: the stage's one line."""
    return "verdict AUC by length: " + ", ".join(
        f"{length} " + " ".join(f"{task} {format_number(systems.get(VERDICT))}" for task, systems in tasks.items() if task != "topic")
        for length, tasks in stats["auc"].items())


def run(cfg: EvaluateConfig, *, corpus: Path | Sequence[Path], artifacts: Path, force: bool = False, pairs_per_kind: int = 400) -> StageResult:
    """Evaluate by length under ``artifacts`` into ``reports/evaluation_lengths.*`` (skipped when current)."""
    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    require_input(model_dir / "verdict.json", stage="calibrate", what="the verdict")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset (split membership)")
    corpus, corpus_hashes = corpus_inputs(corpus)
    # every file of the model folder but attribution.json (written by calibrate-attribution; it changes nothing measured here)
    inputs = {"model": hash_tree(model_dir, exclude=("attribution.json",)), "processed": hash_tree(processed), **corpus_hashes}
    reports = layout.reports
    outputs = [reports / REPORT_JSON, reports / REPORT_MARKDOWN, *([reports / PLOTS_DIR] if cfg.plots else [])]
    config = {**cfg.to_dict(), "pairs_per_kind": pairs_per_kind}
    if not force and files_current(reports / MANIFEST_FILE, stage=STAGE, config=config, inputs=inputs, outputs=outputs):
        logger.info("evaluate-lengths: skipped (current) %s", reports)
        manifest = read_manifest(reports / MANIFEST_FILE)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    result = evaluate_lengths(cfg, corpus, processed, model_dir, pairs_per_kind=pairs_per_kind, seed=cfg.seed)
    report = result["report"]
    if cfg.plots:
        with atomic_directory(reports / PLOTS_DIR) as temporary:
            for length, tasks in result["outputs"].items():
                for task, (outputs_, labels) in tasks.items():
                    plots.reliability_diagram(temporary / f"reliability_{length}_{task}.png", labels, outputs_, bins=cfg.bins,
                                              title=f"reliability: {task} task, {length} words")
                    plots.roc_curves(temporary / f"roc_{length}_{task}.png", labels, outputs_, title=f"ROC: {task} task, {length} words")
    atomic_write_text(reports / REPORT_MARKDOWN, lengths_markdown(report))
    atomic_write_json(reports / REPORT_JSON, report)
    summary = {length: {task: {name: round(metrics["auc_ranking"] or 0, 3) for name, metrics in tasks[task]["systems"].items()}
                        for task in REPORT_TASKS if task in tasks} for length, tasks in report["lengths"].items()}
    manifest = finish_files(reports / MANIFEST_FILE, stage=STAGE, config=config, inputs=inputs, outputs=outputs, stats={"auc": summary})
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(manifest.stats))
