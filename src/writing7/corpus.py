"""Finding and reading the books of a corpus directory (the only file I/O of the text layer).

Layout: ``CORPUS/{author}/{title}.txt``. A book's id is its path relative to the corpus without
the ``.txt`` suffix, so ``alcott-louisa-may/little-women.txt`` is ``alcott-louisa-may/little-women``;
the author is the first folder. Deeper files are allowed and keep their folders in the title
(``dickens/vol1/bleak-house.txt`` -> author ``dickens``, title ``vol1/bleak-house``). A file directly
under the corpus root has no author folder; it becomes its own author (author = title = file
stem, id ``stem/stem``) with a warning, so that it can never make a false same-author pair. Files
and folders whose names start with ``.`` are ignored; :func:`folders_without_books` lists the
folders that hold no ``.txt`` file, for the standardize report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from writing7.text.standardize import MIN_BOOK_CHARS, MIN_KEPT_FRACTION, StandardizedBook, standardize_bytes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookFile:
    """One book file: ``book_id`` is ``"{author}/{title}"`` (see the module docstring)."""

    book_id: str
    author: str
    title: str
    path: Path


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _book_file(corpus: Path, path: Path) -> BookFile:
    relative = path.relative_to(corpus).with_suffix("")
    if len(relative.parts) == 1:
        logger.warning("%s is not inside an author folder: treating it as its own author", path)
        return BookFile(f"{relative.name}/{relative.name}", relative.name, relative.name, path)
    author, title = relative.parts[0], "/".join(relative.parts[1:])
    return BookFile(f"{author}/{title}", author, title, path)


def _text_files(corpus: Path) -> list[Path]:
    return [
        path for path in corpus.rglob("*")
        if path.suffix.lower() == ".txt" and path.is_file() and not _is_hidden(path.relative_to(corpus))
    ]


def discover_books(corpus: Path) -> list[BookFile]:
    """Every ``*.txt`` file under ``corpus`` (any depth, any case of suffix, hidden paths skipped), sorted by id."""
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus directory {corpus} not found: pass a folder laid out as AUTHOR/TITLE.txt")
    paths = _text_files(corpus)
    if not paths:
        raise FileNotFoundError(
            f"no .txt files under {corpus}: put books there as AUTHOR/TITLE.txt "
            "(or fetch some with `writing7 ingest gutenberg --ids ...`)"
        )
    return sorted((_book_file(corpus, path) for path in paths), key=lambda book: book.book_id)


def folders_without_books(corpus: Path) -> list[str]:
    """Folders under ``corpus`` (relative, POSIX) holding no ``.txt`` file at any depth; only the topmost of each tree."""
    corpus = Path(corpus)
    holding = {parent for path in _text_files(corpus) for parent in path.relative_to(corpus).parents}
    empty = []
    for folder in sorted(path.relative_to(corpus) for path in corpus.rglob("*") if path.is_dir()):
        if folder not in holding and folder.parent in holding and not _is_hidden(folder):
            empty.append(folder.as_posix())
    return empty


def read_book(
    path: Path, *, min_kept_fraction: float = MIN_KEPT_FRACTION, min_chars: int = MIN_BOOK_CHARS
) -> StandardizedBook:
    """Read and standardize one book file; an unreadable file comes back with ``skip_reason`` set."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return StandardizedBook.skipped(f"unreadable file ({error.strerror or error})")
    return standardize_bytes(data, min_kept_fraction=min_kept_fraction, min_chars=min_chars)
