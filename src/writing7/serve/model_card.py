"""``GET /v1/model``: what model is serving, what it was trained on, how it is calibrated and how well it did."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from writing7 import __version__
from writing7.artifacts import ArtifactLayout, Manifest

logger = logging.getLogger(__name__)
EVALUATION_FILE = "evaluation.json"
RETRIEVAL_FILE = "retrieval.json"


def reports_dir_for(model_dir: Path) -> Path:
    """``artifacts/reports`` for a model at ``artifacts/models/<name>/final``, else ``$WRITING7_ARTIFACTS/reports``."""
    model_dir = Path(model_dir).resolve()
    if len(model_dir.parents) > 2 and model_dir.parents[1].name == "models":
        return model_dir.parents[2] / "reports"
    return ArtifactLayout.from_env().reports


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        logger.warning("%s is not valid JSON: left out of the model card", path)
        return None


def calibration_summary(matcher: Any) -> dict[str, Any]:
    """The verdict's passage settings and, per task and length band, its validation fit (AUC, ECE) and decision."""
    if not matcher.calibrated:
        return {"calibrated": False, "note": "explicit uncalibrated mode: sigmoid(mean passage logit), threshold 0.5, (cosine+1)/2"}
    verdict = matcher.verdict
    summary: dict[str, Any] = {"calibrated": True, "settings": dataclasses.asdict(verdict.settings), "fit": verdict.fit_stats}
    for task, bands in verdict.heads.items():
        summary[task] = {band: {"threshold": head.decision.threshold_, "abstention_band": list(head.decision.band_), "validation": head.validation}
                         for band, head in bands.items()}
    return summary


def model_card(matcher: Any, *, reports_dir: Path | None = None, index: Any = None) -> dict[str, Any]:
    """The card: model info, training manifest summary, calibration, evaluation metrics (when a report exists)."""
    train_manifest = Manifest.load(matcher.model_dir)
    reports_dir = reports_dir or reports_dir_for(matcher.model_dir)
    info = dict(getattr(matcher.model, "info", {}) or {})
    return {
        "writing7_version": __version__,
        "model_dir": str(matcher.model_dir),
        "base_model": info.get("base_model"),
        "model": info,
        "training": {"config": train_manifest.config, "stats": train_manifest.stats, "created": train_manifest.created}
        if train_manifest else None,
        "calibration": calibration_summary(matcher),
        "evaluation": _read_json(reports_dir / EVALUATION_FILE),
        "retrieval": _read_json(reports_dir / RETRIEVAL_FILE),
        "evaluation_report": str(reports_dir / EVALUATION_FILE),
        "index": {key: index.info.get(key) for key in ("books", "chunks", "dimension", "backend")} if index else None,
        "precision": precision_summary(matcher.model),
    }


def precision_summary(model: Any) -> dict[str, Any] | None:
    """The precision asked for, the one the encoder runs now (int8: on which backend), and ``auto``'s check (None until its first encode)."""
    plan = getattr(model, "precision_plan", None)
    if plan is None:
        return None
    return {"requested": plan.requested, "running": plan.precision, "int8_backend": getattr(model, "int8_backend", None) if plan.int8 else None,
            "check_pending": plan.check_pending, "check_min_cosine": plan.check_cosine}
