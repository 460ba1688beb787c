import json
import shutil

import numpy as np
import pytest

from matcher_models import fixture_chunks
from writing7.inference.matcher import Matcher
from writing7.models.scoring import score_text_pairs

KEYS = {"p_same_book", "p_same_author", "decision", "abstained", "author_decision", "author_abstained", "pan_book", "pan_author",
        "style_similarity", "words", "passages", "length_band", "too_short", "calibrated"}


@pytest.fixture(scope="module")
def matcher(calibrated_matcher_dir):
    return Matcher.load(calibrated_matcher_dir)


@pytest.fixture(scope="module")
def passages():
    return [chunk.text for chunk in fixture_chunks()[:6]] + [fixture_chunks()[-1].text]


def test_score_returns_calibrated_probabilities_and_a_decision(matcher, passages):
    result = matcher.score(passages[0], passages[1])
    assert set(result) == KEYS
    assert 0.0 <= result["p_same_book"] <= 1.0 and 0.0 <= result["p_same_author"] <= 1.0
    assert result["calibrated"] is True


def test_decision_follows_the_fitted_threshold_and_band_of_the_length_band(matcher, passages, calibrated_matcher_dir):
    heads = json.loads((calibrated_matcher_dir / "verdict.json").read_text())["heads"]["book"]
    pairs = [(a, b) for a in passages for b in passages if a != b]
    for result in matcher.score_batch(pairs):
        learned = heads[result["length_band"]]["decision"]["learned"]
        low, high = learned["band_"]
        inside = low < result["p_same_book"] < high
        assert result["abstained"] == inside
        assert result["decision"] is (None if inside else result["p_same_book"] >= learned["threshold_"])
        assert (result["pan_book"] == 0.5) == inside


def test_every_result_says_how_much_text_it_read(matcher, passages):
    from tiny_models import FIXTURE_CORPUS
    from writing7.corpus import read_book

    long_text = read_book(FIXTURE_CORPUS / "conrad-joseph" / "typhoon.txt").text
    result = matcher.score(passages[0], long_text)
    assert result["words"] == [len(passages[0].split()), len(long_text.split())]
    assert result["passages"][0] == 1 and result["passages"][1] >= 2


def test_a_pair_shorter_than_any_fitted_text_gets_no_verdict(matcher, passages, calibrated_matcher_dir, caplog):
    from writing7.length_suite import FIT_FEATURES_FILE, load_fit_features

    fitted = load_fit_features(calibrated_matcher_dir / FIT_FEATURES_FILE)
    assert matcher.verdict.min_words == min(features.shorter_words.min() for _, features in fitted.values())
    short = " ".join(passages[1].split()[:int(matcher.verdict.min_words) - 1])
    with caplog.at_level("WARNING", logger="writing7.inference.matcher"):
        result, control = matcher.score_batch([(passages[0], short), (passages[0], passages[1])])
    assert result["too_short"] and not control["too_short"] and "1 of 2 pairs have a text under" in caplog.text
    assert result["p_same_book"] == result["p_same_author"] == result["pan_book"] == result["pan_author"] == 0.5
    assert result["abstained"] and result["author_abstained"] and result["decision"] is None and result["author_decision"] is None
    assert matcher.explain(passages[0], short)["explanation"]["tasks"]["book"]["too_short"] is True


def test_batched_scores_equal_one_at_a_time(matcher, passages):
    pairs = [(passages[0], passages[i]) for i in range(1, len(passages))]
    batched = matcher.score_batch(pairs)
    for pair, result in zip(pairs, batched):
        single = matcher.score(*pair)
        assert single["p_same_book"] == pytest.approx(result["p_same_book"], abs=1e-5)
        assert single["p_same_author"] == pytest.approx(result["p_same_author"], abs=1e-5)


def test_style_similarity_is_in_unit_interval_and_symmetric(matcher, passages):
    values = matcher.style_similarity_batch([(passages[0], passages[3]), (passages[3], passages[0]), (passages[2], passages[2])])
    assert all(0.0 <= value <= 1.0 for value in values)
    assert values[0] == pytest.approx(values[1], abs=1e-6)
    assert matcher.style_similarity(passages[0], passages[3]) == pytest.approx(values[0], abs=1e-6)


def test_identical_passages_are_at_least_as_similar_as_different_ones(matcher, passages):
    same, different = matcher.style_similarity_batch([(passages[0], passages[0]), (passages[0], passages[-1])])
    assert same >= different  # cosine 1 is the top of a monotone map


def test_embed_gives_unit_vectors(matcher, passages):
    vectors = matcher.embed(passages[:3])
    assert vectors.shape == (3, matcher.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert matcher.embed([]).shape == (0, matcher.dimension)
    with pytest.raises(ValueError, match="embed takes a list of texts"):
        matcher.embed("one text")


def test_empty_text_is_refused(matcher):
    with pytest.raises(ValueError, match="pair 0 has an empty text"):
        matcher.score("   ", "some words here")


def test_missing_verdict_names_the_calibrate_stage(tmp_path, calibrated_matcher_dir):
    bare = tmp_path / "final"
    shutil.copytree(calibrated_matcher_dir, bare, ignore=shutil.ignore_patterns("verdict.json"))
    with pytest.raises(FileNotFoundError, match=r"run `writing7 calibrate` first \(or pass --uncalibrated"):
        Matcher.load(bare)


def test_uncalibrated_mode_is_flagged_in_every_result(tmp_path, calibrated_matcher_dir, passages):
    bare = tmp_path / "final"
    shutil.copytree(calibrated_matcher_dir, bare, ignore=shutil.ignore_patterns("*calibration.json", "verdict.json"))
    matcher = Matcher.load(bare, uncalibrated=True)
    result = matcher.score(passages[0], passages[1])
    assert result["calibrated"] is False and result["abstained"] is False
    raw = score_text_pairs(matcher.model, [passages[0]], [passages[1]])
    assert result["p_same_book"] == pytest.approx(1 / (1 + np.exp(-raw.logits[0, 0])), abs=1e-5)
    cosine = float(raw.cosines[0])
    assert matcher.style_similarity(passages[0], passages[1]) == pytest.approx((cosine + 1) / 2, abs=1e-5)
    compared = matcher.compare_documents(" ".join(passages[:3]), " ".join(passages[3:]))
    assert compared["calibrated"] is False


def test_missing_model_names_the_train_stage(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"run `writing7 train` first or pass --model DIR"):
        Matcher.load(tmp_path / "absent")


def test_default_model_folder_comes_from_the_artifacts_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITING7_ARTIFACTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "models" / "book_matcher_contrastive" / "final")):
        Matcher.load()


def test_package_exports_matcher_lazily():
    import writing7

    assert writing7.Matcher is Matcher
