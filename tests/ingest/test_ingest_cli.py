"""`writing7 ingest gutenberg|dir` through the real CLI: summaries, exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

from ingest_helpers import CATALOG, CORPUS
from typer.testing import CliRunner

from writing7.cli import app
from writing7.ingest.testing_server import MirrorServer

runner = CliRunner()


def ingest(*arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ingest", *arguments])
    return result.exit_code, result.output


def test_gutenberg_ids_in_every_spelling(tmp_path: Path, mirror: MirrorServer) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("# Conrad\n5658\n1142, 45  # and Anne\n\n")
    code, output = ingest(
        "gutenberg", "--ids", "514", "2726,62", "--ids-file", str(ids_file), "--corpus", str(tmp_path / "corpus"),
        "--mirror", mirror.url, "--delay", "0", "--concurrency", "3", "--timeout", "5", "--retries", "1",
        "--catalog", str(CATALOG),
    )
    assert code == 0, output
    assert output.splitlines()[-1] == "fetched 6, skipped 0, not found 0, failed 0"
    code, output = ingest(
        "gutenberg", "5658", "--corpus", str(tmp_path / "corpus"), "--mirror", mirror.url, "--delay", "0", "--no-skip-if-exists"
    )
    assert code == 0 and "fetched 1, skipped 0" in output


def test_exit_code_1_when_every_id_failed(tmp_path: Path, mirror: MirrorServer) -> None:
    code, output = ingest("gutenberg", "--ids", "999999", "--corpus", str(tmp_path), "--mirror", mirror.url, "--delay", "0")
    assert code == 1
    assert output.splitlines() == [
        "fetched 0, skipped 0, not found 1, failed 0",
        f"  not found 999999: not found under any of 6 layouts at {mirror.url}",
    ]


def test_user_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    corpus = str(tmp_path / "corpus")
    cases = {
        ("--ids", "pride-and-prejudice"): "error: 'pride-and-prejudice' is not a Gutenberg id",
        ("--ids", "0"): "error: '0' is not a Gutenberg id",
        (): "error: no Gutenberg ids given: pass --ids 1342 84 ... or --ids-file FILE",
        ("--ids", "1", "--concurrency", "0"): "error: ingest.concurrency = 0: must be > 0",
        ("--ids", "1", "--mirror", "gutenberg.org"): "error: ingest.mirror = 'gutenberg.org': is not an http(s) URL",
        ("--ids-file", str(tmp_path / "nope.txt")): "error: ids file",
        ("--ids", "1", "--catalog", str(tmp_path / "nope.csv")): "error: catalog",
    }
    for arguments, message in cases.items():
        code, output = ingest("gutenberg", *arguments, "--corpus", corpus)
        assert code == 2 and output.startswith(message) and output.count("\n") == 1, (arguments, output)


def test_dir_command(tmp_path: Path) -> None:
    code, output = ingest("dir", str(CORPUS), "--corpus", str(tmp_path / "corpus"), "--catalog", str(CATALOG))
    assert code == 0 and output.splitlines() == ["imported 18, skipped 0, failed 0"]
    code, output = ingest("dir", str(tmp_path / "missing"), "--corpus", str(tmp_path / "corpus"))
    assert code == 2 and output.startswith("error: source folder")
