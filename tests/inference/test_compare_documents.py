"""Texts of any length: passages spread over the whole text, the verdict's features, compare == score."""

import numpy as np
import pytest

from tiny_models import FIXTURE_CORPUS
from writing7.inference.documents import PASSAGE_FEATURE_NAMES, ChunkingSettings, document_chunks, passage_features
from writing7.inference.matcher import Matcher
from writing7.inference.verdict import FEATURE_NAMES, LENGTH_BANDS, band_of

TYPHOON = FIXTURE_CORPUS / "conrad-joseph" / "typhoon.txt"
OTHER_BOOKS = [path for path in sorted(FIXTURE_CORPUS.glob("*/*.txt")) if "conrad" not in path.parent.name]


def book_text(path):
    from writing7.corpus import read_book

    return read_book(path).text


@pytest.fixture(scope="module")
def matcher(calibrated_matcher_dir):
    return Matcher.load(calibrated_matcher_dir)


def test_passage_features_match_a_hand_computation():
    logits = np.zeros((2, 3, 2))
    logits[..., 0] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    logits[..., 1] = [[-1.0, 0.0, 1.0], [0.5, 0.5, 0.5]]
    embeddings_a = np.array([[1.0, 0.0], [1.0, 0.0]])
    embeddings_b = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # mean (2/3, 1/3)
    features = passage_features(logits, embeddings_a, embeddings_b, top_k=2)
    expected = [3.5, 6.0, 5.5, 0.25, 1.0, 0.75, (2 / 3) / np.sqrt(5 / 9)]
    np.testing.assert_allclose(features, expected)
    assert len(PASSAGE_FEATURE_NAMES) == features.size


def test_top_k_larger_than_the_pair_count_uses_every_pair():
    logits = np.array([[[2.0, -2.0]]])  # one passage pair
    vector = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(passage_features(logits, vector, vector, top_k=5), [2, 2, 2, -2, -2, -2, 1])


def test_passages_are_spread_over_the_whole_text_and_capped():
    text = " ".join(f"Sentence number {i} is here and it is long enough to count as prose." for i in range(400))
    every = document_chunks(text, ChunkingSettings(chunk_size=4, max_chunks=1000, min_chunk_chars=20))
    capped = document_chunks(text, ChunkingSettings(chunk_size=4, max_chunks=5, min_chunk_chars=20))
    assert len(every) == 100 and len(capped) == 5
    assert capped[0] == every[0] and capped[-1] == every[-1]  # first and last windows: the whole text is sampled


def test_a_short_text_is_one_passage_and_an_empty_one_is_refused():
    assert document_chunks("Too short to cut.\n\nReally.", ChunkingSettings()) == ["Too short to cut. Really."]
    with pytest.raises(ValueError, match="a text is empty"):
        document_chunks(" \n ", ChunkingSettings())


def test_length_bands_follow_the_shorter_text():
    assert [band_of(words) for words in (0, 499, 500, 2_499, 2_500, 11_999, 12_000, 10**6)] == \
        ["passage", "passage", "excerpt", "excerpt", "chapter", "chapter", "book", "book"]
    assert [name for name, _ in LENGTH_BANDS] == ["passage", "excerpt", "chapter", "book"]


def test_compare_returns_the_same_numbers_as_score_plus_every_feature(matcher):
    first, second = book_text(TYPHOON), book_text(OTHER_BOOKS[0])
    compared, scored = matcher.compare_documents(first, second), matcher.score(first, second)
    assert {key: compared[key] for key in scored} == scored
    assert list(compared["features"]) == list(FEATURE_NAMES)
    assert compared["passages"][0] > 1 and compared["words"][0] == len(first.split())


def test_pairs_scored_together_give_each_pair_its_own_passage_features(matcher, monkeypatch):
    """The featurizer sends one text's pairs through the pair head together (partners split into groups when the
    passage pairs exceed a call's budget): every pair must get what it gets scored alone."""
    import writing7.inference.verdict as verdict_module

    texts = [" ".join(book_text(path).split()[:1500]) for path in (TYPHOON, *OTHER_BOOKS)]
    represented = matcher.represent(texts)
    first, second = np.array([0, 1, 0, 2, 0]), np.array([1, 2, 2, 0, 0])
    alone = np.concatenate([matcher.features_between(represented, [a], [b]).values for a, b in zip(first, second)])
    passages = np.diff(represented.offsets)
    monkeypatch.setattr(verdict_module, "PASSAGE_PAIRS_PER_CALL", int(passages[0] * passages[:3].max()))  # text 0: a group per partner
    assert len(verdict_module._partner_groups(np.array([0, 2, 4]), passages[[1, 2, 0]], int(passages[0]))) == 3
    np.testing.assert_allclose(matcher.features_between(represented, first, second).values, alone, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def fixture_verdict_matcher(matcher):
    """The tiny matcher with a verdict fitted on 1,000-word excerpts of every fixture book (9 authors), so that its
    weights mean something: the calibrated tiny fixture's own verdict is fitted on 2 authors and is mostly noise."""
    from writing7.corpus import discover_books
    from writing7.inference.verdict import Verdict, fit_band_heads
    from writing7.prepare.length_pairs import length_pairs

    books = {book.book_id: book_text(book.path) for book in discover_books(FIXTURE_CORPUS)}
    authors = {book_id: book_id.split("/")[0] for book_id in books}
    pairs = length_pairs(books, authors, [], length="1000", excerpts_per_book=2, max_pairs_per_kind=100, seed=0)
    features = matcher.featurizer.features(pairs.texts1, pairs.texts2)
    mask, labels = pairs.task("book")
    heads = {task: fit_band_heads(features.values[mask], labels, np.array(["excerpt"] * labels.size), task=task,  # each on its features
                                  target_metric="accuracy", inverse_regularisation=1.0, max_band_fraction=0.0) for task in ("book", "author")}
    verdict = Verdict(matcher.verdict.settings, matcher.verdict.profiler, heads)
    return Matcher(matcher.model, verdict, matcher.style, model_dir=matcher.model_dir)


def test_a_passage_planted_deep_in_a_long_text_raises_the_score(fixture_verdict_matcher):
    """Proof that the whole text is read: text B is 20,000 words of other authors; copying 300 words of text A
    into B's second half (at 75 %) must raise the same-book probability of (A, B)."""
    source = book_text(TYPHOON)
    words = source.split()
    text_a, planted = " ".join(words[:1200]), " ".join(words[1500:1800])
    filler = " ".join(" ".join(book_text(path).split()) for path in OTHER_BOOKS).split()
    assert len(filler) >= 20_000
    text_b = " ".join(filler[:20_000])
    cut = text_b.index(". ", int(0.75 * len(text_b))) + 2
    with_plant = text_b[:cut] + planted + " " + text_b[cut:]
    before = fixture_verdict_matcher.compare_documents(text_a, text_b)
    after = fixture_verdict_matcher.compare_documents(text_a, with_plant)
    assert after["features"]["word_cosine"] > before["features"]["word_cosine"]
    assert after["features"]["rare_word_overlap"] > before["features"]["rare_word_overlap"]
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert logit(after["p_same_book"]) > logit(before["p_same_book"]) + 0.25, (before["p_same_book"], after["p_same_book"])
