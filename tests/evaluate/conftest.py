"""Tiny artifacts (pair dataset + MatcherModel) built once per session; each test gets its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from evaluation_helpers import build_artifacts

from writing7.config.calibrate import CalibrateConfig
from tiny_models import FIXTURE_CORPUS
from writing7.stages import verdict
from writing7.stages.calibrate import run as run_calibrate


@pytest.fixture(scope="session")
def base_artifacts(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifacts(tmp_path_factory.mktemp("evaluate") / "artifacts", tiny_bert)


@pytest.fixture(scope="session")
def calibrated_base(base_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = shutil.copytree(base_artifacts, tmp_path_factory.mktemp("calibrated") / "artifacts")
    cfg = CalibrateConfig(verdict_pairs_per_kind=60)
    run_calibrate(cfg, artifacts=root)
    verdict.run(cfg, corpus=FIXTURE_CORPUS, artifacts=root)
    return root


@pytest.fixture()
def artifacts(base_artifacts: Path, tmp_path: Path) -> Path:
    """A writable copy: data/processed and an uncalibrated model."""
    return shutil.copytree(base_artifacts, tmp_path / "artifacts")


@pytest.fixture()
def calibrated_artifacts(calibrated_base: Path, tmp_path: Path) -> Path:
    """A writable copy whose model already has calibration.json, style_calibration.json and the verdict."""
    return shutil.copytree(calibrated_base, tmp_path / "artifacts")
