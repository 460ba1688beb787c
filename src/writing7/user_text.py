"""Files and folders a user hands a command: checked before anything slow, each failure one line with the fix.

:func:`read_user_text` is the one way a command reads a user's text file (``score --file1``,
``compare``, the ``score-pairs`` input): the path is checked with ``stat()`` (missing, a folder, a
file inside a file, too large) before a byte is read, then the bytes go through
:func:`writing7.text.decode.decode_text`, the decoder and checks that book imports and
``standardize`` use too. :func:`require_folder` does the same for folder options (``--corpus``,
``--model``, ``--index``). Errors are ``ValueError`` / ``FileNotFoundError`` / ``PermissionError``
whose message starts with the path, so the CLI shows them as one ``error:`` line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from writing7.text.decode import Decoded, decode_text

MEGABYTE = 1_000_000


def _size(byte_count: int) -> str:
    return f"{byte_count} bytes ({byte_count / MEGABYTE:.1f} MB)" if byte_count >= MEGABYTE else f"{byte_count} bytes"


def _parent_file(path: Path) -> Path | None:
    """The part of ``path`` that is a file where a folder should be (``a.txt`` in ``a.txt/b``), if any."""
    return next((parent for parent in reversed(path.parents) if parent.is_file()), None)


def _unreadable(path: Path) -> PermissionError:
    return PermissionError(f"{path} cannot be read (permission denied): give your user read access to it")


def _status(path: Path, *, fix: str) -> os.stat_result:
    """``stat(path)``, or the one-line reason it has none (``fix`` says what to do when it is missing)."""
    try:
        return path.stat()
    except PermissionError:
        raise _unreadable(path) from None
    except (FileNotFoundError, NotADirectoryError):
        parent = _parent_file(path)
        where = f" ({parent} is a file, not a folder)" if parent is not None else ""
        raise FileNotFoundError(f"{path} not found{where}: {fix}") from None


def _too_large(path: Path, size: str, limit: int, setting: str) -> str:
    return (f"{path} is {size}, over the limit of {_size(limit)} for one text ({setting}): "
            f"pass a shorter text, or raise {setting} in a --config TOML file")


def _read_bytes(path: Path, *, max_bytes: int | None, setting: str) -> bytes:
    """The file's bytes; at most ``max_bytes + 1`` are read, so a pipe or a growing file cannot exhaust memory."""
    try:
        with path.open("rb") as handle:
            data = handle.read(-1 if max_bytes is None else max_bytes + 1)
    except PermissionError:
        raise _unreadable(path) from None
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error.strerror or error}): check the file and the disk") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise ValueError(_too_large(path, f"more than {max_bytes} bytes", max_bytes, setting))
    return data


def read_user_text(path: Path | str, *, max_bytes: int | None, setting: str = "[inference] max_text_bytes",
                   what: str = "text file") -> Decoded:
    """Check, read and decode one text file a user passed; ``max_bytes=None`` means no size limit.

    UTF-8 (with or without BOM), UTF-16 with a BOM and legacy 8-bit text (cp1252/latin-1) are read;
    a missing path, a folder, an unreadable, oversized, empty, binary, HTML/XML/PDF/RTF file is
    refused with its path, what is wrong and what to do (``setting`` names the size limit's setting).
    """
    path = Path(path)
    status = _status(path, fix=f"check the path of the {what}")
    if stat.S_ISDIR(status.st_mode):
        raise ValueError(f"{path} is a folder, not a file: pass the path of a {what} inside it")
    if max_bytes is not None and stat.S_ISREG(status.st_mode) and status.st_size > max_bytes:
        raise ValueError(_too_large(path, _size(status.st_size), max_bytes, setting))
    return decode_text(_read_bytes(path, max_bytes=max_bytes, setting=setting), source=path)


def require_folder(path: Path | str, *, what: str, fix: str) -> Path:
    """``path`` when it is a folder; else one line naming it: missing (``fix`` says how to make it) or a file."""
    path = Path(path)
    status = _status(path, fix=fix)
    if not stat.S_ISDIR(status.st_mode):
        raise NotADirectoryError(f"{path} is a file, not a folder: pass the {what} folder ({fix})")
    return path


def read_user_document(path: Path | str, *, max_bytes: int | None, what: str = "document") -> str:
    """A whole document, standardized like corpus books (a Project Gutenberg header/licence is removed when present)."""
    from writing7.text.standardize import clean_text

    path = Path(path)
    text = read_user_text(path, max_bytes=max_bytes, what=what).text
    cleaned = clean_text(text, min_kept_fraction=0.0, min_chars=1).text
    if not cleaned.strip():
        raise ValueError(f"{path} holds no text once the Project Gutenberg header and licence are removed: pass the book's prose")
    return cleaned


CANDIDATES_LAYOUT = "put each candidate author's known writings in DIR/AUTHOR/*.txt"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def read_candidate_folder(path: Path | str, *, max_bytes: int | None) -> dict[str, list[str]]:
    """``{author: [document, ...]}`` of a candidates folder ``DIR/{author}/*.txt`` (hidden files are ignored).

    Refused, with the path and the fix: a missing folder, a folder with no author folders, a file directly in
    it, an author folder without ``.txt`` files, a file that is not ``.txt`` or not readable text.
    """
    root = require_folder(path, what="candidates", fix=f"pass --candidates DIR; {CANDIDATES_LAYOUT}")
    entries = sorted(filter(_visible, root.iterdir()))
    loose = [entry for entry in entries if not entry.is_dir()]
    if loose:
        raise ValueError(f"{loose[0]} is a file directly in the candidates folder: {CANDIDATES_LAYOUT}")
    if not entries:
        raise ValueError(f"{root} has no author folders: {CANDIDATES_LAYOUT}")
    candidates = {}
    for folder in entries:
        files = sorted(filter(_visible, folder.iterdir()))
        others = [file for file in files if not (file.is_file() and file.suffix.lower() == ".txt")]
        if others:
            raise ValueError(f"{others[0]} is not a .txt file: convert it to plain text (.txt) or move it out of {folder}")
        if not files:
            raise ValueError(f"{folder} has no .txt files: add at least one text by {folder.name}, or remove the folder")
        candidates[folder.name] = [read_user_document(file, max_bytes=max_bytes, what=f"text by {folder.name}") for file in files]
    return candidates
