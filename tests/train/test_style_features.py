import numpy as np
import pytest

from writing7.models.style_features import STATISTIC_NAMES, StyleFeaturizer, StyleFeatureSettings, function_word_rates, text_statistics

TEXTS = [
    "The sea was calm; the ship lay still. \"Well,\" said the captain, \"we wait.\" And so they waited, all of them.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
    "Marilla looked at Anne! Anne looked at Marilla? Neither spoke -- neither would be the first to speak of it.",
    "He had been upon the moor for hours; the fog came down, and with it the cold, and with the cold the fear.",
]


def test_text_statistics_on_a_hand_checked_sentence():
    values = dict(zip(STATISTIC_NAMES, text_statistics("One two three. Four five, six!")))
    assert values["mean_sentence_words"] == pytest.approx(3.0)
    assert values["comma_rate"] == pytest.approx(1 / 6)
    assert values["exclamation_rate"] == pytest.approx(1 / 6)
    assert values["mean_word_length"] == pytest.approx(np.mean([3, 3, 5, 4, 4, 3]))
    assert values["type_token_ratio"] == pytest.approx(1.0)


def test_function_word_rates_count_words_not_substrings():
    rates = function_word_rates("The theme of the day: then the end.")
    from writing7.models.function_words import FUNCTION_WORDS

    assert rates[FUNCTION_WORDS.index("the")] == pytest.approx(3 / 8)
    assert rates[FUNCTION_WORDS.index("then")] == pytest.approx(1 / 8)


def test_pair_features_are_symmetric_and_identical_texts_have_cosine_one():
    featurizer = StyleFeaturizer(StyleFeatureSettings(hashing_features=1 << 12)).fit(TEXTS)
    features = featurizer.transform(TEXTS)
    rows_a, rows_b = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 3])
    forward = featurizer.pair_features(features, rows_a, features, rows_b)
    backward = featurizer.pair_features(features, rows_b, features, rows_a)
    assert forward.shape == (4, featurizer.num_pair_features)
    np.testing.assert_allclose(forward, backward, rtol=1e-6)
    assert forward[3, 0] == pytest.approx(1.0) and forward[3, 1] == pytest.approx(1.0)  # char and word cosines
    assert np.all(forward[3, 3:] == 0)  # Delta and |differences| vanish for a text with itself


def test_featurizer_round_trips_through_a_folder(tmp_path):
    featurizer = StyleFeaturizer(StyleFeatureSettings(hashing_features=1 << 12)).fit(TEXTS)
    featurizer.save(tmp_path)
    loaded = StyleFeaturizer.load(tmp_path)
    original, restored = featurizer.transform(TEXTS), loaded.transform(TEXTS)
    np.testing.assert_allclose(original.char.toarray(), restored.char.toarray())
    np.testing.assert_allclose(original.statistics, restored.statistics)


def test_unfitted_featurizer_says_how_to_fix():
    with pytest.raises(ValueError, match="not fitted"):
        StyleFeaturizer().transform(TEXTS)


def test_within_batch_features_equal_the_pairwise_ones():
    featurizer = StyleFeaturizer(StyleFeatureSettings(hashing_features=1 << 12)).fit(TEXTS)
    features = featurizer.transform(TEXTS)
    rows = np.array([3, 0, 2])
    first, second = np.triu_indices(3, k=1)
    np.testing.assert_allclose(
        featurizer.pair_features_within(features, rows, first, second),
        featurizer.pair_features(features, rows[first], features, rows[second]), rtol=1e-5, atol=1e-6,
    )


def test_cross_features_equal_the_pairwise_ones_in_row_major_order():
    featurizer = StyleFeaturizer(StyleFeatureSettings(hashing_features=1 << 12)).fit(TEXTS)
    features = featurizer.transform(TEXTS)
    rows_a, rows_b = np.array([3, 0]), np.array([2, 1, 3])
    first, second = np.repeat(rows_a, len(rows_b)), np.tile(rows_b, len(rows_a))
    np.testing.assert_allclose(featurizer.pair_features_between(features, rows_a, rows_b),
                               featurizer.pair_features(features, first, features, second), rtol=1e-5, atol=1e-6)
