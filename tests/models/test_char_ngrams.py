"""models/char_ngrams.py: the vectorised counts are those of the n-grams a reader would list by hand."""

from collections import Counter

import numpy as np
import pytest

from writing7.models.char_ngrams import CharNgramHasher

TEXT = "The  cat sat\non the MAT.\tA cat!  Ox"


def listed_ngrams(text: str, low: int, high: int, word_bounded: bool) -> Counter:
    """The oracle: every n-gram as a string, as the module docstring defines them."""
    words = text.lower().split()
    pieces = [f" {word} " for word in words] if word_bounded else [" ".join(words)]
    return Counter(piece[start:start + n] for n in range(low, high + 1) for piece in pieces for start in range(len(piece) - n + 1))


@pytest.mark.parametrize(("low", "high", "word_bounded"), [(4, 4, False), (2, 5, True), (1, 3, False), (3, 3, True)])
def test_counts_are_the_listed_ngrams(low, high, word_bounded):
    row = CharNgramHasher((low, high), 1 << 20, word_bounded=word_bounded).transform([TEXT])
    expected = listed_ngrams(TEXT, low, high, word_bounded)
    assert row.shape == (1, 1 << 20) and row.dtype == np.float32
    # with 2^20 columns and a few dozen n-grams, no two collide: one column per distinct n-gram, same counts
    assert row.nnz == len(expected)
    assert sorted(row.data.tolist()) == sorted(float(count) for count in expected.values())


def test_same_ngram_same_column_whatever_the_text_and_lengths_stay_apart():
    hasher = CharNgramHasher((3, 3), 1 << 20)
    first, second = hasher.transform(["abcxyz", "zzabczz"]), hasher.transform(["abc"])
    assert set(first[0].indices) & set(first[1].indices) == set(second.indices)  # only "abc" is shared
    two, three = CharNgramHasher((2, 2), 1 << 20).transform(["ab"]), CharNgramHasher((3, 3), 1 << 20).transform(["ab "])
    assert two.nnz == 1 and three.nnz == 0  # "ab " is joined to "ab": no 3-gram
    assert CharNgramHasher((2, 2), 1 << 20).transform(["ab"]).indices[0] != CharNgramHasher((3, 3), 1 << 20).transform(["abx"]).indices[0]


def test_word_bounded_ngrams_never_cross_words_and_empty_texts_give_empty_rows():
    hasher = CharNgramHasher((2, 5), 1 << 20, word_bounded=True)
    joined = hasher.transform(["ab cd"])
    assert joined.nnz == len(listed_ngrams("ab cd", 2, 5, True))  # " ab", "ab ", ... but never "b c"
    empty = hasher.transform(["", "   "])
    assert empty.shape == (2, 1 << 20) and empty.nnz == 0
    assert CharNgramHasher((4, 4), 8).transform([]).shape == (0, 8)
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramHasher((3, 2), 8)


@pytest.mark.parametrize("word_bounded", [False, True])
def test_listed_ngrams_and_their_columns_are_what_transform_counts(word_bounded):
    hasher = CharNgramHasher((2, 5), 1 << 20, word_bounded=word_bounded)
    grams = hasher.ngrams(TEXT)
    assert Counter(grams) == listed_ngrams(TEXT, 2, 5, word_bounded)
    row = hasher.transform([TEXT])
    counted = dict(zip(row.indices.tolist(), row.data.tolist()))
    columns = Counter(hasher.column(gram) for gram in grams)
    assert columns == counted
