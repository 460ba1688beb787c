"""Every command that takes a user's file or folder, fed every kind of bad (and odd but valid) input.

A bad input must end the command with a non-zero exit code and exactly one ``error: ...`` line on
stderr naming the path, never a traceback; an odd but valid input (UTF-16 with a byte-order mark,
latin-1) must simply work. Commands run in-process through typer's CliRunner; inputs are checked
before any model is loaded, so the failing cells take milliseconds.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tiny_models import FIXTURE_CORPUS
from writing7.cli import app

runner = CliRunner()

PROSE = (
    "The old house stood at the end of the lane, and nobody had lived in it for many years. "
    "Every evening the children walked past it on their way home from school, and every evening they "
    "wondered who had left the lamp burning in the upper window. Their mother said that it was only the "
    "moon on the glass, but their grandfather, who remembered the family that had lived there, said nothing at all. "
) * 4
ACCENTED = PROSE + "The café owner, a naïve señor with a façade of calm, said déjà vu and smiled. " * 3
GOOD_BOOK = FIXTURE_CORPUS / "grey-zane" / "desert-gold.txt"


# -- inputs ----------------------------------------------------------------------------------------
def pairs_line(text: str) -> str:
    return json.dumps({"id": "p1", "pair": [text, PROSE]}, ensure_ascii=False) + "\n"


def content(kind: str, *, jsonl: bool) -> bytes:
    """The bytes of a file of ``kind``; JSON lines of the same text when the command reads PAN pairs."""
    text = pairs_line(ACCENTED) if jsonl else ACCENTED
    return {
        "empty": b"",
        "blank": b"  \n\t\r\n  ",
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        "html": b"<!DOCTYPE html>\n<html><head><title>A book</title></head><body><p>" + PROSE.encode() + b"</p></body></html>\n",
        "utf16": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        "latin1": text.encode("latin-1"),
    }[kind]


def make_file(kind: str, where: Path, *, jsonl: bool = False) -> Path:
    """A path of ``kind`` for a command that expects a file."""
    path = where / "input.txt"
    if kind == "directory":
        path.mkdir()
    elif kind == "parent_is_file":
        (where / "plain-file").write_text(PROSE, encoding="utf-8")
        path = where / "plain-file" / "input.txt"
    elif kind == "unreadable":
        path.write_text(PROSE, encoding="utf-8")
        path.chmod(0)
    elif kind != "missing":
        path.write_bytes(content(kind, jsonl=jsonl))
    return path


def make_folder(kind: str, where: Path) -> Path:
    """A path of ``kind`` for a command that expects a folder (of books laid out AUTHOR/TITLE.txt)."""
    path = where / "input-folder"
    if kind == "file":
        path.write_text(PROSE, encoding="utf-8")
    elif kind == "parent_is_file":
        (where / "plain-file").write_text(PROSE, encoding="utf-8")
        path = where / "plain-file" / "input-folder"
    elif kind == "unreadable":
        (path / "some-author").mkdir(parents=True)
        (path / "some-author" / "a-book.txt").write_text(PROSE, encoding="utf-8")
        path.chmod(0)
    elif kind == "empty_folder":
        path.mkdir()
    elif kind != "missing":  # a folder holding one book of this content kind
        (path / "some-author").mkdir(parents=True)
        (path / "some-author" / "a-book.txt").write_bytes(content(kind, jsonl=False))
    return path


# -- commands --------------------------------------------------------------------------------------
@dataclass
class Setting:
    """What a command line needs besides the input under test."""

    tmp: Path
    model: Path
    index: Path
    pairs: Path
    busy_port: int  # a port something already listens on: a `serve` that got past its input checks stops there


Command = Callable[[Path, Setting], list]

FILE_COMMANDS: dict[str, Command] = {
    "score --file1": lambda path, s: ["score", "--file1", path, "--file2", GOOD_BOOK, "--model", s.model],
    "compare": lambda path, s: ["compare", path, GOOD_BOOK, "--model", s.model],
    "score-pairs": lambda path, s: ["score-pairs", path, "--output", s.tmp / "answers.jsonl", "--model", s.model],
}
FOLDER_COMMANDS: dict[str, Command] = {
    "ingest dir": lambda path, s: ["ingest", "dir", path, "--corpus", s.tmp / "corpus"],
    "standardize": lambda path, s: ["standardize", path, "--out", s.tmp / "clean"],
    "prepare --corpus": lambda path, s: ["prepare", "--corpus", path, "--artifacts", s.tmp / "artifacts"],
    "index --corpus": lambda path, s: ["index", "--corpus", path, "--model", s.model, "--out", s.tmp / "index"],
}
MODEL_COMMANDS: dict[str, Command] = {
    "score --model": lambda path, s: ["score", PROSE, ACCENTED, "--model", path],
    "compare --model": lambda path, s: ["compare", GOOD_BOOK, GOOD_BOOK, "--model", path],
    "score-pairs --model": lambda path, s: ["score-pairs", s.pairs, "--output", s.tmp / "answers.jsonl", "--model", path],
    "index --model": lambda path, s: ["index", "--corpus", FIXTURE_CORPUS, "--model", path, "--out", s.tmp / "index"],
    "search --model": lambda path, s: ["search", PROSE, "--index", s.index, "--model", path],
    "serve --model": lambda path, s: ["serve", "--model", path, "--port", s.busy_port],
}
INDEX_COMMANDS: dict[str, Command] = {
    "search --index": lambda path, s: ["search", PROSE, "--index", path],
    "serve --index": lambda path, s: ["serve", "--model", s.model, "--index", path, "--port", s.busy_port],
}

FILE_ERRORS = ("empty", "blank", "binary", "html", "directory", "missing", "parent_is_file", "unreadable")
VALID_TEXTS = ("utf16", "latin1")
FOLDER_ERRORS = ("file", "missing", "parent_is_file", "unreadable")
MODEL_ERRORS = ("file", "missing", "parent_is_file", "empty_folder", "truncated_weights", "corrupt_json")
CONTENT_FOLDER_COMMANDS = ("ingest dir", "standardize", "index --corpus")


# -- running and checking --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    pairs = tmp_path_factory.mktemp("pairs") / "pairs.jsonl"
    pairs.write_text(pairs_line(ACCENTED), encoding="utf-8")
    return pairs


@pytest.fixture()
def setting(tmp_path, calibrated_matcher_dir, fixture_index_dir, pairs_file, busy_port):
    (tmp_path / "work").mkdir()
    return Setting(tmp_path / "work", calibrated_matcher_dir, fixture_index_dir, pairs_file, busy_port)


def skip_unreadable_as_root(kind: str) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file, so no input is unreadable to it; parent_is_file covers an unreachable path")


def invoke(arguments: list) -> object:
    return runner.invoke(app, ["--quiet", *[str(argument) for argument in arguments]])


def assert_one_error_line(result, path: Path) -> None:
    """Non-zero exit, exactly one ``error:`` line naming ``path``, no traceback."""
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unexpected {type(result.exception).__name__}: {result.exception}\n{output}")
    assert result.exit_code != 0, output
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert str(path) in errors[0], errors[0]


@pytest.mark.parametrize("kind", FILE_ERRORS)
@pytest.mark.parametrize("command", FILE_COMMANDS)
def test_a_bad_file_gives_one_error_line(command, kind, setting):
    skip_unreadable_as_root(kind)
    path = make_file(kind, setting.tmp, jsonl=command == "score-pairs")
    assert_one_error_line(invoke(FILE_COMMANDS[command](path, setting)), path)


@pytest.mark.parametrize("kind", VALID_TEXTS)
@pytest.mark.parametrize("command", ("score --file1", "compare"))
def test_utf16_and_latin1_texts_are_read(command, kind, setting):
    path = make_file(kind, setting.tmp)
    result = invoke(FILE_COMMANDS[command](path, setting))
    assert result.exit_code == 0, result.output
    assert "p_same_book" in json.loads(result.stdout)


@pytest.mark.parametrize("kind", VALID_TEXTS)
def test_score_pairs_reads_only_utf8_json_and_says_how_to_convert(kind, setting):
    """JSON text is UTF-8 (RFC 8259): a UTF-16 or latin-1 pairs file is refused with the fix, not a codec error."""
    path = make_file(kind, setting.tmp, jsonl=True)
    result = invoke(FILE_COMMANDS["score-pairs"](path, setting))
    assert_one_error_line(result, path)
    assert "save it as UTF-8" in result.stderr


@pytest.mark.parametrize("kind", FOLDER_ERRORS)
@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_a_bad_folder_gives_one_error_line(command, kind, setting):
    skip_unreadable_as_root(kind)
    path = make_folder(kind, setting.tmp)
    assert_one_error_line(invoke(FOLDER_COMMANDS[command](path, setting)), path)


@pytest.mark.parametrize("kind", ("empty", "binary", "html"))
@pytest.mark.parametrize("command", CONTENT_FOLDER_COMMANDS)
def test_a_folder_without_a_usable_book_gives_one_error_line(command, kind, setting):
    path = make_folder(kind, setting.tmp)
    assert_one_error_line(invoke(FOLDER_COMMANDS[command](path, setting)), path)


@pytest.mark.parametrize("kind", VALID_TEXTS)
@pytest.mark.parametrize("command", CONTENT_FOLDER_COMMANDS)
def test_a_folder_of_utf16_or_latin1_books_works(command, kind, setting):
    path = make_folder(kind, setting.tmp)
    result = invoke(FOLDER_COMMANDS[command](path, setting))
    assert result.exit_code == 0, result.output


def make_model(kind: str, where: Path, model: Path) -> Path:
    """A ``--model`` path of ``kind``: a damaged copy of the tiny model, or a path that is no model folder."""
    if kind in ("truncated_weights", "corrupt_json"):
        copy = shutil.copytree(model, where / "damaged-model")
        weights = copy / "model.safetensors"
        if kind == "truncated_weights":
            weights.write_bytes(weights.read_bytes()[:1000])
        else:
            (copy / "config.json").write_text('{"model_type": "bert", ', encoding="utf-8")
        return copy
    return make_folder(kind, where)


@pytest.mark.parametrize("kind", MODEL_ERRORS)
@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_a_bad_model_folder_gives_one_error_line(command, kind, setting):
    path = make_model(kind, setting.tmp, setting.model)
    assert_one_error_line(invoke(MODEL_COMMANDS[command](path, setting)), path)


@pytest.mark.parametrize("kind", ("file", "missing", "parent_is_file", "empty_folder"))
@pytest.mark.parametrize("command", INDEX_COMMANDS)
def test_a_bad_index_folder_gives_one_error_line(command, kind, setting):
    path = make_folder(kind, setting.tmp)
    assert_one_error_line(invoke(INDEX_COMMANDS[command](path, setting)), path)


def test_a_text_over_the_size_limit_is_refused_before_reading(setting):
    """The limit comes from ``[inference] max_text_bytes``; the message gives the size, the limit and the setting."""
    config = setting.tmp / "small-limit.toml"
    config.write_text("[inference]\nmax_text_bytes = 1000\n", encoding="utf-8")
    path = make_file("latin1", setting.tmp)
    for arguments in (FILE_COMMANDS["score --file1"](path, setting), FILE_COMMANDS["compare"](path, setting)):
        result = invoke([*arguments, "--config", config])
        assert_one_error_line(result, path)
        assert "max_text_bytes" in result.stderr and "1000" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ("score --file1", "compare"))
def test_a_huge_file_is_refused_at_the_default_limit(command, setting):
    path = setting.tmp / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024)  # sparse: 25 MB of NUL bytes, refused on its size before it is read
    result = invoke(FILE_COMMANDS[command](path, setting))
    assert_one_error_line(result, path)
    assert "max_text_bytes" in result.stderr


def test_a_blank_inline_passage_is_refused_before_the_model_loads(setting):
    result = invoke(["score", "  \n ", PROSE, "--model", setting.tmp / "no-model-needed"])
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: passage 1 is empty: pass some text, or --file1 with a text file"]
