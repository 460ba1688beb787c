"""Everything `writing7 calibrate` learns about one model, as inference uses it.

Two JSON files sit next to the model (``models/book_matcher_contrastive/final/``):

``calibration.json`` — per task (``book``: same book, ``author``: same author)::

    {"format": "writing7-calibration", "version": 1, "method": "platt", "target_metric": "accuracy",
     "tasks": {"book": {"logit_index": 0,
                        "scaler": {"kind": "platt", "params": {}, "learned": {"slope_": 0.61, "intercept_": -0.74}},
                        "decision": {"kind": "threshold", "params": {"target_metric": "accuracy", ...},
                                     "learned": {"threshold_": 0.52, "band_": [0.47, 0.57], ...}},
                        "validation": {"pairs": 812, "positives": 406, "ece": 0.021, ...}},
               "author": {...}},
     "metadata": {...}}

``style_calibration.json``::

    {"format": "writing7-style-calibration", "version": 1, "meaning": "...", "source": "validation",
     "calibrator": {"kind": "style_map", "params": {...}, "learned": {"knots_x_": [...], "knots_y_": [...]}}}

Use::

    calibration = MatcherCalibration.load(model_dir)
    p = calibration.book.probability(logits)           # logits: (n, 2) from pair_logits, or the task's (n,)
    decision, abstained = calibration.book.decide(float(p[0]))
    style = calibration.style.predict(cosines)         # [0, 1]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import MissingInputError, atomic_write_json, read_versioned_json
from writing7.calibration.platt import PlattCalibrator
from writing7.calibration.style_map import StyleCalibrator
from writing7.calibration.temperature import TemperatureCalibrator
from writing7.calibration.threshold import ThresholdCalibrator
from writing7.metrics.calibration_error import expected_calibration_error

CALIBRATION_FILE = "calibration.json"
STYLE_CALIBRATION_FILE = "style_calibration.json"
FORMAT_VERSION = 1
SCALERS: dict[str, type[TemperatureCalibrator] | type[PlattCalibrator]] = {"temperature": TemperatureCalibrator, "platt": PlattCalibrator}
TASK_LOGIT_INDEX = {"book": 0, "author": 1}
STYLE_MEANING = (
    "Approximate probability that the two passages share an author, given their bi-encoder cosine, "
    "for pairs like the dev pairs (same-author-other-book vs different-author; base_rate_ is their share "
    "of same-author pairs and acts as the prior)."
)


@dataclasses.dataclass
class TaskCalibration:
    """One task's calibration: scale the logit (temperature or Platt), then threshold and abstention band."""

    name: str
    logit_index: int
    scaler: TemperatureCalibrator | PlattCalibrator
    decision: ThresholdCalibrator
    validation: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def threshold_(self) -> float:
        return self.decision.threshold_

    @property
    def band_(self) -> tuple[float, float]:
        return self.decision.band_

    def probability(self, logits: Any) -> np.ndarray | float:
        """Calibrated probability from this task's logit: ``(n,)``, or ``(n, 2)`` pair logits (its column is taken)."""
        values = np.asarray(logits, dtype=float)
        if values.ndim == 2:
            values = values[:, self.logit_index]
        probabilities = self.scaler.predict(values)
        return float(probabilities) if probabilities.ndim == 0 else probabilities

    def decide(self, probability: float) -> tuple[bool | None, bool]:
        """``(decision, abstained)`` for one probability: ``(None, True)`` inside the band, else ``(p >= threshold_, False)``."""
        decisions, abstained = self.decide_batch(np.asarray([probability]))
        return (None, True) if abstained[0] else (bool(decisions[0]), False)

    def decide_batch(self, probabilities: Any) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised :meth:`decide`: boolean ``(p >= threshold_, inside band)``; read a decision only where not abstained."""
        return self.decision.decide(probabilities)

    def pan_values(self, probabilities: Any) -> np.ndarray:
        """PAN answers (0.5 = undecided, > 0.5 same): what ``score-pairs`` writes as ``value``."""
        return self.decision.predict(probabilities)

    def to_dict(self) -> dict[str, Any]:
        return {"logit_index": self.logit_index, "scaler": self.scaler.to_dict(), "decision": self.decision.to_dict(), "validation": self.validation}

    @classmethod
    def from_dict(cls, name: str, payload: dict[str, Any]) -> TaskCalibration:
        scaler_kind = payload["scaler"]["kind"]
        if scaler_kind not in SCALERS:
            raise ValueError(f"task {name}: unknown scaler kind {scaler_kind!r}; re-run `writing7 calibrate --force`")
        return cls(
            name=name, logit_index=int(payload["logit_index"]), scaler=SCALERS[scaler_kind].from_dict(payload["scaler"]),
            decision=ThresholdCalibrator.from_dict(payload["decision"]), validation=payload.get("validation", {}),
        )


def fit_task_calibration(
    name: str, scores: Any, labels: Any, *, method: str, target_metric: str, logit_index: int = 0, max_band_fraction: float = 0.3,
) -> TaskCalibration:
    """Fit scaling (``method``: temperature or platt) on ``scores``, then threshold and band on the probabilities."""
    if method not in SCALERS:
        raise ValueError(f"calibration method {method!r} is not known; use one of: {', '.join(SCALERS)}")
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    scaler = SCALERS[method]().fit(scores, labels)
    probabilities = scaler.predict(scores)
    decision = ThresholdCalibrator(target_metric=target_metric, max_band_fraction=max_band_fraction).fit(probabilities, labels)
    validation = {
        "pairs": int(labels.size), "positives": int(labels.sum()),
        "ece": expected_calibration_error(labels, probabilities), "target_score": decision.target_score_, "overall": decision.overall_,
    }
    return TaskCalibration(name=name, logit_index=logit_index, scaler=scaler, decision=decision, validation=validation)


@dataclasses.dataclass
class MatcherCalibration:
    """The ``book`` and ``author`` task calibrations and the ``style`` map of one model folder."""

    book: TaskCalibration
    author: TaskCalibration
    style: StyleCalibrator
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    style_metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    def save(self, model_dir: Path) -> tuple[Path, Path]:
        """Write both files atomically into ``model_dir``; returns their paths."""
        model_dir = Path(model_dir)
        classifier = {
            "format": "writing7-calibration", "version": FORMAT_VERSION,
            "method": self.book.scaler.kind, "target_metric": self.book.decision.target_metric,
            "tasks": {"book": self.book.to_dict(), "author": self.author.to_dict()}, "metadata": self.metadata,
        }
        style = {
            "format": "writing7-style-calibration", "version": FORMAT_VERSION, "meaning": STYLE_MEANING,
            **self.style_metadata, "calibrator": self.style.to_dict(),
        }
        return atomic_write_json(model_dir / CALIBRATION_FILE, classifier), atomic_write_json(model_dir / STYLE_CALIBRATION_FILE, style)

    @classmethod
    def load(cls, model_dir: Path) -> MatcherCalibration:
        """Read ``calibration.json`` and ``style_calibration.json``; missing files name `writing7 calibrate`."""
        classifier = _read(Path(model_dir) / CALIBRATION_FILE, "writing7-calibration")
        style = _read(Path(model_dir) / STYLE_CALIBRATION_FILE, "writing7-style-calibration")
        tasks = classifier.get("tasks", {})
        missing = [name for name in TASK_LOGIT_INDEX if name not in tasks]
        if missing:
            raise ValueError(f"{Path(model_dir) / CALIBRATION_FILE} lacks task(s) {', '.join(missing)}: re-run `writing7 calibrate --force`")
        style_metadata = {key: value for key, value in style.items() if key not in ("format", "version", "meaning", "calibrator")}
        return cls(
            book=TaskCalibration.from_dict("book", tasks["book"]), author=TaskCalibration.from_dict("author", tasks["author"]),
            style=StyleCalibrator.from_dict(style["calibrator"]), metadata=classifier.get("metadata", {}), style_metadata=style_metadata,
        )

    @staticmethod
    def exists(model_dir: Path) -> bool:
        return all((Path(model_dir) / name).is_file() for name in (CALIBRATION_FILE, STYLE_CALIBRATION_FILE))


def _read(path: Path, expected_format: str) -> dict[str, Any]:
    return read_versioned_json(path, format=expected_format, version=FORMAT_VERSION, missing="run `writing7 calibrate` first",
                               fix="re-run `writing7 calibrate --force`", missing_error=MissingInputError)
