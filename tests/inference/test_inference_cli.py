import json

import pytest
from typer.testing import CliRunner

from matcher_models import fixture_chunks
from tiny_models import FIXTURE_CORPUS
from writing7.cli import app
from writing7.inference.matcher import Matcher

runner = CliRunner()


@pytest.fixture(scope="module")
def texts():
    chunks = fixture_chunks()
    return [chunk.text for chunk in chunks[:4]] + [chunks[-1].text]


@pytest.fixture(scope="module")
def matcher(calibrated_matcher_dir):
    return Matcher.load(calibrated_matcher_dir)


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def write_pairs(path, texts, lines=None):
    lines = lines or [json.dumps({"id": f"p{i}", "pair": [texts[0], text]}) for i, text in enumerate(texts[1:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_score_prints_the_api_result_and_style_similarity(calibrated_matcher_dir, matcher, texts):
    result = invoke("score", texts[0], texts[1], "--model", calibrated_matcher_dir)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == {**matcher.score(texts[0], texts[1]), "style_similarity": matcher.style_similarity(texts[0], texts[1])}


def test_score_reads_files(tmp_path, calibrated_matcher_dir, matcher, texts):
    (tmp_path / "a.txt").write_text(texts[0], encoding="utf-8")
    (tmp_path / "b.txt").write_text(texts[4], encoding="utf-8")
    result = invoke("score", "--file1", tmp_path / "a.txt", "--file2", tmp_path / "b.txt", "--model", calibrated_matcher_dir)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["p_same_book"] == matcher.score(texts[0], texts[4])["p_same_book"]


def test_score_needs_two_passages(calibrated_matcher_dir, texts):
    result = invoke("score", texts[0], "--model", calibrated_matcher_dir)
    assert result.exit_code == 2 and "two passages are needed" in result.output


def test_score_pairs_writes_pan_answers_in_input_order(tmp_path, calibrated_matcher_dir, matcher, texts):
    source = write_pairs(tmp_path / "in.jsonl", texts)
    output = tmp_path / "out.jsonl"
    result = invoke("score-pairs", source, "--model", calibrated_matcher_dir, "--output", output)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in output.read_text().splitlines()]
    assert [answer["id"] for answer in answers] == ["p0", "p1", "p2", "p3"]
    expected = [score["pan_book"] for score in matcher.score_batch([(texts[0], text) for text in texts[1:]])]
    assert [answer["value"] for answer in answers] == pytest.approx(expected, abs=1e-6)
    assert "scored 4 pairs" in result.output


def test_score_pairs_author_target_uses_the_author_answer(tmp_path, calibrated_matcher_dir, matcher, texts):
    source, output = write_pairs(tmp_path / "in.jsonl", texts), tmp_path / "out.jsonl"
    assert invoke("score-pairs", source, "--model", calibrated_matcher_dir, "--output", output, "--target", "author").exit_code == 0
    values = [json.loads(line)["value"] for line in output.read_text().splitlines()]
    expected = [score["pan_author"] for score in matcher.score_batch([(texts[0], text) for text in texts[1:]])]
    assert values == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("bad_line", "message"), [
    ('{"id": "x", "pair": ["only one"]}', r"in\.jsonl:3: 'pair' must be a list of two strings"),
    ('{"id": "x", "pair": ["a", "b"]', r"in\.jsonl:3: not valid JSON"),
    ('{"pair": ["a", "b"]}', r"in\.jsonl:3: missing 'id' or 'pair'"),
    ('{"id": "p0", "pair": ["a", "b"]}', r"in\.jsonl:3: id 'p0' already used on line 1"),
])
def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path, calibrated_matcher_dir, texts, bad_line, message):
    import re

    good = [json.dumps({"id": f"p{i}", "pair": [texts[0], texts[1]]}) for i in range(2)]
    source = write_pairs(tmp_path / "in.jsonl", texts, [*good, bad_line])
    output = tmp_path / "out.jsonl"
    result = invoke("score-pairs", source, "--model", calibrated_matcher_dir, "--output", output)
    assert result.exit_code == 2
    assert re.search(message, result.stderr) and len(result.stderr.strip().splitlines()) == 1
    assert not output.exists() and list(tmp_path.iterdir()) == [source]


def test_compare_standardizes_files_and_prints_the_verdict_with_its_features(tmp_path, calibrated_matcher_dir):
    first = FIXTURE_CORPUS / "grey-zane" / "desert-gold.txt"
    second = FIXTURE_CORPUS / "grey-zane" / "riders-of-the-purple-sage.txt"
    result = invoke("compare", first, second, "--model", calibrated_matcher_dir)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["calibrated"] is True and printed["passages"][0] >= 1 and 0 <= printed["p_same_author"] <= 1
    assert printed["words"][0] > 1000 and "char4_cosine" in printed["features"]


@pytest.mark.parametrize("how", ["--uncalibrated", "[inference] uncalibrated = true"])
def test_uncalibrated_compare_reports_the_raw_scores_of_score(tmp_path, calibrated_matcher_dir, how):
    """With the verdict next to the model, the uncalibrated mode must still not use it: compare agrees with score."""
    from writing7.user_text import read_user_document

    first = FIXTURE_CORPUS / "grey-zane" / "desert-gold.txt"
    second = FIXTURE_CORPUS / "grey-zane" / "riders-of-the-purple-sage.txt"
    config = tmp_path / "w7.toml"
    config.write_text("[inference]\nuncalibrated = true\n" if how.startswith("[") else "")
    options = ["--uncalibrated"] if how == "--uncalibrated" else ["--config", config]
    result = invoke("compare", first, second, "--model", calibrated_matcher_dir, *options)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    documents = [read_user_document(path, max_bytes=None) for path in (first, second)]
    raw = Matcher.load(calibrated_matcher_dir, uncalibrated=True).score(*documents)
    assert printed["calibrated"] is False and raw["calibrated"] is False
    assert printed["p_same_book"] == pytest.approx(raw["p_same_book"]) and printed["p_same_author"] == pytest.approx(raw["p_same_author"])
    assert printed["abstained"] is False and "char4_cosine" not in printed["features"]  # no verdict: passage features only


def test_index_and_search_through_the_cli(tmp_path, calibrated_matcher_dir, monkeypatch):
    config = tmp_path / "w7.toml"
    config.write_text("[index]\nchunk_size = 4\noverlap = 4\nmax_chunks_per_book = 4\nheld_out_per_book = 1\n")
    out = tmp_path / "index"
    result = invoke("index", "--corpus", FIXTURE_CORPUS, "--model", calibrated_matcher_dir, "--out", out, "--config", config)
    assert result.exit_code == 0, result.output
    assert "18 books" in result.output and (out / "manifest.json").is_file()
    query = json.loads((out / "held_out.jsonl").read_text().splitlines()[0])["text"]
    result = invoke("search", query, "--index", out, "--top-k", 3, "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [hit["rank"] for hit in hits] == [1, 2, 3] and {"book_id", "author", "probability"} <= set(hits[0])
    table = invoke("search", query, "--index", out, "--top-k", 2)
    assert table.exit_code == 0 and len(table.stdout.strip().splitlines()) == 2


def test_default_model_comes_from_the_artifacts_environment(tmp_path, monkeypatch, texts):
    monkeypatch.setenv("WRITING7_ARTIFACTS", str(tmp_path))
    result = invoke("score", texts[0], texts[1])
    assert result.exit_code == 2
    assert f"model folder {tmp_path / 'models' / 'book_matcher_contrastive' / 'final'} not found" in result.output


def test_search_without_an_index_names_the_index_stage(tmp_path):
    result = invoke("search", "a passage", "--index", tmp_path / "absent")
    assert result.exit_code == 2 and "run `writing7 index` first" in result.output
