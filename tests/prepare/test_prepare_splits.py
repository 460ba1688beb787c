import pytest

from writing7.prepare.splits import SPLITS, split_authors, split_sizes


def corpus(authors, books=2):
    return {f"author{i:02d}": books for i in range(authors)}


def test_every_author_in_exactly_one_split_with_the_minimums():
    books = {**corpus(20), **{f"solo{i}": 1 for i in range(10)}}
    assignment = split_authors(books, train_ratio=0.8, val_ratio=0.1, seed=3)
    assert set(assignment) == set(books) and set(assignment.values()) == set(SPLITS)
    for split in SPLITS:
        members = [author for author, value in assignment.items() if value == split]
        assert len(members) >= 2 and any(books[author] >= 2 for author in members)
    counts = {split: sum(value == split for value in assignment.values()) for split in SPLITS}
    assert counts == split_sizes(30, train_ratio=0.8, val_ratio=0.1) == {"train": 24, "validation": 3, "test": 3}


def test_deterministic_for_a_seed_and_different_for_another():
    books = corpus(30)
    first = split_authors(books, train_ratio=0.8, val_ratio=0.1, seed=1)
    assert first == split_authors(dict(reversed(list(books.items()))), train_ratio=0.8, val_ratio=0.1, seed=1)
    assert first != split_authors(books, train_ratio=0.8, val_ratio=0.1, seed=2)


def test_smallest_corpus_that_splits():
    assignment = split_authors({"a": 2, "b": 2, "c": 2, "d": 1, "e": 1, "f": 1}, train_ratio=0.8, val_ratio=0.1, seed=0)
    assert sorted(assignment.values()) == sorted(["train", "validation", "test"] * 2)


@pytest.mark.parametrize("books", [corpus(5), {**corpus(2), **{f"solo{i}": 1 for i in range(8)}}])
def test_too_few_authors_say_how_many_are_needed(books):
    with pytest.raises(ValueError, match=r"too few authors to split by author: .* \(at least 6 authors, 3 with 2\+ books\)"):
        split_authors(books, train_ratio=0.8, val_ratio=0.1, seed=0)
