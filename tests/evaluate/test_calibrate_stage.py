"""`writing7 calibrate` end to end on a tiny real model and pair dataset, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from writing7.artifacts import ArtifactLayout, hash_tree
from writing7.calibration.bundle import CALIBRATION_FILE, STYLE_CALIBRATION_FILE, MatcherCalibration
from tiny_models import FIXTURE_CORPUS
from writing7.cli import app
from writing7.config.base import ConfigError
from writing7.config.calibrate import CalibrateConfig

runner = CliRunner()


def _calibrate(artifacts: Path, *options: str):
    return runner.invoke(app, ["calibrate", "--artifacts", str(artifacts), "--corpus", str(FIXTURE_CORPUS), *options])


def test_calibrate_writes_loadable_files_and_skips_when_current(artifacts: Path) -> None:
    model_dir = ArtifactLayout(artifacts).bi_encoder
    model_hash = hash_tree(model_dir)
    result = _calibrate(artifacts)
    assert result.exit_code == 0, result.output
    assert "book   threshold" in result.output and "style  map with" in result.output
    calibration = MatcherCalibration.load(model_dir)
    probabilities = calibration.book.probability(np.array([[-2.0, 1.0], [3.0, 0.0]]))
    assert probabilities.shape == (2,) and np.all((0 <= probabilities) & (probabilities <= 1))
    assert calibration.style.predict(np.array([0.2]))[0] == pytest.approx(calibration.style.predict(0.2))
    assert calibration.metadata["split"] == "validation" and calibration.book.validation["pairs"] == 180
    assert hash_tree(model_dir) == model_hash, "calibration files must not change the model's own hash (train stays current)"

    written = (model_dir / CALIBRATION_FILE).stat().st_mtime_ns
    assert _calibrate(artifacts).exit_code == 0
    assert (model_dir / CALIBRATION_FILE).stat().st_mtime_ns == written, "a current calibration is skipped"
    assert _calibrate(artifacts, "--force").exit_code == 0
    assert (model_dir / CALIBRATION_FILE).stat().st_mtime_ns != written


def test_changed_options_recalibrate_with_temperature_and_f1(artifacts: Path) -> None:
    assert _calibrate(artifacts).exit_code == 0
    saved = json.loads((ArtifactLayout(artifacts).bi_encoder / CALIBRATION_FILE).read_text())
    assert saved["method"] == "platt" and set(saved["tasks"]["book"]["scaler"]["learned"]) == {"slope_", "intercept_"}
    result = _calibrate(artifacts, "--method", "temperature", "--target-metric", "f1")
    assert result.exit_code == 0, result.output
    saved = json.loads((ArtifactLayout(artifacts).bi_encoder / CALIBRATION_FILE).read_text())
    assert saved["method"] == "temperature" and saved["target_metric"] == "f1"
    assert set(saved["tasks"]["author"]["scaler"]["learned"]) == {"temperature_"}


def test_style_map_from_a_dev_file(artifacts: Path, tmp_path: Path) -> None:
    from datasets import load_from_disk

    validation = load_from_disk(str(ArtifactLayout(artifacts).processed))["validation"]
    dev = tmp_path / "style_dev.jsonl"
    dev.write_text("".join(json.dumps({"text1": row["text1"], "text2": row["text2"], "label": int(row["author1"] == row["author2"])}) + "\n"
                           for row in validation.select(range(80))))
    result = _calibrate(artifacts, "--style-dev", str(dev))
    assert result.exit_code == 0, result.output
    style = json.loads((ArtifactLayout(artifacts).bi_encoder / STYLE_CALIBRATION_FILE).read_text())
    assert style["source"] == f"file {dev}" and style["pairs"] == 80

    dev.write_text('{"text1": "a", "label": 1}\n')
    result = _calibrate(artifacts, "--style-dev", str(dev))
    assert result.exit_code == 2 and "style_dev.jsonl:1: missing key(s) text2" in result.output


def test_missing_inputs_name_the_stage_to_run_first(artifacts: Path) -> None:
    shutil.rmtree(ArtifactLayout(artifacts).processed)
    result = _calibrate(artifacts)
    assert result.exit_code == 2 and "run `writing7 prepare` first" in result.output
    shutil.rmtree(ArtifactLayout(artifacts).bi_encoder)
    result = _calibrate(artifacts)
    assert result.exit_code == 2 and "run `writing7 train` first" in result.output
    result = _calibrate(artifacts, "--style-dev", str(artifacts / "absent.jsonl"))
    assert result.exit_code == 2 and "run `writing7 train` first" in result.output


def test_bad_options_fail_with_one_clear_line(artifacts: Path) -> None:
    result = _calibrate(artifacts, "--target-metric", "auc")
    assert result.exit_code == 2 and "calibrate.target_metric = 'auc': is not a known choice" in result.output


@pytest.mark.parametrize(("values", "message"), [
    ({"method": "isotonic"}, r"calibrate.method = 'isotonic': is not a known choice; use one of: temperature, platt"),
    ({"target_metric": "auc"}, r"calibrate.target_metric = 'auc': is not a known choice; use one of: accuracy, f1, c_at_1, overall"),
    ({"max_band_fraction": 1.0}, r"calibrate.max_band_fraction = 1.0: must be in \[0, 1\)"),
    ({"style_dev": "pairs.csv"}, r"calibrate.style_dev = 'pairs.csv': is not a .jsonl file"),
    ({"batch_size": 0}, r"calibrate.batch_size = 0: must be > 0"),
    ({"max_pairs": -1}, r"calibrate.max_pairs = -1: must be >= 0"),
])
def test_calibrate_config_validation_messages(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CalibrateConfig(**values)


def test_a_validation_split_without_same_author_pairs_is_explained(artifacts: Path) -> None:
    from datasets import load_from_disk

    processed = ArtifactLayout(artifacts).processed
    dataset = load_from_disk(str(processed))
    dataset["validation"] = dataset["validation"].filter(lambda row: row["pair_type"] != "same_author")
    dataset.save_to_disk(str(artifacts / "filtered"))
    shutil.rmtree(processed)
    (artifacts / "filtered").rename(processed)
    result = _calibrate(artifacts)
    assert result.exit_code == 2
    assert "has 0 same-author other-book (same_author) and 120 different-author pairs: the author logit needs both" in result.output
