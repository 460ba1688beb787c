import pytest

from writing7.prepare.splits import SPLITS, split_authors, split_authors_by_corpus, split_sizes


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


def test_a_second_corpus_never_moves_the_first_corpus_authors():
    first, second = corpus(30), {f"extra{i:02d}": 2 for i in range(20)}
    alone = split_authors(first, train_ratio=0.7, val_ratio=0.15, seed=4)
    both = split_authors_by_corpus({**first, **second}, {**{a: 0 for a in first}, **{a: 1 for a in second}},
                                   train_ratio=0.7, val_ratio=0.15, seed=4)
    assert {author: both[author] for author in first} == alone
    assert both == {**alone, **split_authors(second, train_ratio=0.7, val_ratio=0.15, seed=4)}


def test_a_second_corpus_too_small_to_split_goes_to_train(caplog):
    first, second = corpus(12), {"extra0": 3, "extra1": 1}
    both = split_authors_by_corpus({**first, **second}, {"extra0": 1, "extra1": 1}, train_ratio=0.7, val_ratio=0.15, seed=0)
    assert both["extra0"] == both["extra1"] == "train"
    assert "corpus folder 2 has too few authors" in caplog.text


def test_the_first_corpus_must_split():
    with pytest.raises(ValueError, match="too few authors"):
        split_authors_by_corpus({**corpus(4), **{f"extra{i}": 2 for i in range(20)}}, {f"extra{i}": 1 for i in range(20)},
                                train_ratio=0.7, val_ratio=0.15, seed=0)
