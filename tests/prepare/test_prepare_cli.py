from typer.testing import CliRunner

from writing7.cli import app

runner = CliRunner()


def test_prepare_command_runs_with_knobs_and_prints_a_summary(fixture_corpus_source, tiny_sentence_transformer, tmp_path):
    result = runner.invoke(app, [
        "prepare", "--corpus", str(fixture_corpus_source), "--artifacts", str(tmp_path),
        "--embed-model", str(tiny_sentence_transformer), "--device", "cpu", "--workers", "1",
        "--chunk-size", "8", "--overlap", "4", "--max-chunks-per-book", "10", "--num-chunks-for-embed", "3",
        "--num-hard-negative-books", "2", "--n-positive-per-book", "2", "--n-negative-per-book", "4",
        "--n-same-author-per-book", "1", "--train-ratio", "0.6", "--val-ratio", "0.2", "--seed", "5",
        "--embed-batch-size", "8", "--max-seq-length", "64", "--dedup-min-books", "3",
        "--neighbour-backend", "faiss", "--min-chunk-chars", "300",
    ])
    assert result.exit_code == 0, result.output
    assert "books: 18 used of 18" in result.output
    assert "train: 5 authors, 10 books" in result.output and "validation: 2 authors" in result.output
    assert (tmp_path / "data" / "processed" / "dataset_dict.json").is_file()


def test_invalid_knob_is_one_line_naming_the_field(fixture_corpus_source, tmp_path):
    result = runner.invoke(app, ["prepare", "--corpus", str(fixture_corpus_source), "--artifacts", str(tmp_path), "--overlap", "0"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: prepare.overlap = 0: must be > 0; set overlap to a positive number"


def test_missing_corpus_names_the_stage_to_run_first(tmp_path):
    result = runner.invoke(app, ["prepare", "--corpus", str(tmp_path / "nowhere"), "--artifacts", str(tmp_path)])
    assert result.exit_code == 2
    assert "corpus directory not found at" in result.output and "run `writing7 ingest` first" in result.output
