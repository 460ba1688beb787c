"""Excerpts, controls and references from real fixture books; author choice and name resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from writing7.bench_style.material import author_order, build_material, resolve_author, usable_books
from writing7.stages.bench_style import gather_material, read_author_books
from writing7.config.bench_style import BenchStyleConfig
from writing7.corpus import discover_books

CFG = BenchStyleConfig(samples=3, reference_chunks=5, chunk_size=6, min_chunk_chars=300)


@pytest.fixture(scope="module")
def conrad_books(fixture_corpus_source: Path) -> dict:
    books = [book for book in discover_books(fixture_corpus_source) if book.author == "conrad-joseph"]
    return read_author_books(books, CFG)


def test_references_come_from_another_book(conrad_books: dict) -> None:
    assert len(conrad_books) == 2 and all(len(chunks) >= 4 for chunks in conrad_books.values())
    material = build_material("conrad-joseph", conrad_books, controls=3, references=5, seed=0)
    assert material.references_from_other_books and len(material.references) == 5 and len(material.controls) == 3
    assert {chunk.book_id for chunk in material.controls} == {material.excerpt_book}
    assert material.excerpt.index not in {chunk.index for chunk in material.controls}
    assert material == build_material("conrad-joseph", conrad_books, controls=3, references=5, seed=0)


def test_single_book_author_uses_disjoint_chunks_of_that_book(conrad_books: dict) -> None:
    book_id = sorted(conrad_books)[0]
    material = build_material("conrad-joseph", {book_id: conrad_books[book_id]}, controls=2, references=4, seed=1)
    assert not material.references_from_other_books
    used = [material.excerpt.index, *(c.index for c in material.controls), *(c.index for c in material.references)]
    assert len(used) == len(set(used))


def test_too_little_text_is_a_clear_error(conrad_books: dict) -> None:
    book_id = sorted(conrad_books)[0]
    few = {book_id: conrad_books[book_id][:2]}
    assert usable_books(few, controls=3) == []
    with pytest.raises(ValueError, match="no book with 4 usable chunks .* lower --samples"):
        build_material("conrad-joseph", few, controls=3, references=4, seed=0)


def test_resolve_author() -> None:
    authors = ["conrad-joseph", "grey-zane", "gaskell-elizabeth-cleghorn"]
    assert resolve_author("grey-zane", authors) == "grey-zane"
    assert resolve_author("Conrad", authors) == "conrad-joseph"
    with pytest.raises(ValueError, match="'g' matches several authors: use one of grey-zane, gaskell"):
        resolve_author("g", authors)
    with pytest.raises(ValueError, match="'woolf' is not an author folder of the corpus"):
        resolve_author("woolf", authors)


def test_author_order_prefers_authors_with_several_books() -> None:
    counts = {"a": 1, "b": 3, "c": 2, "d": 1}
    order = author_order(counts, requested=[], seed=3)
    assert sorted(order[:2]) == ["b", "c"] and sorted(order) == sorted(counts)
    assert order == author_order(counts, requested=[], seed=3)
    assert author_order(counts, requested=["d", "b"], seed=3) == ["d", "b"]
    with pytest.raises(ValueError, match="name the same author twice"):
        author_order(counts, requested=["b", "b"], seed=0)


def test_gather_material_reads_only_what_it_needs(fixture_corpus: Path) -> None:
    cfg = BenchStyleConfig(authors=["stevenson", "grey-zane"], samples=2, reference_chunks=3, chunk_size=6, min_chunk_chars=300)
    materials = gather_material(fixture_corpus, cfg)
    assert list(materials) == ["grey-zane", "stevenson-robert-louis"]
    too_many = BenchStyleConfig(n_authors=2, samples=500)
    with pytest.raises(ValueError, match="only 0 of 9 authors .* have a book with 501 usable chunks"):
        gather_material(fixture_corpus, too_many)
