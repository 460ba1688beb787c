import json
import shutil

import numpy as np
import pytest

from matcher_models import document_config
from tiny_models import FIXTURE_CORPUS
from writing7.inference.documents import (
    FEATURE_NAMES,
    ChunkingSettings,
    DocumentAggregationCalibrator,
    DocumentCalibration,
    aggregation_features,
    document_chunks,
)
from writing7.inference.matcher import Matcher

LITTLE_WOMEN = FIXTURE_CORPUS / "alcott-louisa-may" / "little-women.txt"
TYPHOON = FIXTURE_CORPUS / "conrad-joseph" / "typhoon.txt"


def book_text(path):
    from writing7.corpus import read_book

    return read_book(path).text


def test_aggregation_features_match_a_hand_computation():
    logits = np.zeros((2, 3, 2))
    logits[..., 0] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    logits[..., 1] = [[-1.0, 0.0, 1.0], [0.5, 0.5, 0.5]]
    features = aggregation_features(logits, top_k=2)
    expected = [3.5, 6.0, 5.5, 0.25, 1.0, 0.75, np.log(6)]
    np.testing.assert_allclose(features, expected)
    assert len(FEATURE_NAMES) == features.size


def test_top_k_larger_than_the_pair_count_uses_every_pair():
    logits = np.array([[[2.0, -2.0]]])  # one chunk pair
    np.testing.assert_allclose(aggregation_features(logits, top_k=5), [2, 2, 2, -2, -2, -2, 0])


def test_document_calibrator_separates_and_round_trips_through_json():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    features = rng.normal(size=(100, 7)) + labels[:, None] * 2.0
    calibrator = DocumentAggregationCalibrator().fit(features, labels)
    probabilities = calibrator.predict_proba(features)
    assert probabilities[labels].mean() > 0.8 > 0.2 > probabilities[~labels].mean()
    restored = DocumentAggregationCalibrator.from_dict(json.loads(json.dumps(calibrator.to_dict())))
    np.testing.assert_array_equal(restored.predict_proba(features), probabilities)


def test_document_calibrator_needs_both_classes():
    with pytest.raises(ValueError, match="needs both matching and non-matching pairs"):
        DocumentAggregationCalibrator().fit(np.zeros((4, 7)), np.ones(4, bool))


def test_document_chunks_are_spread_over_the_document_and_capped():
    text = book_text(LITTLE_WOMEN)
    every = document_chunks(text, ChunkingSettings(chunk_size=4, overlap=4, max_chunks=1000))
    capped = document_chunks(text, ChunkingSettings(chunk_size=4, overlap=4, max_chunks=5))
    assert len(every) > 5 and len(capped) == 5
    assert capped[0] == every[0] and capped[-1] == every[-1]


def test_a_short_document_is_one_chunk_and_an_empty_one_is_refused():
    assert document_chunks("Too short to fill a chunk.", ChunkingSettings()) == ["Too short to fill a chunk."]
    with pytest.raises(ValueError, match="a document is empty"):
        document_chunks(" \n ", ChunkingSettings())


def test_compare_documents_reports_calibrated_probabilities_and_chunk_counts(calibrated_matcher_dir):
    matcher = Matcher.load(calibrated_matcher_dir)
    text = book_text(LITTLE_WOMEN)
    half = len(text) // 2
    result = matcher.compare_documents(text[:half], book_text(TYPHOON))
    settings = matcher.chunking()
    assert settings == ChunkingSettings.from_config(document_config())  # the fitted settings win over the config's
    assert 1 <= result["chunks_a"] <= settings.max_chunks and 1 <= result["chunks_b"] <= settings.max_chunks
    assert result["chunk_pairs"] == result["chunks_a"] * result["chunks_b"]
    assert 0 <= result["p_same_book"] <= 1 and 0 <= result["p_same_author"] <= 1
    assert result["calibrated"] is True and result["decision"] == (result["p_same_book"] >= 0.5)
    calibration = matcher.document_calibration
    features = np.array([result["features"][name] for name in FEATURE_NAMES])
    assert result["p_same_book"] == pytest.approx(float(calibration.book.predict_proba(features)[0]), abs=1e-5)


def test_compare_without_document_calibration_names_the_fitting_command(tmp_path, calibrated_matcher_dir):
    bare = tmp_path / "final"
    shutil.copytree(calibrated_matcher_dir, bare, ignore=shutil.ignore_patterns(DocumentCalibration.FILE_NAME))
    with pytest.raises(FileNotFoundError, match=r"run `writing7 calibrate-documents` first"):
        Matcher.load(bare).compare_documents("One text here.", "Another text there.")


def test_calibration_from_another_feature_set_is_refused(calibrated_matcher_dir):
    payload = json.loads((calibrated_matcher_dir / DocumentCalibration.FILE_NAME).read_text())
    payload["features"] = ["mean"]
    with pytest.raises(ValueError, match="rerun `writing7 calibrate-documents --force`"):
        DocumentCalibration.from_dict(payload)
