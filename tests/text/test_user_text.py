"""The one decoder and checker for texts users hand us: what is read, what is refused, and the one-line messages."""

import codecs
import os
import threading

import pytest

from writing7.text.decode import binary_reason, decode_bytes, decode_text, text_problem
from writing7.user_text import read_user_text, require_folder

PROSE = "It was a dark night, and the café’s naïve owner said “déjà vu” twice.\n" * 20


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_with_a_bom_is_decoded_not_called_binary(bom, codec):
    data = bom + PROSE.encode(codec)
    assert text_problem(data) is None and binary_reason(data) is None
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding, decoded.replaced) == (PROSE, codec, 0)


def test_a_cut_off_utf16_file_decodes_with_one_replacement():
    decoded = decode_bytes(codecs.BOM_UTF16_LE + "abc".encode("utf-16-le") + b"d")
    assert (decoded.text, decoded.replaced) == ("abc\ufffd", 1)


@pytest.mark.parametrize("data, reason", [
    (PROSE.encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
    (PROSE.encode("utf-16-be"), "UTF-16 text without a byte-order mark"),
    (codecs.BOM_UTF16_LE + "  \n ".encode("utf-16-le"), "empty file"),
    (codecs.BOM_UTF16_LE + "<html><body>x</body></html>".encode("utf-16-le"), "HTML file"),
    (codecs.BOM_UTF8 + b"<?xml version='1.0'?><book>x</book>", "XML file"),
    (b"<?xml version='1.0'?>\n<!DOCTYPE html><html><body>x</body></html>", "HTML file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF file"),
    (b"{\\rtf1\\ansi The text}", "RTF file"),
])
def test_what_is_not_plain_text(data, reason):
    assert binary_reason(data).startswith(reason)


@pytest.mark.parametrize("data, message", [
    (b"", r"^in\.txt is empty \(no text, or only whitespace\): pass a file with some prose in it$"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", r"^in\.txt is a binary file \(it contains NUL bytes\), not text: pass a plain-text \(\.txt\) file$"),
    (b"<!DOCTYPE html><html>", r"^in\.txt looks like HTML, not plain text: save the page as plain text \(\.txt\) and pass that file$"),
    (PROSE.encode("utf-16-le"), r"^in\.txt looks like UTF-16 text without a byte-order mark: save it as UTF-8"),
])
def test_decode_text_refuses_with_one_line_naming_the_source(data, message):
    with pytest.raises(ValueError, match=message):
        decode_text(data, source="in.txt")


def test_legacy_8_bit_text_is_read(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(PROSE.replace("’", "'").replace("“", '"').replace("”", '"').encode("latin-1"))
    decoded = read_user_text(path, max_bytes=None)
    assert decoded.encoding in ("cp1252", "latin-1") and "café" in decoded.text


def test_a_folder_a_missing_path_and_a_file_used_as_a_folder(tmp_path):
    (tmp_path / "notes.txt").write_text(PROSE, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{tmp_path} is a folder, not a file: pass the path of a text file inside it$"):
        read_user_text(tmp_path, max_bytes=None)
    with pytest.raises(FileNotFoundError, match=rf"^{tmp_path / 'gone.txt'} not found: check the path of the text file$"):
        read_user_text(tmp_path / "gone.txt", max_bytes=None)
    inside = tmp_path / "notes.txt" / "chapter.txt"
    with pytest.raises(FileNotFoundError, match=rf"^{inside} not found \({tmp_path / 'notes.txt'} is a file, not a folder\)"):
        read_user_text(inside, max_bytes=None)


def test_the_size_limit_is_checked_on_the_file_size_before_reading(tmp_path):
    """A sparse 64 GB file: the message gives its full size, which only stat() can know (reads stop at the limit)."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(64_000_000_000)
    with pytest.raises(ValueError, match=r"huge\.txt is 64000000000 bytes \(64000\.0 MB\), over the limit of 20000000 bytes "
                                         r"\(20\.0 MB\) for one text \(\[inference\] max_text_bytes\): pass a shorter text, "
                                         r"or raise \[inference\] max_text_bytes in a --config TOML file"):
        read_user_text(path, max_bytes=20_000_000)


def test_a_pipe_is_read_up_to_the_limit_only(tmp_path):
    """A FIFO has no size to stat: the read itself stops one byte past the limit."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle:
            handle.write(b"word " * 1000)  # 5000 bytes: fits the pipe buffer, so the writer never waits for the reader

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(ValueError, match=r"pipe is more than 1000 bytes, over the limit of 1000 bytes"):
            read_user_text(fifo, max_bytes=1000)
    finally:
        writer.join(timeout=10)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: permission cannot be taken away")
def test_an_unreadable_file_says_so(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(PROSE, encoding="utf-8")
    path.chmod(0)
    with pytest.raises(PermissionError, match=rf"^{path} cannot be read \(permission denied\)"):
        read_user_text(path, max_bytes=None)


def test_require_folder(tmp_path):
    assert require_folder(tmp_path, what="model", fix="train one") == tmp_path
    with pytest.raises(NotADirectoryError, match=r"plain\.txt is a file, not a folder: pass the model folder \(train one\)"):
        (tmp_path / "plain.txt").write_text("x")
        require_folder(tmp_path / "plain.txt", what="model", fix="train one")
    with pytest.raises(FileNotFoundError, match=r"absent not found: train one$"):
        require_folder(tmp_path / "absent", what="model", fix="train one")
