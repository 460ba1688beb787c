from collections import Counter

import numpy as np

from writing7.prepare.pairs import COLUMNS, PairCounts, SplitBooks, disjoint, make_pairs, nth_outside
from writing7.text.chunks import Chunk

COUNTS = PairCounts(positive=4, negative=8, same_author=2, hard_fraction=0.5, topic_fraction=0.25)


def split_books():
    """Authors a (2 books), b (2 books), c (1 book); passages of 4 sentences stepping by 2 (overlapping)."""
    book_ids = ["a/one", "a/two", "b/one", "b/two", "c/one"]
    authors = [book_id.split("/")[0] for book_id in book_ids]
    chunks = [
        [Chunk(book_id, author, i, 0, 1, 2 * i, 2 * i + 4, f"{book_id} passage {i}") for i in range(8)]
        for book_id, author in zip(book_ids, authors)
    ]
    topics = [np.asarray([(i + book) % 3 for i in range(8)]) for book in range(5)]
    neighbours = [[2, 4], [3], [0, 4], [1, 0], [0, 2]]
    return SplitBooks(book_ids, authors, chunks, topics, neighbours)


def chunk_of(split, book_id, text):
    return next(c for c in split.chunks[split.book_ids.index(book_id)] if c.text == text)


def test_rows_have_the_columns_and_requested_counts():
    rows = list(make_pairs(split_books(), COUNTS, seed=0))
    assert all(tuple(row) == COLUMNS for row in rows)
    per_book = Counter((row["book1"], row["pair_type"]) for row in rows)
    for book_id in ["a/one", "a/two", "b/one", "b/two", "c/one"]:
        assert per_book[(book_id, "positive")] == 4 and per_book[(book_id, "negative")] == 8
        assert per_book[(book_id, "same_author")] == (0 if book_id == "c/one" else 2)
    assert COUNTS.negative_kinds() == {"hard": 4, "topic": 2, "random": 2}


def test_positives_are_disjoint_passages_of_one_book():
    split = split_books()
    for row in make_pairs(split, COUNTS, seed=1):
        if row["pair_type"] == "positive":
            assert row["label"] == 1 and row["book1"] == row["book2"] and row["neg_type"] == ""
            assert disjoint(chunk_of(split, row["book1"], row["text1"]), chunk_of(split, row["book2"], row["text2"]))


def test_negatives_never_pair_an_author_with_itself():
    split = split_books()
    for row in make_pairs(split, COUNTS, seed=2):
        assert row["label"] == int(row["pair_type"] == "positive")
        if row["pair_type"] == "negative":
            assert row["author1"] != row["author2"]
            if row["neg_type"] == "hard":
                assert split.book_ids.index(row["book2"]) in split.neighbours[split.book_ids.index(row["book1"])]
            if row["neg_type"] == "topic":
                assert row["same_topic"] and row["topic1"] == row["topic2"]
        elif row["pair_type"] == "same_author":
            assert row["author1"] == row["author2"] and row["book1"] != row["book2"] and row["neg_type"] == ""


def test_topic_and_same_topic_columns_match_the_passages():
    split = split_books()
    for row in make_pairs(split, COUNTS, seed=3):
        for book_column, text_column, topic_column in [("book1", "text1", "topic1"), ("book2", "text2", "topic2")]:
            book = split.book_ids.index(row[book_column])
            assert row[topic_column] == split.topics[book][chunk_of(split, row[book_column], row[text_column]).index]
        assert row["same_topic"] == (row["topic1"] == row["topic2"])


def test_deterministic_and_a_book_draws_independently_of_the_others():
    split = split_books()
    assert list(make_pairs(split, COUNTS, seed=4)) == list(make_pairs(split, COUNTS, seed=4))
    assert list(make_pairs(split, COUNTS, seed=4)) != list(make_pairs(split, COUNTS, seed=5))
    rows = list(make_pairs(split, COUNTS, seed=4))
    smaller = SplitBooks(split.book_ids[:4], split.authors[:4], split.chunks[:4], split.topics[:4], [[2], [3], [0], [1]])
    positives = sorted((r["text1"], r["text2"]) for r in rows if r["pair_type"] == "positive" and r["book1"] == "a/one")
    assert positives == sorted(
        (r["text1"], r["text2"]) for r in make_pairs(smaller, COUNTS, seed=4) if r["pair_type"] == "positive" and r["book1"] == "a/one"
    )


def test_a_book_whose_passages_all_overlap_gets_no_positive():
    split = split_books()
    split.chunks[0] = [Chunk("a/one", "a", i, 0, 1, i, i + 4, f"a/one passage {i}") for i in range(3)]  # all share sentence 3
    split.topics[0] = np.zeros(3, dtype=np.int64)
    rows = list(make_pairs(split, COUNTS, seed=0))
    assert not [r for r in rows if r["book1"] == "a/one" and r["pair_type"] == "positive"]
    assert sum(r["book1"] == "a/one" and r["pair_type"] == "negative" for r in rows) == 8


def test_nth_outside_counts_past_the_excluded_runs_like_a_mask():
    rng = np.random.default_rng(0)
    for _ in range(200):
        size = int(rng.integers(1, 60))
        cuts = np.sort(rng.choice(size + 1, size=min(2 * int(rng.integers(0, 4)), (size + 1) // 2 * 2), replace=False))
        runs = list(zip(cuts[::2].tolist(), cuts[1::2].tolist()))
        mask = np.zeros(size, dtype=bool)
        for start, end in runs:
            mask[start:end] = True
        kept = np.flatnonzero(~mask)
        for index in range(kept.size):
            assert nth_outside(index, runs) == kept[index]


def test_negatives_never_come_from_the_anchor_author_even_with_one_topic():
    split = split_books()
    split.topics = [np.zeros(8, dtype=np.int64) for _ in split.book_ids]  # every passage in one topic
    for row in make_pairs(split, COUNTS, seed=5):
        if row["pair_type"] == "negative":
            assert row["author1"] != row["author2"] and (row["neg_type"] != "topic" or row["same_topic"])
