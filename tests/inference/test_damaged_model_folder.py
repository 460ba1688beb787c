"""A damaged model folder is one clear error naming the folder and the file, never a loader's traceback."""

import shutil

import pytest

from writing7.models.matcher import MatcherModel
from writing7.models.runtime import DamagedModelError


@pytest.fixture()
def model_copy(tmp_path, calibrated_matcher_dir):
    return shutil.copytree(calibrated_matcher_dir, tmp_path / "final")


def truncate(path, keep=1000):
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("file", ["model.safetensors", "pair_head.safetensors", "2_Dense/model.safetensors"])
def test_truncated_weights_name_the_file(model_copy, file):
    truncate(model_copy / file, keep=100)
    with pytest.raises(DamagedModelError, match=rf"^the model folder {model_copy} is damaged \({file}: Error while deserializing "
                                                r"header: .*\): retrain it or copy it again$"):
        MatcherModel.load(model_copy, device="cpu")


@pytest.mark.parametrize("file", ["config.json", "tokenizer.json", "writing7_model.json", "style_features/style_features.json"])
def test_broken_json_names_the_file(model_copy, file):
    (model_copy / file).write_text('{"cut": ', encoding="utf-8")
    with pytest.raises(DamagedModelError, match=rf"is damaged \({file}: not valid JSON: Expecting value"):
        MatcherModel.load(model_copy, device="cpu")


def test_missing_weights_and_entries_are_damage_too(model_copy):
    (model_copy / "model.safetensors").unlink()
    with pytest.raises(DamagedModelError, match=r"is damaged \(.*no file named model\.safetensors"):
        MatcherModel.load(model_copy, device="cpu")


def test_a_broken_calibration_file_does_not_stop_the_model_loading(model_copy):
    """Calibration files sit next to the model but are not part of it: `writing7 calibrate` must be able to rewrite them."""
    (model_copy / "style_calibration.json").write_text("{", encoding="utf-8")
    assert MatcherModel.load(model_copy, device="cpu").info
