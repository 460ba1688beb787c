import dataclasses

import numpy as np

from writing7.corpus import discover_books
from writing7.prepare.chunking import BookChunks, chunk_books
from writing7.prepare.dedup import drop_shared_chunks, shared_keys
from writing7.text.chunks import Chunk
from writing7.text.fingerprint import normalize_for_fingerprint

# 16 sentences of plain English prose: every 10-sentence window at 5-sentence steps has at least
# one window wholly inside the paragraph, wherever it lands in a book.
PLANTED = " ".join(
    f"The old lighthouse keeper counted the ships for the {ordinal} time that evening, and he wrote "
    f"their names in the book that he kept on the table by the window."
    for ordinal in ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth"]
)
PLANTED_INTO = ["conrad-joseph/typhoon", "grey-zane/desert-gold", "jerome-jerome-k/three-men-in-a-boat"]


def plant(corpus, book_id, paragraph_index):
    """Insert PLANTED as its own paragraph after the given paragraph of the body (misaligned per book)."""
    path = corpus / f"{book_id}.txt"
    text = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    paragraphs = text.split(newline * 2)
    start = next(i for i, p in enumerate(paragraphs) if "START OF" in p.upper()) + 1 + paragraph_index
    paragraphs.insert(start, PLANTED)
    path.write_bytes((newline * 2).join(paragraphs).encode("utf-8"))


def is_planted(chunk):
    return normalize_for_fingerprint(chunk.text) in normalize_for_fingerprint(PLANTED)


def test_paragraph_planted_in_three_books_is_dropped_everywhere(fixture_corpus, small_config):
    for position, book_id in zip([3, 8, 14], PLANTED_INTO):
        plant(fixture_corpus, book_id, position)
    books = chunk_books(discover_books(fixture_corpus), small_config(max_chunks_per_book=1000))
    planted_before = {book.book_id for book in books for chunk in book.chunks if is_planted(chunk)}
    assert planted_before == set(PLANTED_INTO)

    kept, stats = drop_shared_chunks(books, min_books=2)
    assert not any(is_planted(chunk) for book in kept for chunk in book.chunks)
    assert stats.dropped_shared >= 3 and stats.shared_keys >= 7  # 16 - 10 + 1 windows inside the paragraph
    untouched = [(a, b) for a, b in zip(books, kept) if a.book_id not in PLANTED_INTO]
    assert all(a.chunks == b.chunks for a, b in untouched)

    # present in 3 books: a threshold of 4 keeps it, 3 drops it
    assert any(is_planted(chunk) for book in drop_shared_chunks(books, min_books=4)[0] for chunk in book.chunks)
    assert not any(is_planted(chunk) for book in drop_shared_chunks(books, min_books=3)[0] for chunk in book.chunks)


def book(book_id, keys, window_keys):
    chunks = [Chunk(book_id, book_id.split("/")[0], i, 0, 1, i * 10, i * 10 + 10, f"text {i}") for i in range(len(keys))]
    return BookChunks(book_id, book_id.split("/")[0], book_id, chunks, list(keys), np.asarray(sorted(window_keys), dtype=np.uint64))


def test_shared_keys_count_books_not_occurrences():
    books = [book("a/x", [1, 2], [1, 2, 5]), book("b/y", [3], [2, 3]), book("c/z", [4], [2, 4, 5])]
    assert shared_keys(books, 2).tolist() == [2, 5]
    assert shared_keys(books, 3).tolist() == [2]


def test_repeats_inside_a_book_keep_the_first_and_zero_disables_cross_book_dedup():
    books = [book("a/x", [7, 8, 7], [7, 8]), book("b/y", [8], [8])]
    kept, stats = drop_shared_chunks(books, min_books=0)
    assert [chunk.index for chunk in kept[0].chunks] == [0, 1] and len(kept[1].chunks) == 1
    assert dataclasses.asdict(stats) == {"shared_keys": 0, "dropped_shared": 0, "dropped_repeated": 1}
    kept, stats = drop_shared_chunks(books, min_books=2)
    assert [chunk.index for chunk in kept[0].chunks] == [0] and kept[1].chunks == []
    assert (stats.dropped_shared, stats.dropped_repeated) == (2, 1)


def test_binary_search_membership_agrees_with_isin():
    import numpy as np

    from writing7.prepare.dedup import in_sorted

    generator = np.random.default_rng(0)
    keys = np.unique(generator.integers(0, 2**63, 5000, dtype=np.uint64))
    values = np.concatenate([keys[::7], generator.integers(0, 2**63, 300, dtype=np.uint64), np.array([0, 2**64 - 1], dtype=np.uint64)])
    assert np.array_equal(in_sorted(values, keys), np.isin(values, keys))
    assert not in_sorted(values, np.zeros(0, dtype=np.uint64)).any()
