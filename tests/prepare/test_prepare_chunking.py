import json

import numpy as np

from writing7.corpus import discover_books
from writing7.prepare.chunking import BookChunks, chunk_book, chunk_books, select_books, window_keys


def test_chunk_book_samples_filtered_windows(fixture_corpus_source, small_config):
    cfg = small_config()
    book = next(b for b in discover_books(fixture_corpus_source) if b.book_id == "conrad-joseph/typhoon")
    result = chunk_book(book, cfg)
    assert result.skip_reason is None and result.author == "conrad-joseph"
    assert len(result.chunks) == cfg.max_chunks_per_book < result.windows - result.filtered
    assert all(chunk.sentence_end - chunk.sentence_start == cfg.chunk_size for chunk in result.chunks)
    assert all(len(chunk.text) >= cfg.min_chunk_chars for chunk in result.chunks)
    assert [c.index for c in result.chunks] == sorted(c.index for c in result.chunks)
    # every sampled passage's key is one of the book's window keys, which are sorted and unique
    assert np.isin(np.asarray(result.chunk_keys, dtype=np.uint64), result.window_keys).all()
    assert (np.diff(result.window_keys.astype(np.float64)) > 0).all()


def test_book_chunks_round_trip_through_json(fixture_corpus_source, small_config):
    book = discover_books(fixture_corpus_source)[0]
    result = chunk_book(book, small_config())
    restored = BookChunks.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored.chunks == result.chunks and restored.chunk_keys == result.chunk_keys
    assert restored.window_keys.dtype == np.uint64 and np.array_equal(restored.window_keys, result.window_keys)
    assert (restored.book_id, restored.windows, restored.filtered) == (result.book_id, result.windows, result.filtered)


def test_unusable_file_is_skipped_with_reason(fixture_corpus, small_config):
    (fixture_corpus / "nobody").mkdir()
    (fixture_corpus / "nobody" / "empty.txt").write_bytes(b"")
    results = chunk_books(discover_books(fixture_corpus), small_config())
    empty = next(result for result in results if result.book_id == "nobody/empty")
    assert empty.skip_reason == "empty file" and empty.chunks == [] and len(empty.window_keys) == 0
    assert sum(1 for result in results if result.chunks) == 18


def test_window_keys_cover_every_offset():
    fingerprints = [f"{i:032x}" for i in [1, 2, 3, 1, 2, 3, 1]]
    # windows of 3 at offsets 0..4: (1,2,3) (2,3,1) (3,1,2) (1,2,3) (2,3,1) -> 3 unique keys
    assert len(window_keys(fingerprints, 3)) == 3
    assert len(window_keys(fingerprints[:2], 3)) == 1  # shorter than a window: one key over all
    assert len(window_keys([], 3)) == 0


def test_select_books_keeps_whole_authors(fixture_corpus_source):
    books = discover_books(fixture_corpus_source)
    selected = select_books(books, 3)
    assert [book.author for book in selected] == ["alcott-louisa-may"] * 2 + ["burroughs-edgar-rice"] * 2
    assert select_books(books, 0) == books


def test_process_pool_gives_the_same_result(fixture_corpus_source, small_config):
    books = discover_books(fixture_corpus_source)
    single = chunk_books(books, small_config(workers=1))
    pooled = chunk_books(books, small_config(workers=2))
    assert [result.to_dict() for result in pooled] == [result.to_dict() for result in single]
