"""Stage ``evaluate``: the PAN suite, ECE/MCE and plots for the model, uncalibrated vs calibrated, next to baselines.

Evaluates the test split of ``data/processed`` (tasks ``book``, ``author``, ``topic``; see
:mod:`writing7.metrics.tasks`) or a PAN-format pairs + truth file pair (task ``pan``). Each baseline is
fitted (TF-IDF on the train split) and calibrated (Platt + threshold + band on the validation split)
here, the same way the model was calibrated. Writes into ``reports/``: ``evaluation.json``,
``evaluation.md``, ``evaluation_plots/*.png`` and, last, ``evaluation_manifest.json``.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import (
    ArtifactLayout, atomic_directory, atomic_write_json, atomic_write_text, files_current, finish_files, hash_tree, read_manifest,
    require_input,
)
from writing7.baselines import CharNgramTfidfBaseline, EmbeddingCosineBaseline, FittedBaseline, calibrate_baseline, default_base_model
from writing7.calibration.bundle import CALIBRATION_FILE, STYLE_CALIBRATION_FILE, MatcherCalibration
from writing7.config.evaluate import EvaluateConfig
from writing7.metrics.evaluation import MODEL_UNCALIBRATED, SystemOutput, calibrated_output, model_outputs, task_report
from writing7.metrics.tasks import TaskSelection, select_tasks
from writing7.models.scoring import score_text_pairs
from writing7.reports import plots
from writing7.reports.tables import compact_summary, evaluation_markdown
from writing7.pair_files import load_pair_split, read_jsonl, read_pan_pairs
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
PRIOR_NOTE = ("model (calibrated) is the verdict, whose probabilities are for an even prior (it is fitted on balanced pairs); "
              "this split's book task has about 1/3 positives and its author task about 1/5, so its ECE here mixes that prior "
              "shift with miscalibration: read its AUC here, and its ECE in evaluation_lengths.md (balanced tasks)")
STAGE = "evaluate"
REPORT_JSON, REPORT_MARKDOWN, PLOTS_DIR, MANIFEST_FILE = "evaluation.json", "evaluation.md", "evaluation_plots", "evaluation_manifest.json"
TOPIC_NOTE = ("topic: probabilities come from the book calibration, fitted at the book task's share of positives; the topic task has "
              "another share, so its ECE mixes that prior shift with miscalibration: read its AUC")


@dataclasses.dataclass
class EvaluationPairs:
    """The pairs to evaluate, their tasks, and a group label per pair for the score histograms."""

    texts1: list[str]
    texts2: list[str]
    tasks: dict[str, TaskSelection]
    groups: np.ndarray  # (n,) pair type, e.g. "negative (topic)"
    source: str


def split_pairs(processed: Path, cfg: EvaluateConfig) -> EvaluationPairs:
    """The ``cfg.split`` pairs with the book, author and topic tasks (empty tasks left out with a warning)."""
    columns = load_pair_split(processed, cfg.split, max_pairs=cfg.max_pairs, seed=cfg.seed)
    tasks = {name: task for name, task in select_tasks(columns).items() if task.labels.size}
    for name in {"book", "author", "topic"} - set(tasks):
        logger.warning("evaluate: the %s split has no pairs for the %s task; it is left out", cfg.split, name)
    groups = np.array([f"{kind} ({neg})" if kind == "negative" and neg else kind for kind, neg in zip(columns["pair_type"], columns["neg_type"])])
    return EvaluationPairs(columns["text1"], columns["text2"], tasks, groups, f"the {cfg.split} split of data/processed ({len(groups)} pairs)")


def pan_pairs(pairs_path: Path, truth_path: Path, cfg: EvaluateConfig) -> EvaluationPairs:
    """PAN files: ``{"id", "pair": [t1, t2]}`` lines (parsed as ``score-pairs`` does) joined by id with ``{"id", "same": bool}``."""
    pairs = read_pan_pairs(pairs_path)
    truth = {}
    for record in read_jsonl(truth_path, required=("id", "same")):
        if not isinstance(record["same"], bool):
            raise ValueError(f"{truth_path}: id {record['id']!r} has \"same\": {record['same']!r}; write true or false")
        truth[str(record["id"])] = record["same"]
    missing = [pair.id for pair in pairs if str(pair.id) not in truth]
    if missing:
        raise ValueError(f"{truth_path} has no truth for {len(missing)} pair(s), e.g. id {missing[0]!r}: give a {{\"id\", \"same\"}} line per pair")
    labels = np.array([truth[str(pair.id)] for pair in pairs])
    task = TaskSelection("pan", np.ones(labels.size, dtype=bool), labels, cfg.pan_task)
    return EvaluationPairs([pair.text1 for pair in pairs], [pair.text2 for pair in pairs], {"pan": task},
                           np.where(labels, "same", "different"), f"PAN files {pairs_path.name} + {truth_path.name} ({labels.size} pairs)")


# -- baselines ---------------------------------------------------------------------------------------
def tfidf_baseline(processed: Path, cfg: EvaluateConfig) -> tuple[CharNgramTfidfBaseline, dict[str, Any]]:
    """Char 4-gram TF-IDF fitted on (a seeded sample of) the train split's distinct texts."""
    train = load_pair_split(processed, "train", seed=cfg.seed)
    texts = sorted(set(train["text1"]) | set(train["text2"]))
    if len(texts) > cfg.tfidf_max_texts:
        texts = [texts[i] for i in np.sort(np.random.default_rng(cfg.seed).choice(len(texts), cfg.tfidf_max_texts, replace=False))]
    logger.info("evaluate: fitting the char 4-gram TF-IDF baseline on %d train texts", len(texts))
    return CharNgramTfidfBaseline().fit(texts), {"fitted_on": "train split", "texts": len(texts)}


def base_cosine_baseline(cfg: EvaluateConfig, model_info: dict[str, Any], notes: list[str]) -> tuple[EmbeddingCosineBaseline, dict[str, Any]]:
    """The untrained base encoder: ``cfg.base_model``, else the model's ``base_model``, else packaged MiniLM."""
    if cfg.base_model:
        return EmbeddingCosineBaseline(cfg.base_model, batch_size=cfg.batch_size), {"model": cfg.base_model}
    named = str(model_info.get("base_model") or default_base_model())
    try:
        return EmbeddingCosineBaseline(named, batch_size=cfg.batch_size), {"model": named}
    except ValueError as error:
        fallback = default_base_model()
        notes.append(f"base_cosine: the model's base {named!r} could not be loaded offline ({error}); used all-MiniLM-L6-v2 instead")
        logger.warning(notes[-1])
        return EmbeddingCosineBaseline(fallback, batch_size=cfg.batch_size), {"model": fallback}


def fit_baselines(cfg: EvaluateConfig, processed: Path, calibration: MatcherCalibration, model_info: dict[str, Any],
                  kinds: set[str]) -> tuple[list[FittedBaseline], dict[str, Any], list[str]]:
    """Build each configured baseline and calibrate it on the validation split for the task kinds in ``kinds``."""
    notes: list[str] = []
    if not cfg.baselines:
        return [], {}, notes
    validation = load_pair_split(processed, "validation", max_pairs=cfg.max_pairs, seed=cfg.seed)
    tasks = select_tasks(validation, sorted(kinds))
    decision = calibration.book.decision
    fitted, info = [], {}
    for name in cfg.baselines:
        scorer, info[name] = tfidf_baseline(processed, cfg) if name == "char4_tfidf" else base_cosine_baseline(cfg, model_info, notes)
        logger.info("evaluate: calibrating baseline %s on %d validation pairs", name, len(validation["text1"]))
        baseline = calibrate_baseline(name, scorer, validation["text1"], validation["text2"], tasks,
                                      target_metric=decision.target_metric, max_band_fraction=decision.max_band_fraction)
        info[name]["calibration"] = baseline.info()
        fitted.append(baseline)
    return fitted, info, notes


# -- evaluation --------------------------------------------------------------------------------------
def verdict_predictions(model: Any, model_dir: Path, pairs: EvaluationPairs, batch_size: int) -> dict[str, dict[str, np.ndarray]]:
    """The verdict's ``{"book"|"author": {"p", "pan", ...}}`` on every pair: the path ``Matcher.score_batch`` takes."""
    from writing7.inference.verdict import TASKS, Verdict, VerdictFeaturizer

    verdict = Verdict.load(model_dir)
    features = VerdictFeaturizer(model, verdict.profiler, verdict.settings, batch_size=batch_size).features(pairs.texts1, pairs.texts2)
    return {task: verdict.predict(task, features) for task in TASKS}


def evaluate_pairs(cfg: EvaluateConfig, pairs: EvaluationPairs, model: Any, calibration: MatcherCalibration,
                   baselines: list[FittedBaseline], model_dir: Path) -> tuple[dict[str, Any], dict[str, list[SystemOutput]], dict[str, Any]]:
    """``(report tasks, outputs per task for the plots, the verdict's predictions on every pair)``."""
    logger.info("evaluate: scoring %d pairs with the model", len(pairs.texts1))
    scores = score_text_pairs(model, pairs.texts1, pairs.texts2, batch_size=cfg.batch_size)
    verdict = verdict_predictions(model, model_dir, pairs, cfg.batch_size)
    baseline_scores = {}
    for baseline in baselines:
        logger.info("evaluate: scoring %d pairs with baseline %s", len(pairs.texts1), baseline.name)
        baseline_scores[baseline.name] = baseline.scorer.score(pairs.texts1, pairs.texts2)
    tasks, outputs = {}, {}
    for name, task in pairs.tasks.items():
        outputs[name] = model_outputs(task, scores.logits, scores.cosines, calibration, verdict)
        outputs[name] += [calibrated_output(baseline.name, baseline_scores[baseline.name][task.mask], baseline.calibrations[task.calibration])
                          for baseline in baselines]
        tasks[name] = task_report(task, outputs[name], bins=cfg.bins)
    return tasks, outputs, verdict


def write_plots(directory: Path, cfg: EvaluateConfig, pairs: EvaluationPairs, outputs: dict[str, list[SystemOutput]],
                verdict: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """Reliability diagrams, ROC curves and score histograms into ``directory``; returns names relative to ``reports/``."""
    names = []
    for task_name, task_outputs in outputs.items():
        labels = pairs.tasks[task_name].labels
        ranked = [output for output in task_outputs if output.name != MODEL_UNCALIBRATED]  # scaling never changes the ranking
        plots.reliability_diagram(directory / f"reliability_{task_name}.png", labels, task_outputs, bins=cfg.bins,
                                  title=f"reliability: {task_name} task")
        plots.roc_curves(directory / f"roc_{task_name}.png", labels, ranked, title=f"ROC: {task_name} task")
        names += [f"{PLOTS_DIR}/reliability_{task_name}.png", f"{PLOTS_DIR}/roc_{task_name}.png"]
    panels = {}
    for kind in ("book", "author"):
        probabilities = verdict[kind]["p"]
        panels[f"calibrated same-{kind} probability"] = {group: probabilities[pairs.groups == group] for group in sorted(set(pairs.groups))}
    plots.score_histograms(directory / "score_histograms.png", panels)
    return [*names, f"{PLOTS_DIR}/score_histograms.png"]


def calibration_summary(calibration: MatcherCalibration) -> dict[str, Any]:
    summary: dict[str, Any] = {"method": calibration.book.scaler.kind, "target_metric": calibration.book.decision.target_metric}
    for task in (calibration.book, calibration.author):
        summary[task.name] = {**task.scaler.to_dict()["learned"], "threshold": task.threshold_, "band": list(task.band_)}
    return summary


# -- stage entry -------------------------------------------------------------------------------------
def _stage_inputs(cfg: EvaluateConfig, model_dir: Path, processed: Path) -> dict[str, str]:
    inputs = {
        "model": hash_tree(model_dir), "calibration": hash_tree(model_dir / CALIBRATION_FILE),
        "style_calibration": hash_tree(model_dir / STYLE_CALIBRATION_FILE), "verdict": hash_tree(model_dir / "verdict.json"),
        "data": hash_tree(processed),
    }
    for key in ("pairs", "truth"):
        if getattr(cfg, key):
            path = Path(getattr(cfg, key))
            if not path.is_file():
                raise FileNotFoundError(f"{key} file {path} not found: check --{key}")
            inputs[key] = hash_tree(path)
    return inputs


def summary_line(stats: dict[str, Any]) -> str:
    """``model (calibrated): book AUC 0.912, author AUC 0.801``: the stage's one line (the verdict's row)."""
    summary = stats.get("summary", {})  # {system: {task: {auc, overall, ece}}}, the model first
    system = next((name for name in summary if "calibrated" in name and "uncalibrated" not in name), next(iter(summary), None))
    if system is None:
        return ""
    return f"{system}: " + ", ".join(f"{task} AUC {format_number(metrics.get('auc'))}" for task, metrics in summary[system].items())


def run(cfg: EvaluateConfig, *, artifacts: Path, force: bool = False) -> StageResult:
    """Evaluate the calibrated bi-encoder under ``artifacts`` and write ``reports/evaluation.*`` (skipped when current)."""
    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    require_input(model_dir / CALIBRATION_FILE, stage="calibrate", what="model calibration")
    require_input(model_dir / STYLE_CALIBRATION_FILE, stage="calibrate", what="style calibration")
    require_input(model_dir / "verdict.json", stage="calibrate", what="the verdict")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset (test split and baseline fitting)")
    inputs = _stage_inputs(cfg, model_dir, processed)
    reports = layout.reports
    outputs = [reports / REPORT_JSON, reports / REPORT_MARKDOWN, *([reports / PLOTS_DIR] if cfg.plots else [])]
    if not force and files_current(reports / MANIFEST_FILE, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs):
        logger.info("evaluate: skipped (current) %s", reports)
        manifest = read_manifest(reports / MANIFEST_FILE)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    from writing7.models.matcher import MatcherModel

    model, calibration = MatcherModel.load(model_dir), MatcherCalibration.load(model_dir)
    model.cache_embeddings(model_dir)
    pairs = pan_pairs(Path(cfg.pairs), Path(cfg.truth), cfg) if cfg.pairs else split_pairs(processed, cfg)
    kinds = {task.calibration for task in pairs.tasks.values()}  # which validation tasks the baselines are calibrated on
    baselines, baseline_info, notes = fit_baselines(cfg, processed, calibration, dict(model.info), kinds)
    tasks, task_outputs, verdict = evaluate_pairs(cfg, pairs, model, calibration, baselines, model_dir)
    if "topic" in tasks:
        notes.append(TOPIC_NOTE)
    if not cfg.pairs:
        notes.append(PRIOR_NOTE)
    report = {"stage": STAGE, "source": pairs.source, "model": dict(model.info), "calibration": calibration_summary(calibration),
              "baselines": baseline_info, "tasks": tasks, "notes": notes, "plots": []}
    if cfg.plots:
        with atomic_directory(reports / PLOTS_DIR) as temporary:
            report["plots"] = write_plots(temporary, cfg, pairs, task_outputs, verdict)
    elif (reports / PLOTS_DIR).is_dir():
        shutil.rmtree(reports / PLOTS_DIR)  # stale plots of an earlier run would contradict this report
    atomic_write_text(reports / REPORT_MARKDOWN, evaluation_markdown(report))
    atomic_write_json(reports / REPORT_JSON, report)
    stats = {"summary": compact_summary(report), "pairs": len(pairs.texts1), "source": pairs.source}
    manifest = finish_files(reports / MANIFEST_FILE, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs, stats=stats)
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(stats))
