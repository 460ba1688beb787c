"""Real text for the benchmark: which authors, and per author an excerpt, controls and reference chunks.

For each author one *excerpt book* ``E`` is chosen (seeded, among books with enough chunks):

* the **excerpt** shown to the LLM is one chunk of ``E``, trimmed to a few sentences;
* the **control** passages are other chunks of ``E`` (real held-out text by the author, the same
  situation as the imitations: from the excerpt's book, compared with the author's other books);
* the **reference** chunks that every passage is scored against come from the author's *other*
  books, so that neither the excerpt's content nor the controls' book leak into the reference. An
  author with a single book falls back to disjoint chunks of ``E`` (flagged in the report).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence

from writing7.text.chunks import Chunk, sample_chunks

ChunksByBook = Mapping[str, Sequence[Chunk]]


@dataclasses.dataclass(frozen=True)
class AuthorMaterial:
    """The real text used for one author."""

    author: str
    excerpt: Chunk
    controls: tuple[Chunk, ...]
    references: tuple[Chunk, ...]

    @property
    def excerpt_book(self) -> str:
        return self.excerpt.book_id

    @property
    def reference_books(self) -> list[str]:
        return sorted({chunk.book_id for chunk in self.references})

    @property
    def references_from_other_books(self) -> bool:
        return self.excerpt_book not in self.reference_books


def usable_books(books: ChunksByBook, *, controls: int) -> list[str]:
    """Books with enough chunks to serve as the excerpt book (one excerpt + ``controls``)."""
    return sorted(book for book, chunks in books.items() if len(chunks) >= 1 + controls)


def build_material(author: str, books: ChunksByBook, *, controls: int, references: int, seed: int) -> AuthorMaterial:
    """Pick the excerpt book, the excerpt, ``controls`` control chunks and up to ``references`` reference chunks."""
    candidates = usable_books(books, controls=controls)
    if not candidates:
        raise ValueError(
            f"author {author!r} has no book with {1 + controls} usable chunks (one excerpt + {controls} controls): "
            "lower --samples, use a smaller chunk_size, or pick another author"
        )
    rng = random.Random(f"{seed}\0{author}")
    excerpt_book = rng.choice(candidates)
    chunks = list(books[excerpt_book])
    excerpt = chunks.pop(rng.randrange(len(chunks)))
    control_chunks = sample_chunks(chunks, controls, seed)
    pool = [chunk for book, book_chunks in sorted(books.items()) if book != excerpt_book for chunk in book_chunks]
    if not pool:  # a single-book author: the rest of the excerpt book, never the excerpt or a control
        taken = {excerpt.index} | {chunk.index for chunk in control_chunks}
        pool = [chunk for chunk in chunks if chunk.index not in taken]
    if not pool:
        raise ValueError(f"author {author!r} has no chunk left for references: add a book or lower --samples")
    return AuthorMaterial(author, excerpt, tuple(control_chunks), tuple(sample_chunks(pool, references, seed)))


def author_order(book_counts: Mapping[str, int], *, requested: Sequence[str], seed: int) -> list[str]:
    """The requested authors (resolved by :func:`resolve_author`), else every author in a seeded
    order with multi-book authors first (their references can come from another book)."""
    authors = sorted(book_counts)
    if requested:
        chosen = [resolve_author(name, authors) for name in requested]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"authors {', '.join(requested)} name the same author twice: give distinct authors")
        return chosen
    random.Random(seed).shuffle(authors)
    return sorted(authors, key=lambda author: book_counts[author] < 2)  # a stable sort keeps the shuffle


def resolve_author(name: str, authors: Sequence[str]) -> str:
    """An author folder named exactly, or the single one containing ``name`` (``conrad`` -> ``conrad-joseph``)."""
    if name in authors:
        return name
    matches = [author for author in authors if name.lower() in author.lower()]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(matches or authors[:20]) + (" ..." if not matches and len(authors) > 20 else "")
    problem = "matches several authors" if matches else "is not an author folder of the corpus"
    raise ValueError(f"author {name!r} {problem}: use one of {listed}")
