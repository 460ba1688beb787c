"""One evaluation table: every system's probabilities and PAN answers on a task, and their metrics.

Systems compared on each task:

- ``model (uncalibrated)``: ``p = sigmoid(logit)``, threshold 0.5, no abstention (the PAN answer is ``p``);
- ``model (calibrated)``: the any-length verdict (``verdict.json``: passage logits + whole-text stylometry,
  fused and calibrated per length band), with its threshold and abstention band;
- ``style map`` (author-level tasks only): the fitted cosine -> [0, 1] map, answered at 0.5;
- each baseline: its similarity score through its own Platt scaling, threshold and band, fitted on the
  same validation split as the model's calibration.

Per system: the PAN suite on the answers (AUC, c@1, F0.5u, F1, Brier, overall), ``auc_ranking`` (AUC of
the probability itself, unaffected by the abstention band), ECE and MCE of the probability, and
``ece_if_calibrated``: the ECE a perfectly calibrated model would show at these probabilities on this
many pairs (the finite-sample floor to read ECE against).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import numpy as np
from scipy.special import expit

from writing7.metrics.calibration_error import expected_calibration_error, expected_ece_if_calibrated, maximum_calibration_error
from writing7.metrics.pan import auc, drop_nan, pan_scores
from writing7.metrics.tasks import TaskSelection

MODEL_UNCALIBRATED = "model (uncalibrated)"
MODEL_CALIBRATED = "model (calibrated)"
STYLE_MAP = "style map"


# What the evaluation reads of a fitted calibration (metrics sit below calibration/, so they name no calibrator).
class ScoreCalibration(Protocol):
    """A score -> probability map with its PAN answers (:class:`writing7.calibration.bundle.TaskCalibration`)."""

    def probability(self, scores: np.ndarray) -> np.ndarray: ...

    def pan_values(self, probabilities: np.ndarray) -> np.ndarray: ...


class StyleMap(Protocol):
    """A cosine -> [0, 1] map (:class:`writing7.calibration.style_map.StyleCalibrator`)."""

    def predict(self, cosines: np.ndarray) -> np.ndarray: ...


class ModelCalibration(Protocol):
    """The model's calibration bundle (:class:`writing7.calibration.bundle.MatcherCalibration`): its style map."""

    style: StyleMap


@dataclasses.dataclass
class SystemOutput:
    """One system on one task: probabilities and PAN answers, both ``(task pairs,)``."""

    name: str
    probabilities: np.ndarray
    answers: np.ndarray


def model_outputs(task: TaskSelection, logits: np.ndarray, cosines: np.ndarray, calibration: ModelCalibration,
                  verdict: dict[str, dict[str, np.ndarray]]) -> list[SystemOutput]:
    """The model's systems on ``task`` from its ``(n_all, 2)`` passage logits, ``(n_all,)`` cosines and the
    verdict's ``{"book"|"author": {"p", "pan"}}`` arrays over all pairs (what ``Matcher.score_batch`` returns)."""
    logit = logits[task.mask, task.logit_index]  # (task pairs,)
    raw = expit(logit)
    fused = verdict[task.calibration]
    outputs = [
        SystemOutput(MODEL_UNCALIBRATED, raw, raw),
        SystemOutput(MODEL_CALIBRATED, fused["p"][task.mask], fused["pan"][task.mask]),
    ]
    if task.calibration == "author":
        style = calibration.style.predict(cosines[task.mask])
        outputs.append(SystemOutput(STYLE_MAP, style, style))
    return outputs


def calibrated_output(name: str, scores: np.ndarray, calibration: ScoreCalibration) -> SystemOutput:
    """A score (a baseline's similarity) through its fitted calibration."""
    probabilities = np.asarray(calibration.probability(scores), dtype=float)
    return SystemOutput(name, probabilities, calibration.pan_values(probabilities))


def system_metrics(labels: np.ndarray, output: SystemOutput, *, bins: int) -> dict[str, Any]:
    """PAN suite on the answers plus ranking AUC, ECE and MCE of the probabilities; NaN pairs dropped and counted."""
    finite = ~np.isnan(output.answers) & ~np.isnan(output.probabilities)
    if not finite.any():
        return {"n": int(labels.size), "dropped_nan": int(labels.size), "overall": None, "auc": None, "ece": None,
                "notes": ["every score is NaN: nothing to evaluate"]}
    metrics = pan_scores(labels, np.where(finite, output.answers, np.nan)).to_dict()
    kept_labels, kept_probabilities, _ = drop_nan(labels, np.where(finite, output.probabilities, np.nan), what="probabilities")
    metrics["auc_ranking"] = auc(kept_labels, kept_probabilities)
    metrics["ece"] = expected_calibration_error(kept_labels, kept_probabilities, bins=bins)
    metrics["mce"] = maximum_calibration_error(kept_labels, kept_probabilities, bins=bins)
    metrics["ece_if_calibrated"] = expected_ece_if_calibrated(kept_probabilities, bins=bins)
    return metrics


def task_report(task: TaskSelection, outputs: list[SystemOutput], *, bins: int) -> dict[str, Any]:
    """``{"pairs", "positives", "calibration", "systems": {name: metrics}}`` for one task."""
    return {
        "pairs": int(task.labels.size), "positives": int(task.labels.sum()), "calibration": task.calibration,
        "systems": {output.name: system_metrics(task.labels, output, bins=bins) for output in outputs},
    }
