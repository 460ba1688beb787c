"""Explanations: the verdict's logit taken apart exactly, and evidence that names what the texts share."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tiny_models import fixture_book
from writing7.cli import app
from writing7.inference.matcher import Matcher
from writing7.inference.verdict import FEATURE_NAMES

FOREST = ("Captain Zorblax walked through the quiet forest at dawn. The birds sang over the river and the wind moved the "
          "leaves. Zorblax carried the old brass astrolabe that the Quennick brothers had given him, and he looked at the "
          "river and the trees and the hills. The light was grey and the path was wet. ") * 4
HARBOUR = ("Which of them had seen Zorblax at the harbour? Which boat would carry the brass astrolabe to Quennick island? "
           "It was said that Zorblax, who never slept, would sail on any tide which served him; and which of us could "
           "doubt it, when Quennick itself, which is far, had heard of his astrolabe? ") * 4


@pytest.fixture(scope="module")
def matcher(calibrated_matcher_dir):
    return Matcher.load(calibrated_matcher_dir)


def test_contributions_and_bias_reproduce_the_logit_and_the_probability(matcher):
    pairs = [(FOREST, HARBOUR), (fixture_book("grey-zane/desert-gold.txt")[:8000], fixture_book("conrad-joseph/typhoon.txt")[:3000]),
             (fixture_book("grey-zane/desert-gold.txt"), fixture_book("grey-zane/riders-of-the-purple-sage.txt"))]
    for text_a, text_b in pairs:
        explained = matcher.explain(text_a, text_b)
        features = matcher.features([(text_a, text_b)])
        for task, key in (("book", "p_same_book"), ("author", "p_same_author")):
            parts = explained["explanation"]["tasks"][task]
            total = parts["bias"] + sum(row["contribution"] for row in parts["contributions"])
            assert total == pytest.approx(matcher.task_logits(task, features)[0], abs=1e-6)
            assert total == pytest.approx(parts["logit"], abs=1e-6)
            assert 1 / (1 + np.exp(-total)) == pytest.approx(explained[key], abs=1e-9)
            assert sorted(row["feature"] for row in parts["contributions"]) == sorted(FEATURE_NAMES)
            magnitudes = [abs(row["contribution"]) for row in parts["contributions"]]
            assert magnitudes == sorted(magnitudes, reverse=True)
            assert parts["abstention"][0] <= parts["threshold"] <= parts["abstention"][1]


def test_explain_scores_exactly_like_score(matcher):
    explained = matcher.explain(FOREST, HARBOUR)
    assert {key: value for key, value in explained.items() if key != "explanation"} == matcher.score(FOREST, HARBOUR)
    same = matcher.explain(FOREST, FOREST)  # one distinct text, as score reads it
    assert {key: value for key, value in same.items() if key != "explanation"} == matcher.score(FOREST, FOREST)


def test_evidence_names_the_shared_names_rare_words_ngrams_and_function_words(matcher):
    evidence = matcher.explain(FOREST, HARBOUR)["explanation"]["evidence"]
    names = [row["name"] for row in evidence["shared_names"]]
    assert set(names) >= {"Zorblax", "Quennick"}
    zorblax = next(row for row in evidence["shared_names"] if row["name"] == "Zorblax")
    assert (zorblax["count_a"], zorblax["count_b"]) == (8, 8)
    rare = [row["word"] for row in evidence["shared_rare_words"]]
    assert "zorblax" in rare and "astrolabe" in rare
    assert "the" not in rare[:5]
    grams = [row["ngram"] for row in evidence["char_ngrams"]]
    assert grams and all(gram in FOREST.lower() and gram in HARBOUR.lower() for gram in grams)
    assert sum(row["share"] for row in evidence["char_ngrams"]) <= 1.0 + 1e-6
    over = [row["word"] for row in evidence["function_words"]["over_used"]]
    under = [row["word"] for row in evidence["function_words"]["under_used"]]
    assert "the" in over[:5]
    assert "which" in under[:5]
    which = next(row for row in evidence["function_words"]["under_used"] if row["word"] == "which")
    assert which["per_1000_a"] == 0 and which["per_1000_b"] > 50


def test_char_ngram_weights_sum_to_the_char4_cosine(matcher):
    text_a, text_b = fixture_book("jerome-jerome-k/three-men-in-a-boat.txt")[:4000], fixture_book("jerome-jerome-k/the-idle-thoughts-of-an-idle-fellow.txt")[:4000]
    result = matcher.explain(text_a, text_b, top=100_000)
    cosine = result["explanation"]["tasks"]["book"]["contributions"]
    value = next(row["value"] for row in cosine if row["feature"] == "char4_cosine")
    # every shared n-gram once: the products make up the cosine, less the few columns where two different n-grams of
    # the two texts collide in the 2^20 hashed space (expected ~ |A| |B| / 2^20 of them)
    total = sum(row["weight"] for row in result["explanation"]["evidence"]["char_ngrams"])
    assert 0.99 * value <= total <= value + 1e-6


def test_uncalibrated_matcher_refuses_to_explain(calibrated_matcher_dir):
    with pytest.raises(ValueError, match="explanations need the calibrated verdict"):
        Matcher.load(calibrated_matcher_dir, uncalibrated=True).explain(FOREST, HARBOUR)


def test_cli_score_compare_and_score_pairs_explain(calibrated_matcher_dir, tmp_path, matcher):
    runner = CliRunner()
    result = runner.invoke(app, ["score", FOREST, HARBOUR, "--model", str(calibrated_matcher_dir), "--explain"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(matcher.explain(FOREST, HARBOUR)))
    (tmp_path / "a.txt").write_text(FOREST, encoding="utf-8")
    (tmp_path / "b.txt").write_text(HARBOUR, encoding="utf-8")
    result = runner.invoke(app, ["compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--model", str(calibrated_matcher_dir), "--explain"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload["features"]) == set(FEATURE_NAMES) and "Zorblax" in [row["name"] for row in payload["explanation"]["evidence"]["shared_names"]]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"id": "p1", "pair": [FOREST, HARBOUR]}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["score-pairs", str(pairs), "-o", str(tmp_path / "answers.jsonl"), "--model", str(calibrated_matcher_dir),
                                 "--explain", "--target", "author"])
    assert result.exit_code == 0, result.output
    line = json.loads((tmp_path / "answers.jsonl").read_text(encoding="utf-8"))
    assert line["id"] == "p1" and line["value"] == matcher.score(FOREST, HARBOUR)["pan_author"] and "tasks" in line["explanation"]
    result = runner.invoke(app, ["score", FOREST, HARBOUR, "--model", str(calibrated_matcher_dir), "--explain", "--uncalibrated"])
    assert result.exit_code == 2 and "error: --explain needs the calibrated verdict" in result.output
