"""Attribution: the open-set softmax, its fit, the cached candidates, the stage and the `attribute` command."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from tiny_models import FIXTURE_CORPUS
from writing7.cli import app
from writing7.inference.attribution import (
    AttributionCalibration, Attributor, RepresentationCache, episode_negative_log_likelihood, fit_open_set_softmax, open_set_probabilities,
)
from writing7.inference.matcher import Matcher
from writing7.inference.verdict import TextRepresentations

CANDIDATES = {"grey-zane": ["desert-gold.txt"], "stevenson-robert-louis": ["kidnapped.txt", "treasure-island.txt"],
              "jerome-jerome-k": ["three-men-in-a-boat.txt"]}


def book(author, title):
    from writing7.corpus import read_book

    return read_book(FIXTURE_CORPUS / author / title).text


@pytest.fixture(scope="module")
def matcher(attribution_model_dir):
    return Matcher.load(attribution_model_dir)


@pytest.fixture(scope="module")
def candidates():
    return {author: [book(author, title) for title in titles] for author, titles in CANDIDATES.items()}


def query_text():
    return " ".join(book("grey-zane", "riders-of-the-purple-sage.txt").split()[300:1300])


def test_open_set_probabilities_follow_the_formula():
    scores, temperature, none_logit, none_weight = np.array([2.0, -1.0, 0.5]), 1.7, 0.3, 0.8
    probabilities, none = open_set_probabilities(scores, temperature, none_logit, none_weight)
    background = none_logit + none_weight * np.mean(scores) / temperature
    normaliser = sum(math.exp(score / temperature) for score in scores) + math.exp(background)
    assert probabilities == pytest.approx([math.exp(score / temperature) / normaliser for score in scores])
    assert none == pytest.approx(math.exp(background) / normaliser)
    assert probabilities.sum() + none == pytest.approx(1.0)


def test_negative_log_likelihood_is_the_plain_loop():
    episodes = [(np.array([1.0, -2.0]), 0), (np.array([0.5]), -1), (np.array([3.0, 1.0, 0.0]), 2)]
    parameters = np.array([np.log(2.0), -0.5, 0.4])
    expected = []
    for scores, label in episodes:
        probabilities, none = open_set_probabilities(scores, 2.0, -0.5, 0.4)
        expected.append(-math.log(none if label == -1 else probabilities[label]))
    assert episode_negative_log_likelihood(parameters, episodes) == pytest.approx(np.mean(expected))


def test_fit_recovers_the_parameters_that_generated_the_episodes():
    rng = np.random.default_rng(0)
    truth, episodes = {"temperature": 2.0, "none_logit": 1.0, "none_weight": 0.7}, []
    for _ in range(4000):
        scores = rng.normal(rng.normal(0, 2), 3, size=int(rng.integers(2, 8)))  # each episode its own score level
        probabilities, none = open_set_probabilities(scores, *truth.values())
        choice = rng.choice(len(scores) + 1, p=np.append(probabilities, none))
        episodes.append((scores, -1 if choice == len(scores) else int(choice)))
    fitted, _ = fit_open_set_softmax(episodes)
    assert fitted["temperature"] == pytest.approx(truth["temperature"], rel=0.1)
    assert fitted["none_logit"] == pytest.approx(truth["none_logit"], abs=0.15)
    assert fitted["none_weight"] == pytest.approx(truth["none_weight"], abs=0.15)


def test_represented_texts_score_exactly_like_features(matcher, candidates):
    texts = [query_text(), *candidates["stevenson-robert-louis"]]
    together = matcher.represent(texts)
    apart = TextRepresentations.concatenate([together.select(position) for position in range(len(texts))])
    direct = matcher.features([(texts[0], texts[1]), (texts[0], texts[2])])
    for represented in (together, apart):
        features = matcher.features_between(represented, [0, 0], [1, 2])
        np.testing.assert_allclose(features.values, direct.values, rtol=1e-6, atol=1e-6)


def test_attribution_ranks_with_calibrated_probabilities_and_none(matcher, candidates):
    result = Attributor.load(matcher).attribute(query_text(), candidates)
    assert [row["author"] for row in result["candidates"]][0] == "grey-zane"
    assert sum(row["probability"] for row in result["candidates"]) + result["none_of_these"] == pytest.approx(1.0)
    probabilities = [row["probability"] for row in result["candidates"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert {row["author"]: row["texts"] for row in result["candidates"]} == {author: len(titles) for author, titles in CANDIDATES.items()}
    assert result["words"] == 1000 and result["length_band"] == "excerpt" and result["calibrated"] is True
    top = Attributor.load(matcher).attribute(query_text(), candidates, top_k=1)
    assert len(top["candidates"]) == 1 and top["candidates"][0] == result["candidates"][0]


def test_candidate_profiles_are_cached_so_a_second_query_costs_only_the_query(matcher, candidates, tmp_path):
    calibration = AttributionCalibration.load(matcher.model_dir)
    attributor = Attributor(matcher, calibration, cache=RepresentationCache(matcher, tmp_path / "cache"))
    first = attributor.attribute(query_text(), candidates)
    assert attributor.cache.computed == 4
    calls = []
    original = matcher.represent
    matcher.represent = lambda texts: calls.append(list(texts)) or original(texts)
    try:
        second = attributor.attribute(query_text(), candidates)
        assert calls == [[query_text()]]  # only the query was read
        fresh = Attributor(matcher, calibration, cache=RepresentationCache(matcher, tmp_path / "cache"))  # a new process: the disk
        third = fresh.attribute(query_text(), candidates)
        assert fresh.cache.computed == 0
    finally:
        matcher.represent = original
    assert first == second == third
    assert len(list((tmp_path / "cache").rglob("*.pkl"))) == 4


def test_attribution_refuses_empty_candidates(matcher):
    attributor = Attributor.load(matcher)
    with pytest.raises(ValueError, match="no candidate authors"):
        attributor.attribute(query_text(), {})
    with pytest.raises(ValueError, match="candidate 'x' has no text"):
        attributor.attribute(query_text(), {"x": []})


def test_stage_writes_report_calibration_and_manifest_and_skips_when_current(attribution_model_dir):
    from writing7.config.attribution import AttributionConfig
    from writing7.stages import attribution

    root = attribution_model_dir.parents[2]
    report = json.loads((root / "reports" / "attribution.json").read_text())
    assert set(report["lengths"]) == {"200", "1000"}
    for entry in report["lengths"].values():
        assert set(entry["systems"]) == {"verdict (mean)", "verdict (max)", "cosine_delta_300", "char4_tfidf"}
        for metrics in entry["systems"].values():
            assert 0 <= metrics["closed_accuracy@1"] <= metrics["closed_accuracy@3"] <= 1 and 0 <= metrics["ece_top"] <= 1
    assert "| verdict (mean) |" in (root / "reports" / "attribution.md").read_text()
    calibration = AttributionCalibration.load(attribution_model_dir)
    assert set(calibration.bands) == {"passage", "excerpt"} and calibration.aggregation in ("mean", "max")
    before = (root / "reports" / "attribution_manifest.json").stat().st_mtime_ns
    attribution.run(AttributionConfig(lengths=["200", "1000"]), corpus=FIXTURE_CORPUS, artifacts=root)
    assert (root / "reports" / "attribution_manifest.json").stat().st_mtime_ns == before  # current: skipped


def test_stage_names_the_missing_input(tmp_path):
    from writing7.config.attribution import AttributionConfig
    from writing7.stages import attribution

    with pytest.raises(FileNotFoundError, match="run `writing7 train` first"):
        attribution.run(AttributionConfig(), corpus=FIXTURE_CORPUS, artifacts=tmp_path)


def candidate_folder(root):
    for author, titles in CANDIDATES.items():
        (root / author).mkdir(parents=True)
        for title in titles:
            (root / author / title).write_text(book(author, title), encoding="utf-8")
    return root


def test_cli_attribute_prints_json_and_a_table(attribution_model_dir, tmp_path, matcher):
    from writing7.user_text import read_candidate_folder, read_user_document

    folder = candidate_folder(tmp_path / "candidates")
    (tmp_path / "query.txt").write_text(query_text(), encoding="utf-8")
    runner = CliRunner()
    arguments = ["attribute", str(tmp_path / "query.txt"), "--candidates", str(folder), "--model", str(attribution_model_dir),
                 "--cache-dir", str(tmp_path / "cache")]
    result = runner.invoke(app, [*arguments, "--json", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    known = read_candidate_folder(folder, max_bytes=None)  # the files as the command reads them
    expected = Attributor.load(matcher).attribute(read_user_document(tmp_path / "query.txt", max_bytes=None), known, top_k=2)
    assert payload == json.loads(json.dumps(expected))
    assert [set(row) >= {"author", "probability"} for row in payload["candidates"]] == [True, True] and "none_of_these" in payload
    table = runner.invoke(app, arguments)
    assert table.exit_code == 0 and "none of these" in table.stdout and "1  p=" in table.stdout


@pytest.mark.parametrize("layout, expected", [
    ("missing", "candidates not found"),
    ("empty", "has no author folders"),
    ("empty-author", "empty-author has no .txt files: add at least one text"),
    ("pdf", "notes.pdf is not a .txt file: convert it to plain text"),
    ("loose", "loose.txt is a file directly in the candidates folder"),
])
def test_cli_attribute_bad_candidate_folders_get_one_error_line(attribution_model_dir, tmp_path, layout, expected):
    folder = tmp_path / "candidates"
    if layout != "missing":
        folder.mkdir()
    if layout == "empty-author":
        (folder / "empty-author").mkdir()
    if layout == "pdf":
        (folder / "someone").mkdir()
        (folder / "someone" / "book.txt").write_text("Some words of the author's book.", encoding="utf-8")
        (folder / "someone" / "notes.pdf").write_bytes(b"%PDF-1.4")
    if layout == "loose":
        (folder / "loose.txt").write_text("words", encoding="utf-8")
    (tmp_path / "query.txt").write_text(query_text(), encoding="utf-8")
    result = CliRunner().invoke(app, ["attribute", str(tmp_path / "query.txt"), "--candidates", str(folder), "--model", str(attribution_model_dir)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0] and str(folder) in lines[0]


def test_cli_attribute_without_calibration_names_the_command(calibrated_matcher_dir, tmp_path):
    folder = candidate_folder(tmp_path / "candidates")
    (tmp_path / "query.txt").write_text(query_text(), encoding="utf-8")
    result = CliRunner().invoke(app, ["attribute", str(tmp_path / "query.txt"), "--candidates", str(folder), "--model", str(calibrated_matcher_dir)])
    assert result.exit_code == 2 and "run `writing7 calibrate-attribution --corpus DIR`" in result.output


def test_memory_keeps_the_most_recently_used_texts_and_the_disk_keeps_all(matcher, tmp_path):
    cache = RepresentationCache(matcher, tmp_path / "cache", max_in_memory=2)
    texts = ["The first short text of the cache test.", "A second one, about the sea.", "A third, about the hills."]
    cache.get(texts)
    assert len(cache.memory) == 3  # never evicts what one call returns
    again = cache.get(texts[:1])
    assert list(cache.memory) == [cache_key(texts[2]), cache_key(texts[0])] and cache.computed == 3
    assert again[0].words.tolist() == [8]
    cache.get(texts[1:2])  # evicted from memory, read back from disk
    assert cache.computed == 3


def cache_key(text):
    from writing7.inference.attribution import text_hash

    return text_hash(text)
