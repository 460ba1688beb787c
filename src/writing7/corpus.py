"""Finding and reading the books of a corpus directory (the only file I/O of the text layer).

Layout: ``CORPUS/{author}/{title}.txt``. A book's id is its path relative to the corpus without
the ``.txt`` suffix, so ``alcott-louisa-may/little-women.txt`` is ``alcott-louisa-may/little-women``;
the author is the first folder. Deeper files are allowed and keep their folders in the title
(``dickens/vol1/bleak-house.txt`` -> author ``dickens``, title ``vol1/bleak-house``). A file directly
under the corpus root has no author folder; it becomes its own author (author = title = file
stem, id ``stem/stem``) with a warning, so that it can never make a false same-author pair. Files
and folders whose names start with ``.`` are ignored; :func:`folders_without_books` lists the
folders that hold no ``.txt`` file, for the standardize report.

Downstream stages read a book with :func:`read_corpus_book`: a folder written by ``standardize`` (its
``manifest.json`` names that stage) holds text that is already clean and is read verbatim; any other
folder is a raw corpus (a standalone ``writing7 prepare --corpus ../shared/data/gutenberg``) and is
cleaned on the way in with the library defaults. Cleaning is idempotent, so both give the same text.

Several corpus folders read as one (:func:`discover_corpora`): an author folder found in two of them
is one author; a book id found twice is read from the first folder that has it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from writing7.artifacts import Manifest, hash_tree, require_input
from writing7.text.standardize import MIN_BOOK_CHARS, MIN_KEPT_FRACTION, StandardizedBook, standardize_bytes

logger = logging.getLogger(__name__)
STANDARDIZE_STAGE = "standardize"  # the stage name a standardize output's manifest records


@dataclass(frozen=True)
class BookFile:
    """One book file: ``book_id`` is ``"{author}/{title}"`` (see the module docstring).

    ``standardized`` is true when the file comes from a standardize output (already clean text).
    """

    book_id: str
    author: str
    title: str
    path: Path
    standardized: bool = False


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def is_standardized(corpus: Path) -> bool:
    """``corpus`` is a standardize output: its ``manifest.json`` records the standardize stage."""
    manifest = Manifest.load(Path(corpus))
    return manifest is not None and manifest.stage == STANDARDIZE_STAGE


def _book_file(corpus: Path, path: Path, standardized: bool) -> BookFile:
    relative = path.relative_to(corpus).with_suffix("")
    if len(relative.parts) == 1:
        logger.warning("%s is not inside an author folder: treating it as its own author", path)
        return BookFile(f"{relative.name}/{relative.name}", relative.name, relative.name, path, standardized)
    author, title = relative.parts[0], "/".join(relative.parts[1:])
    return BookFile(f"{author}/{title}", author, title, path, standardized)


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
    standardized = is_standardized(corpus)
    return sorted((_book_file(corpus, path, standardized) for path in paths), key=lambda book: book.book_id)


def corpus_folders(corpus: Path | str | Sequence[Path | str]) -> tuple[Path, ...]:
    """``corpus`` as a tuple of folders: one folder, or several read as one corpus."""
    if isinstance(corpus, (str, Path)):
        return (Path(corpus),)
    return tuple(Path(folder) for folder in corpus)


def corpus_inputs(corpus: Path | str | Sequence[Path | str]) -> tuple[tuple[Path, ...], dict[str, str]]:
    """The folders of ``corpus`` (each must exist: one line naming it otherwise) and their manifest inputs: the hash of
    each folder's ``.txt`` files, ``"corpus"`` for the first and ``"corpus 2"``, ``"corpus 3"``, ... for the others."""
    folders = tuple(require_input(folder, stage="ingest", what="corpus directory") for folder in corpus_folders(corpus))
    return folders, {"corpus" if position == 0 else f"corpus {position + 1}": hash_tree(folder, suffixes=(".txt",))
                     for position, folder in enumerate(folders)}


def discover_corpora(corpus: Path | str | Sequence[Path | str]) -> list[BookFile]:
    """:func:`discover_books` of every folder of ``corpus``, sorted by id; a book id found in two folders comes
    from the first (with a warning: the same file twice would make a "same book" pair of a book with itself)."""
    books: dict[str, BookFile] = {}
    for folder in corpus_folders(corpus):
        for book in discover_books(folder):
            if book.book_id in books:
                logger.warning("%s is also in %s: reading it from there only", book.path, books[book.book_id].path)
                continue
            books[book.book_id] = book
    return sorted(books.values(), key=lambda book: book.book_id)


def first_corpus_of_authors(corpus: Path | str | Sequence[Path | str]) -> dict[str, int]:
    """``{author: index of the first folder of corpus holding one of their books}`` (prepare splits each folder's
    authors on their own, so adding a folder never moves an earlier folder's authors between splits)."""
    first: dict[str, int] = {}
    for position, folder in enumerate(corpus_folders(corpus)):
        for book in discover_books(folder):
            first.setdefault(book.author, position)
    return first


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


def read_standardized_book(path: Path) -> StandardizedBook:
    """Read one file a standardize run wrote, verbatim: it is clean UTF-8 already, and cleaning twice would only
    spend the time (cleaning is idempotent)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return StandardizedBook.skipped(f"unreadable file ({error.strerror or error})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:  # standardize writes UTF-8 only: the file was put here or changed afterwards
        return StandardizedBook.skipped(f"not UTF-8 ({error.reason} at byte {error.start}), so not written by `writing7 standardize`: "
                                        "re-run standardize on the raw corpus")
    return StandardizedBook(text=text, encoding="utf-8", bytes_in=len(data), bytes_out=len(data), kept_fraction=1.0)


def read_corpus_book(book: BookFile) -> StandardizedBook:
    """The clean text of ``book`` for every stage after standardize: verbatim from a standardize output, else
    cleaned with the library defaults (a raw corpus given to a standalone command)."""
    return read_standardized_book(book.path) if book.standardized else read_book(book.path)
